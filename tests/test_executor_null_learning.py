"""The compiled executor remembers facts about value types for the whole process (which
types are never awaitable or exceptions). A fact learned from one request must never
change another request's answer: a null completed anywhere (here: an async resolver's
None, or the null of a failed non-null field) must not make a later null be completed as
an object, which answered INTERNAL errors where standard execution answers null."""

from __future__ import annotations

from typing import Any

import strawberry

from gateway.execution.executor import compiled_executor


@strawberry.type
class Item:
    name: str


@strawberry.type
class Holder:
    maybe: Item | None
    items: list[Item | None]


@strawberry.type
class Query:
    @strawberry.field
    async def nothing(self) -> Item | None:
        return None

    @strawberry.field
    async def required(self) -> Item:
        return None  # type: ignore[return-value]

    @strawberry.field
    def holder(self) -> Holder:
        return Holder(maybe=None, items=[Item(name="a"), None])


def _result(schema: strawberry.Schema, result: Any) -> tuple[Any, list[Any]]:
    return result.data, [(e.message, e.path) for e in result.errors or []]


async def test_a_null_after_a_learned_null_is_still_a_plain_null() -> None:
    standard = strawberry.Schema(Query)
    compiled = strawberry.Schema(Query, execution_context_class=compiled_executor())
    read = "{ holder { maybe { name } items { name } } }"
    for warm_up in ("{ nothing { name } }", "{ required { name } }"):
        for schema in (standard, compiled):
            await schema.execute(warm_up)
        expected = _result(standard, await standard.execute(read))
        assert expected == ({"holder": {"maybe": None, "items": [{"name": "a"}, None]}}, [])
        assert _result(compiled, await compiled.execute(read)) == expected
