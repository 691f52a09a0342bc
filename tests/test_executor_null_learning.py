"""The compiled executor remembers facts about value types (which types are never
awaitable or exceptions), per plan cache. A fact learned from one request must never
change another request's answer: a null completed anywhere (here: an async resolver's
None, or the null of a failed non-null field) must not make a later null be completed as
an object, which answered INTERNAL errors where standard execution answers null. And what
one schema learned is never another schema's (or another test's)."""

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


@strawberry.type
class Plain:
    """A type no other test returns: only a schema that completed one can know it."""

    name: str


@strawberry.type
class PlainQuery:
    @strawberry.field
    def plain(self) -> Plain | None:
        return Plain(name="p")


async def test_what_one_schema_learns_is_not_another_schemas() -> None:
    first = compiled_executor()
    second = compiled_executor()
    for executor in (first, second):
        schema = strawberry.Schema(PlainQuery, execution_context_class=executor)
        before = set(executor.plan_cache.facts.settled)  # type: ignore[attr-defined]
        assert Plain not in before
        result = await schema.execute("{ plain { name } }")
        assert result.data == {"plain": {"name": "p"}} and not result.errors
        learned = executor.plan_cache.facts.settled - before  # type: ignore[attr-defined]
        assert learned == {Plain}  # learned here, by this schema, not before
