"""graphql-core's tests/execution/test_mutations.py on every executor (both.py): root
mutation fields run serially, each completed before the next starts, in the presence of
failures, through a fragment. (The @defer cases need Strawberry's experimental incremental
execution, which the compiled executor leaves to standard execution; not ported.)"""

from __future__ import annotations

from asyncio import sleep
from dataclasses import dataclass

import strawberry
from strawberry.extensions import DisableValidation

from tests.execution_ported.both import check


@strawberry.type
class NumberHolder:
    the_number: int | None

    @strawberry.field
    async def promise_to_get_the_number(self) -> int | None:
        await sleep(0)
        return self.the_number


@dataclass
class Root:
    """The root value (graphql-core's Root): what the mutation resolvers change."""

    number_holder: NumberHolder | None

    def immediately_change_the_number(self, new_number: int) -> NumberHolder:
        assert self.number_holder is not None
        self.number_holder.the_number = new_number
        return self.number_holder

    async def promise_to_change_the_number(self, new_number: int) -> NumberHolder:
        await sleep(0)
        return self.immediately_change_the_number(new_number)

    def fail_to_change_the_number(self, new_number: int) -> NumberHolder:
        raise RuntimeError(f"Cannot change the number to {new_number}")

    async def promise_and_fail_to_change_the_number(self, new_number: int) -> NumberHolder:
        await sleep(0)
        return self.fail_to_change_the_number(new_number)


def root() -> Root:
    return Root(number_holder=NumberHolder(the_number=6))


@strawberry.type(name="Query")
class Query:
    @strawberry.field
    def number_holder(self) -> NumberHolder | None:
        return self.number_holder  # type: ignore[attr-defined,no-any-return]


@strawberry.type(name="Mutation")
class Mutation:
    @strawberry.mutation
    def immediately_change_the_number(self, new_number: int | None) -> NumberHolder | None:
        return self.immediately_change_the_number(new_number)  # type: ignore[attr-defined,no-any-return]

    @strawberry.mutation
    def promise_to_change_the_number(self, new_number: int | None) -> NumberHolder | None:
        return self.promise_to_change_the_number(new_number)  # type: ignore[attr-defined,no-any-return]

    @strawberry.mutation
    def fail_to_change_the_number(self, new_number: int | None) -> NumberHolder | None:
        return self.fail_to_change_the_number(new_number)  # type: ignore[attr-defined,no-any-return]

    @strawberry.mutation
    async def promise_and_fail_to_change_the_number(
        self, new_number: int | None
    ) -> NumberHolder | None:
        return await self.promise_and_fail_to_change_the_number(new_number)  # type: ignore[attr-defined,no-any-return]


async def test_evaluates_mutations_serially() -> None:
    await check(
        Query,
        """
            mutation M {
              first: immediatelyChangeTheNumber(newNumber: 1) {
                theNumber
              },
              second: promiseToChangeTheNumber(newNumber: 2) {
                theNumber
              },
              third: immediatelyChangeTheNumber(newNumber: 3) {
                theNumber
              }
              fourth: promiseToChangeTheNumber(newNumber: 4) {
                theNumber
              },
              fifth: immediatelyChangeTheNumber(newNumber: 5) {
                theNumber
              }
            }
            """,
        (
            {
                "first": {"theNumber": 1},
                "second": {"theNumber": 2},
                "third": {"theNumber": 3},
                "fourth": {"theNumber": 4},
                "fifth": {"theNumber": 5},
            },
            None,
        ),
        mutation=Mutation,
        root=root,
    )


async def test_each_mutation_completes_before_the_next_starts() -> None:
    """Not in graphql-core's file: the same, each result read by an async resolver, which
    must see its own mutation's number, not a later one's."""
    await check(
        Query,
        """
            mutation M {
              first: promiseToChangeTheNumber(newNumber: 1) { promiseToGetTheNumber }
              second: immediatelyChangeTheNumber(newNumber: 2) { promiseToGetTheNumber }
              third: promiseToChangeTheNumber(newNumber: 3) { theNumber promiseToGetTheNumber }
            }
            """,
        (
            {
                "first": {"promiseToGetTheNumber": 1},
                "second": {"promiseToGetTheNumber": 2},
                "third": {"theNumber": 3, "promiseToGetTheNumber": 3},
            },
            None,
        ),
        mutation=Mutation,
        root=root,
    )


async def test_does_not_include_illegal_mutation_fields_in_output() -> None:
    await check(
        Query,
        "mutation { thisIsIllegalDoNotIncludeMe }",
        ({}, None),
        mutation=Mutation,
        root=root,
        extensions=(DisableValidation,),
    )


async def test_evaluates_mutations_correctly_in_presence_of_a_failed_mutation() -> None:
    await check(
        Query,
        """
            mutation M {
              first: immediatelyChangeTheNumber(newNumber: 1) {
                theNumber
              },
              second: promiseToChangeTheNumber(newNumber: 2) {
                theNumber
              },
              third: failToChangeTheNumber(newNumber: 3) {
                theNumber
              }
              fourth: promiseToChangeTheNumber(newNumber: 4) {
                theNumber
              },
              fifth: immediatelyChangeTheNumber(newNumber: 5) {
                theNumber
              }
              sixth: promiseAndFailToChangeTheNumber(newNumber: 6) {
                theNumber
              }
            }
            """,
        (
            {
                "first": {"theNumber": 1},
                "second": {"theNumber": 2},
                "third": None,
                "fourth": {"theNumber": 4},
                "fifth": {"theNumber": 5},
                "sixth": None,
            },
            [
                {
                    "message": "Cannot change the number to 3",
                    "locations": [(9, 15)],
                    "path": ["third"],
                },
                {
                    "message": "Cannot change the number to 6",
                    "locations": [(18, 15)],
                    "path": ["sixth"],
                },
            ],
        ),
        mutation=Mutation,
        root=root,
    )


async def test_mutation_inside_of_a_fragment() -> None:
    await check(
        Query,
        """
            mutation M {
              ...MutationFragment
              second: immediatelyChangeTheNumber(newNumber: 2) {
                theNumber
                    }
            }
            fragment MutationFragment on Mutation {
              first: promiseToChangeTheNumber(newNumber: 1) {
                theNumber
              },
            }
            """,
        ({"first": {"theNumber": 1}, "second": {"theNumber": 2}}, None),
        mutation=Mutation,
        root=root,
    )
