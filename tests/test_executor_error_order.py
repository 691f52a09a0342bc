"""The compiled executor collects errors in the order graphql-core does (the contract in
docs/performance.md): an async sibling against a list of awaitable items (graphql-core
gathers the items one tick later), a batched field before an async sibling (the batch
call keeps its first parent's place), and a non-null error beside pending work (what was
parked before it settles in the background, as graphql-core's settle_in_background).
Each case runs on fresh schemas, so nothing learned by one case reaches another."""

from __future__ import annotations

from typing import Any

import pytest
import strawberry
from strawberry import Info

from gateway.execution.executor import compiled_executor
from gateway.guards import CONVENTIONS
from schema.batching import batch_form


def _fail(info: Info) -> Any:
    raise ValueError("failed at " + ".".join(map(str, info.path.as_list())))


async def _batch_fail(parents: list[Any], info: Info) -> list[Any]:
    return [ValueError("batch failed") for _ in parents]


async def _batch_obj(parents: list[Any], info: Info) -> list[Any]:
    return [T() for _ in parents]


@strawberry.type
class T:
    @strawberry.field
    def sync_fail(self, info: Info) -> str | None:
        return _fail(info)  # type: ignore[no-any-return]

    @strawberry.field
    async def async_fail(self, info: Info) -> str | None:
        return _fail(info)  # type: ignore[no-any-return]

    @strawberry.field
    async def async_null(self) -> str:
        return None  # type: ignore[return-value]

    @strawberry.field
    async def async_obj(self) -> T | None:
        return T()

    @strawberry.field
    def awaitable_items(self) -> list[T | None] | None:
        async def item() -> T:
            return T()

        return [item(), item()]  # type: ignore[list-item]

    @strawberry.field
    def items_with_null(self) -> list[str] | None:
        async def item() -> str:
            raise ValueError("item failed")

        return ["x", item(), None]  # type: ignore[list-item]

    @strawberry.field(metadata=batch_form(_batch_fail))
    async def batch_fail(self, info: Info) -> str | None:
        return (await _batch_fail([self], info))[0]  # type: ignore[no-any-return]

    @strawberry.field(metadata=batch_form(_batch_obj))
    async def batch_obj(self, info: Info) -> T | None:
        return (await _batch_obj([self], info))[0]  # type: ignore[no-any-return]


@strawberry.type
class Query:
    @strawberry.field
    def root(self) -> T | None:
        return T()


CASES = [
    "{ root { awaitableItems { syncFail } asyncFail } }",
    "{ root { batchFail asyncFail } }",
    "{ root { batchObj { syncFail } asyncObj { syncFail } } }",
    "{ root { batchObj { asyncFail } asyncObj { asyncFail } } }",
    "{ root { awaitableItems { itemsWithNull asyncNull } } }",
    "{ root { awaitableItems { itemsWithNull asyncNull } asyncNull } }",
]


def _answer(result: Any) -> tuple[Any, list[Any]]:
    return result.data, [(e.message, e.path) for e in result.errors or []]


@pytest.mark.parametrize("query", CASES)
async def test_errors_come_in_graphql_cores_order(query: str) -> None:
    standard = strawberry.Schema(Query)
    compiled = strawberry.Schema(Query, execution_context_class=compiled_executor(CONVENTIONS))
    expected = _answer(await standard.execute(query))
    assert expected[1], "every case has errors"
    assert _answer(await compiled.execute(query)) == expected
