"""graphql-core calls a field's resolver once per object. The compiled executor used to
call a synchronous resolver without arguments twice whenever its value needed more than
the inline case (an awaitable, a null in a non-null field, a value to coerce): once in a
pure subtree or in the generated code's read, again when it fell back to the generic
path. A resolver with a side effect ran it twice, and an awaitable it returned the
first time was dropped unawaited. Now the value read is completed as it is, and pure
subtrees call such resolvers only where the application promises they are pure
(Conventions.pure_resolvers, set by the gateway for its own schema)."""

from __future__ import annotations

from typing import Any

import pytest
import strawberry

from gateway.execution.executor import compiled_executor

CALLS: list[str] = []


async def _later(value: Any) -> Any:
    return value


@strawberry.type
class Item:
    @strawberry.field
    def name(self) -> str | None:
        CALLS.append("name")
        return _later("n")  # type: ignore[return-value]

    @strawberry.field
    def size(self) -> float | None:
        CALLS.append("size")
        return 3  # type: ignore[return-value]  # an int for a Float: coerced

    @strawberry.field
    def label(self) -> str:
        CALLS.append("label")
        return None  # type: ignore[return-value]


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item | None]:
        return [Item(), Item()]


@pytest.mark.parametrize(
    ("fields", "data"),
    [
        ("name", {"name": "n"}),  # an awaitable from a sync resolver (not a pure subtree)
        ("size", {"size": 3.0}),  # a pure subtree falling back to coerce
        ("size label", None),  # a pure subtree falling back to report a null
    ],
)
async def test_a_synchronous_resolver_is_called_once_per_object(fields: str, data: Any) -> None:
    query = f"{{ items {{ {fields} }} }}"
    counts = []
    results = []
    for executor in (None, compiled_executor()):
        schema = strawberry.Schema(Query, execution_context_class=executor)
        CALLS.clear()
        result = await schema.execute(query)
        counts.append(sorted(CALLS))
        results.append((result.data, [(e.message, e.path) for e in result.errors or []]))
    assert results[0] == results[1]
    assert results[0][0] == {"items": [data, data]}
    assert counts[1] == counts[0] == sorted(fields.split() * 2)
