"""graphql-core's tests/execution/test_nonnull.py on Strawberry types, on every executor
(both.py). `DataType(throws=True)` is graphql-core's ThrowingData, `throws=False` its
NullingData; the `sync*` fields are synchronous resolvers, the `promise*` fields async
ones, and graphql-core's `execute_sync_and_async` (the same document with every sync
field renamed to its async twin, `patch`) is `check_sync_and_async`. Queries keep the
original's text, so the expected locations are the original's."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.extensions import DisableValidation

from tests.execution_ported.both import Answer, check, patch, patched

sync_error = RuntimeError("sync")
sync_non_null_error = RuntimeError("syncNonNull")
promise_error = RuntimeError("promise")
promise_non_null_error = RuntimeError("promiseNonNull")


@strawberry.type(name="DataType")
class DataType:
    throws: strawberry.Private[bool]

    @strawberry.field
    def sync(self) -> str | None:
        if self.throws:
            raise sync_error
        return None

    @strawberry.field
    def sync_non_null(self) -> str:
        if self.throws:
            raise sync_non_null_error
        return None  # type: ignore[return-value]

    @strawberry.field
    async def promise(self) -> str | None:
        if self.throws:
            raise promise_error
        return None

    @strawberry.field
    async def promise_non_null(self) -> str:
        if self.throws:
            raise promise_non_null_error
        return None  # type: ignore[return-value]

    @strawberry.field
    def sync_nest(self) -> DataType | None:
        return DataType(throws=self.throws)

    @strawberry.field
    def sync_non_null_nest(self) -> DataType:
        return DataType(throws=self.throws)

    @strawberry.field
    async def promise_nest(self) -> DataType | None:
        return DataType(throws=self.throws)

    @strawberry.field
    async def promise_non_null_nest(self) -> DataType:
        return DataType(throws=self.throws)


def throwing() -> DataType:
    return DataType(throws=True)


def nulling() -> DataType:
    return DataType(throws=False)


async def check_data(query: str, root: Any, expected: Answer) -> None:
    await check(DataType, query, expected, root=root)


async def check_sync_and_async(query: str, root: Any, expected: Answer) -> None:
    await check_data(query, root, expected)
    await check_data(patch(query), root, patched(expected))


NON_NULL_MESSAGE = "Cannot return null for non-nullable field DataType.{}."

NULLABLE_FIELD = """
            {
              sync
            }
            """


async def test_nulls_a_nullable_field_that_returns_null() -> None:
    await check_sync_and_async(NULLABLE_FIELD, nulling, ({"sync": None}, None))


async def test_nulls_a_nullable_field_that_throws() -> None:
    await check_sync_and_async(
        NULLABLE_FIELD,
        throwing,
        ({"sync": None}, [{"message": "sync", "path": ["sync"], "locations": [(3, 15)]}]),
    )


OBJECT_WITH_NON_NULL_FIELD = """
            {
              syncNest {
                syncNonNull,
              }
            }
            """


async def test_nulls_a_returned_object_that_contains_a_non_null_field_that_returns_null() -> None:
    await check_sync_and_async(
        OBJECT_WITH_NON_NULL_FIELD,
        nulling,
        (
            {"syncNest": None},
            [
                {
                    "message": NON_NULL_MESSAGE.format("syncNonNull"),
                    "path": ["syncNest", "syncNonNull"],
                    "locations": [(4, 17)],
                }
            ],
        ),
    )


async def test_nulls_a_returned_object_that_contains_a_non_null_field_that_throws() -> None:
    await check_sync_and_async(
        OBJECT_WITH_NON_NULL_FIELD,
        throwing,
        (
            {"syncNest": None},
            [
                {
                    "message": "syncNonNull",
                    "path": ["syncNest", "syncNonNull"],
                    "locations": [(4, 17)],
                }
            ],
        ),
    )


COMPLEX_TREE = """
            {
              syncNest {
                sync
                promise
                syncNest { sync promise }
                promiseNest { sync promise }
              }
              promiseNest {
                sync
                promise
                syncNest { sync promise }
                promiseNest { sync promise }
              }
            }
            """
COMPLEX_TREE_DATA = {
    "syncNest": {
        "sync": None,
        "promise": None,
        "syncNest": {"sync": None, "promise": None},
        "promiseNest": {"sync": None, "promise": None},
    },
    "promiseNest": {
        "sync": None,
        "promise": None,
        "syncNest": {"sync": None, "promise": None},
        "promiseNest": {"sync": None, "promise": None},
    },
}


async def test_nulls_a_complex_tree_of_nullable_fields_that_return_null() -> None:
    await check_data(COMPLEX_TREE, nulling, (COMPLEX_TREE_DATA, None))


def _error(message: str, path: list[Any], line: int, column: int) -> dict[str, Any]:
    return {"message": message, "path": path, "locations": [(line, column)]}


async def test_nulls_a_complex_tree_of_nullable_fields_that_throw() -> None:
    # graphql-core's order: every synchronous error first (depth first), then the async
    # ones as their gathers settle them.
    await check_data(
        COMPLEX_TREE,
        throwing,
        (
            COMPLEX_TREE_DATA,
            [
                _error("sync", ["syncNest", "sync"], 4, 17),
                _error("sync", ["syncNest", "syncNest", "sync"], 6, 28),
                _error("sync", ["promiseNest", "sync"], 10, 17),
                _error("sync", ["promiseNest", "syncNest", "sync"], 12, 28),
                _error("promise", ["syncNest", "promise"], 5, 17),
                _error("promise", ["syncNest", "syncNest", "promise"], 6, 33),
                _error("sync", ["syncNest", "promiseNest", "sync"], 7, 31),
                _error("promise", ["syncNest", "promiseNest", "promise"], 7, 36),
                _error("promise", ["promiseNest", "promise"], 11, 17),
                _error("promise", ["promiseNest", "syncNest", "promise"], 12, 33),
                _error("sync", ["promiseNest", "promiseNest", "sync"], 13, 31),
                _error("promise", ["promiseNest", "promiseNest", "promise"], 13, 36),
            ],
        ),
    )


LONG_CHAIN = """
            {
              syncNest {
                syncNonNullNest {
                  promiseNonNullNest {
                    syncNonNullNest {
                      promiseNonNullNest {
                        syncNonNull
                      }
                    }
                  }
                }
              }
              promiseNest {
                syncNonNullNest {
                  promiseNonNullNest {
                    syncNonNullNest {
                      promiseNonNullNest {
                        syncNonNull
                      }
                    }
                  }
                }
              }
              anotherNest: syncNest {
                syncNonNullNest {
                  promiseNonNullNest {
                    syncNonNullNest {
                      promiseNonNullNest {
                        promiseNonNull
                      }
                    }
                  }
                }
              }
              anotherPromiseNest: promiseNest {
                syncNonNullNest {
                  promiseNonNullNest {
                    syncNonNullNest {
                      promiseNonNullNest {
                        promiseNonNull
                      }
                    }
                  }
                }
              }
            }
            """
LONG_CHAIN_DATA = {
    "syncNest": None,
    "promiseNest": None,
    "anotherNest": None,
    "anotherPromiseNest": None,
}
CHAIN = ["syncNonNullNest", "promiseNonNullNest", "syncNonNullNest", "promiseNonNullNest"]


def _chain_errors(sync_message: str, promise_message: str) -> list[dict[str, Any]]:
    return [
        _error(sync_message, ["syncNest", *CHAIN, "syncNonNull"], 8, 25),
        _error(sync_message, ["promiseNest", *CHAIN, "syncNonNull"], 19, 25),
        _error(promise_message, ["anotherNest", *CHAIN, "promiseNonNull"], 30, 25),
        _error(promise_message, ["anotherPromiseNest", *CHAIN, "promiseNonNull"], 41, 25),
    ]


async def test_nulls_first_nullable_after_long_chain_of_non_null_fields_returning_null() -> None:
    await check_data(
        LONG_CHAIN,
        nulling,
        (
            LONG_CHAIN_DATA,
            _chain_errors(
                NON_NULL_MESSAGE.format("syncNonNull"), NON_NULL_MESSAGE.format("promiseNonNull")
            ),
        ),
    )


async def test_nulls_first_nullable_after_long_chain_of_non_null_fields_throwing() -> None:
    await check_data(
        LONG_CHAIN, throwing, (LONG_CHAIN_DATA, _chain_errors("syncNonNull", "promiseNonNull"))
    )


TOP_LEVEL_NON_NULL = """
            {
                syncNonNull
            }
            """


async def test_nulls_the_top_level_if_non_nullable_field_returns_null() -> None:
    await check_sync_and_async(
        TOP_LEVEL_NON_NULL,
        nulling,
        (None, [_error(NON_NULL_MESSAGE.format("syncNonNull"), ["syncNonNull"], 3, 17)]),
    )


async def test_nulls_the_top_level_if_non_nullable_field_throws() -> None:
    await check_sync_and_async(
        TOP_LEVEL_NON_NULL, throwing, (None, [_error("syncNonNull", ["syncNonNull"], 3, 17)])
    )


# Multiple errors for a single response position. graphql-core runs sibling fields
# concurrently with cancellation (gather_with_cancel): a slower sibling's error is added
# before the faster non-null error has nulled the shared position, so it is kept.


async def test_nullable_and_non_nullable_root_fields_throw_nested_errors() -> None:
    query = """
                {
                  promiseNonNullNest {
                    syncNonNull
                  }
                  promiseNest {
                    syncNonNull
                  }
                }
                """
    await check_data(
        query,
        throwing,
        (
            None,
            [
                _error("syncNonNull", ["promiseNest", "syncNonNull"], 7, 21),
                _error("syncNonNull", ["promiseNonNullNest", "syncNonNull"], 4, 21),
            ],
        ),
    )


async def test_slower_nullable_after_non_nullable_root_field() -> None:
    query = """
                {
                  promiseNonNullNest {
                    syncNonNull
                  }
                  promiseNest {
                    promiseNonNull
                  }
                }
                """
    await check_data(
        query,
        throwing,
        (
            None,
            [
                _error("promiseNonNull", ["promiseNest", "promiseNonNull"], 7, 21),
                _error("syncNonNull", ["promiseNonNullNest", "syncNonNull"], 4, 21),
            ],
        ),
    )


async def test_nullable_and_non_nullable_nested_fields_throw_nested_errors() -> None:
    query = """
                {
                  syncNest {
                    promiseNonNullNest {
                      syncNonNull
                    }
                    promiseNest {
                      syncNonNull
                    }
                  }
                }
                """
    await check_data(
        query,
        throwing,
        (
            {"syncNest": None},
            [
                _error("syncNonNull", ["syncNest", "promiseNest", "syncNonNull"], 8, 23),
                _error("syncNonNull", ["syncNest", "promiseNonNullNest", "syncNonNull"], 5, 23),
            ],
        ),
    )


async def test_slower_nullable_after_non_nullable_nested_field() -> None:
    query = """
                {
                  syncNest {
                    promiseNonNullNest {
                      syncNonNull
                    }
                    promiseNest {
                      promiseNest {
                        promiseNest {
                          promiseNonNull
                        }
                      }
                    }
                  }
                }
                """
    nest = ["syncNest", "promiseNest", "promiseNest", "promiseNest", "promiseNonNull"]
    await check_data(
        query,
        throwing,
        (
            {"syncNest": None},
            [
                _error("promiseNonNull", nest, 10, 27),
                _error("syncNonNull", ["syncNest", "promiseNonNullNest", "syncNonNull"], 5, 23),
            ],
        ),
    )


# Non-null arguments: the same field with a synchronous and an async resolver. Three
# documents are invalid; graphql-core executes them unvalidated ("validation should
# identify this issue first, however execution should still protect against this"), as
# a schema with validation disabled does here.


@strawberry.type(name="Query")
class SyncArgQuery:
    @strawberry.field
    def with_non_null_arg(self, cannot_be_null: str) -> str | None:
        return "Passed: " + str(cannot_be_null)


@strawberry.type(name="Query")
class AsyncArgQuery:
    @strawberry.field
    async def with_non_null_arg(self, cannot_be_null: str) -> str | None:
        return "Passed: " + str(cannot_be_null)


async def check_argument(
    query: str, expected: Answer, variables: dict[str, Any] | None = None
) -> None:
    for query_type in (SyncArgQuery, AsyncArgQuery):
        await check(
            query_type, query, expected, variables=variables, extensions=(DisableValidation,)
        )


async def test_succeeds_when_passed_non_null_literal_value() -> None:
    await check_argument(
        """
                    query {
                      withNonNullArg (cannotBeNull: "literal value")
                    }
                    """,
        ({"withNonNullArg": "Passed: literal value"}, None),
    )


async def test_succeeds_when_passed_non_null_variable_value() -> None:
    await check_argument(
        """
                    query ($testVar: String!) {
                      withNonNullArg (cannotBeNull: $testVar)
                    }
                    """,
        ({"withNonNullArg": "Passed: variable value"}, None),
        {"testVar": "variable value"},
    )


async def test_succeeds_when_missing_variable_has_default_value() -> None:
    await check_argument(
        """
                    query ($testVar: String = "default value") {
                      withNonNullArg (cannotBeNull: $testVar)
                    }
                    """,
        ({"withNonNullArg": "Passed: default value"}, None),
        {},
    )


async def test_field_error_when_missing_non_null_arg() -> None:
    await check_argument(
        """
                    query {
                      withNonNullArg
                    }
                    """,
        (
            {"withNonNullArg": None},
            [
                _error(
                    "Argument 'cannotBeNull' of required type 'String!' was not provided.",
                    ["withNonNullArg"],
                    3,
                    23,
                )
            ],
        ),
    )


async def test_field_error_when_non_null_arg_provided_null() -> None:
    await check_argument(
        """
                    query {
                      withNonNullArg(cannotBeNull: null)
                    }
                    """,
        (
            {"withNonNullArg": None},
            [
                _error(
                    "Argument 'cannotBeNull' has invalid value:"
                    " Expected value of non-null type 'String!' not to be None.",
                    ["withNonNullArg"],
                    3,
                    52,
                )
            ],
        ),
    )


async def test_field_error_when_non_null_arg_not_provided_variable_value() -> None:
    await check_argument(
        """
                    query ($testVar: String) {
                      withNonNullArg(cannotBeNull: $testVar)
                    }
                    """,
        (
            {"withNonNullArg": None},
            [
                _error(
                    "Argument 'cannotBeNull' has invalid value:"
                    " Expected variable '$testVar' provided to type"
                    " 'String!' to provide a runtime value.",
                    ["withNonNullArg"],
                    3,
                    52,
                )
            ],
        ),
        {},
    )


async def test_field_error_when_non_null_arg_provided_explicit_null_variable() -> None:
    await check_argument(
        """
                    query ($testVar: String = "default value") {
                      withNonNullArg (cannotBeNull: $testVar)
                    }
                    """,
        (
            {"withNonNullArg": None},
            [
                _error(
                    "Argument 'cannotBeNull' has invalid value:"
                    " Expected variable '$testVar' provided to non-null type"
                    " 'String!' not to be None.",
                    ["withNonNullArg"],
                    3,
                    53,
                )
            ],
        ),
        {"testVar": None},
    )
