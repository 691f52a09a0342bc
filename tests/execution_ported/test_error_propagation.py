"""graphql-core's tests/execution/test_error_propagation.py on every executor (both.py):
@experimental_disableErrorPropagation is not in the compiled plan, so that operation runs
on standard execution and keeps its null; without it the error propagates, on the plan.
The directive is not in a Strawberry schema; graphql-core's case executes the documents
unvalidated, as a schema with validation disabled does here."""

from __future__ import annotations

import strawberry
from strawberry.extensions import DisableValidation

from tests.execution_ported.both import check


@strawberry.type(name="Query")
class SyncQuery:
    @strawberry.field
    def foo(self) -> int:
        raise RuntimeError("bar")


@strawberry.type(name="Query")
class AsyncQuery:
    @strawberry.field
    async def foo(self) -> int:
        raise RuntimeError("bar")


ERRORS = [{"message": "bar", "path": ["foo"], "locations": [(3, 15)]}]


async def test_with_experimental_disable_error_propagation_returns_null() -> None:
    query = """
            query getFoo @experimental_disableErrorPropagation {
              foo
            }
            """
    for root in (SyncQuery, AsyncQuery):
        await check(
            root,
            query,
            ({"foo": None}, ERRORS),
            root=root,
            extensions=(DisableValidation,),
            planned=False,
        )


async def test_without_experimental_disable_error_propagation_propagates_the_error() -> None:
    query = """
            query getFoo {
              foo
            }
            """
    for root in (SyncQuery, AsyncQuery):
        await check(root, query, (None, ERRORS), root=root)
