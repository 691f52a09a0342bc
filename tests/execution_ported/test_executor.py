"""graphql-core's tests/execution/test_executor.py on Strawberry types, on every executor
(both.py). Where graphql-core runs a case with synchronous resolvers, it runs here twice:
resolvers returning their values, and the same resolvers returning awaitables of them
(`asynchronous=True`), which must give the same answer.

Not ported, because Strawberry (not the executor) answers them or cannot express them:
operation selection errors (no operation, several without a name, unknown name:
Strawberry refuses them before execution), subscriptions, a custom field or type
resolver, `max_coercion_errors`, a custom `is_type_of`, @defer/@stream (not in the
schema without Strawberry's experimental flag), and the tests of graphql-core's own
classes (Executor.build, CollectedErrors, collect_subfields memoization)."""

from __future__ import annotations

import asyncio
import warnings
from dataclasses import dataclass
from typing import Annotated, Any, NewType

import pytest
import strawberry
from graphql import GraphQLError
from graphql.pyutils import Undefined
from strawberry import Info
from strawberry.extensions import DisableValidation

from tests.execution_ported.both import check

UNCHECKED = (DisableValidation,)  # graphql-core executes these documents unvalidated


async def _value(value: Any) -> Any:
    return value


@dataclass
class Mode:
    """Values as they are, or (asynchronous) as awaitables of themselves."""

    asynchronous: strawberry.Private[bool]

    def out(self, value: Any) -> Any:
        return _value(value) if self.asynchronous else value


# -- executes arbitrary code ----------------------------------------------------------------


@strawberry.type(name="DataType")
class Data(Mode):
    f: str | None = "Fish"

    @strawberry.field
    def a(self) -> str | None:
        return self.out("Apple")  # type: ignore[no-any-return]

    @strawberry.field
    def b(self) -> str | None:
        return self.out("Banana")  # type: ignore[no-any-return]

    @strawberry.field
    def c(self) -> str | None:
        return self.out("Cookie")  # type: ignore[no-any-return]

    @strawberry.field
    def d(self) -> str | None:
        return self.out("Donut")  # type: ignore[no-any-return]

    @strawberry.field
    def e(self) -> str | None:
        return self.out("Egg")  # type: ignore[no-any-return]

    @strawberry.field
    def pic(self, size: int | None) -> str | None:
        return self.out(f"Pic of size: {size}")  # type: ignore[no-any-return]

    @strawberry.field
    def deep(self) -> DeepData | None:
        return self.out(DeepData(asynchronous=self.asynchronous))  # type: ignore[no-any-return]

    @strawberry.field
    def promise(self) -> Data | None:
        async def promise_data() -> Data:
            await asyncio.sleep(0)
            return Data(asynchronous=self.asynchronous)

        return promise_data()  # type: ignore[return-value]


@strawberry.type(name="DeepDataType")
class DeepData(Mode):
    @strawberry.field
    def a(self) -> str | None:
        return self.out("Already Been Done")  # type: ignore[no-any-return]

    @strawberry.field
    def b(self) -> str | None:
        return self.out("Boring")  # type: ignore[no-any-return]

    @strawberry.field
    def c(self) -> list[str | None] | None:
        return self.out(["Contrived", None, "Confusing"])  # type: ignore[no-any-return]

    @strawberry.field
    def deeper(self) -> list[Data | None] | None:
        mode = self.asynchronous
        return self.out([Data(asynchronous=mode), None, Data(asynchronous=mode)])  # type: ignore[no-any-return]


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_executes_arbitrary_code(asynchronous: bool) -> None:
    document = """
            query ($size: Int) {
              a,
              b,
              x: c
              ...c
              f
              ...on DataType {
                pic(size: $size)
                promise {
                  a
                }
              }
              deep {
                a
                b
                c
                deeper {
                  a
                  b
                }
              }
            }

            fragment c on DataType {
              d
              e
            }
            """
    expected = (
        {
            "a": "Apple",
            "b": "Banana",
            "x": "Cookie",
            "d": "Donut",
            "e": "Egg",
            "f": "Fish",
            "pic": "Pic of size: 100",
            "promise": {"a": "Apple"},
            "deep": {
                "a": "Already Been Done",
                "b": "Boring",
                "c": ["Contrived", None, "Confusing"],
                "deeper": [{"a": "Apple", "b": "Banana"}, None, {"a": "Apple", "b": "Banana"}],
            },
        },
        None,
    )
    await check(
        Data,
        document,
        expected,
        root=lambda: Data(asynchronous=asynchronous),
        variables={"size": 100},
        impure=True,  # `promise` returns an awaitable
    )


# -- merges parallel fragments --------------------------------------------------------------


@strawberry.type(name="Type")
class Fruits(Mode):
    @strawberry.field
    def a(self) -> str | None:
        return self.out("Apple")  # type: ignore[no-any-return]

    @strawberry.field
    def b(self) -> str | None:
        return self.out("Banana")  # type: ignore[no-any-return]

    @strawberry.field
    def c(self) -> str | None:
        return self.out("Cherry")  # type: ignore[no-any-return]

    @strawberry.field
    def deep(self) -> Fruits | None:
        return self.out(Fruits(asynchronous=self.asynchronous))  # type: ignore[no-any-return]


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_merges_parallel_fragments(asynchronous: bool) -> None:
    document = """
            { a, ...FragOne, ...FragTwo }

            fragment FragOne on Type {
              b
              deep { b, deeper: deep { b } }
            }

            fragment FragTwo on Type {
              c
              deep { c, deeper: deep { c } }
            }
            """
    expected = (
        {
            "a": "Apple",
            "b": "Banana",
            "c": "Cherry",
            "deep": {"b": "Banana", "c": "Cherry", "deeper": {"b": "Banana", "c": "Cherry"}},
        },
        None,
    )
    await check(
        Fruits,
        document,
        expected,
        root=lambda: Fruits(asynchronous=asynchronous),
        impure=asynchronous,
    )


# -- info, root value and arguments a resolver receives --------------------------------------


@strawberry.type(name="Test")
class InfoRecorder:
    seen: strawberry.Private[list[Any]]

    @strawberry.field
    def test(self, info: Info) -> str | None:
        self.seen.append(info._raw_info)
        return None

    @strawberry.field
    async def test_async(self, info: Info) -> str | None:
        self.seen.append(info._raw_info)
        return None


async def test_provides_info_about_current_execution_state() -> None:
    for field in ("test", "testAsync"):
        document = f"query ($var: String) {{ result: {field} }}"

        def after(root: InfoRecorder, field: str = field) -> None:
            (info,) = root.seen
            assert info.field_name == field
            assert [node.name.value for node in info.field_nodes] == [field]
            assert str(info.return_type) == "String"
            assert info.parent_type.name == "Test"
            assert (info.path.prev, info.path.key, info.path.typename) == (None, "result", "Test")
            assert info.root_value is root
            assert info.operation.selection_set.selections[0] is info.field_nodes[0]
            assert info.variable_values == {"var": "abc"}
            assert info.fragments == {}

        await check(
            InfoRecorder,
            document,
            ({"result": None}, None),
            root=lambda: InfoRecorder(seen=[]),
            variables={"var": "abc"},
            after=after,
            extensions=UNCHECKED,  # $var is unused
        )


@strawberry.type(name="SomeObject")
class SomeObject:
    seen: strawberry.Private[list[Any]]

    @strawberry.field
    def test(self, info: Info) -> str | None:
        self.seen.append(info.path)
        return None


@strawberry.type(name="Other")
class Other:
    name: str | None = None


SomeUnion = Annotated[SomeObject | Other, strawberry.union("SomeUnion")]


@strawberry.type(name="SomeQuery")
class PathQuery:
    seen: strawberry.Private[list[Any]]

    @strawberry.field
    def test(self) -> list[SomeObject]:
        return [SomeObject(seen=self.seen)]

    @strawberry.field
    def union_test(self) -> list[SomeUnion]:
        return [SomeObject(seen=self.seen)]


async def test_it_populates_path_correctly_with_complex_types() -> None:
    """graphql-core's case reads through a union: abstract types are not in the plan, so
    that document runs on standard execution; the same path through an object type runs
    on the plan."""

    def after(root: PathQuery) -> None:
        (path,) = root.seen
        assert (path.key, path.typename) == ("l2", "SomeObject")
        assert (path.prev.key, path.prev.typename) == (0, None)
        assert (path.prev.prev.key, path.prev.prev.typename) == ("l1", "SomeQuery")
        assert path.prev.prev.prev is None

    for field, planned in (("test", True), ("unionTest", False)):
        document = f"""
            query {{
              l1: {field} {{
                ... on SomeObject {{
                  l2: test
                }}
              }}
            }}
            """
        await check(
            PathQuery,
            document,
            ({"l1": [{"l2": None}]}, None),
            root=lambda: PathQuery(seen=[]),
            after=after,
            planned=planned,
        )


@strawberry.type(name="Type")
class RootRecorder:
    seen: strawberry.Private[list[Any]]

    @strawberry.field
    def a(self) -> str | None:
        self.seen.append(self)
        return None

    @strawberry.field
    def b(
        self, num_arg: int | None = strawberry.UNSET, string_arg: str | None = None
    ) -> str | None:
        self.seen.append({"numArg": num_arg, "stringArg": string_arg})
        return None


async def test_threads_root_value_context_correctly() -> None:
    def after(root: RootRecorder) -> None:
        assert len(root.seen) == 1 and root.seen[0] is root

    await check(
        RootRecorder,
        "query Example { a }",
        ({"a": None}, None),
        root=lambda: RootRecorder(seen=[]),
        after=after,
    )


async def test_correctly_threads_arguments() -> None:
    def after(root: RootRecorder) -> None:
        assert root.seen == [{"numArg": 123, "stringArg": "foo"}]

    await check(
        RootRecorder,
        """
            query Example {
              b(numArg: 123, stringArg: "foo")
            }
            """,
        ({"b": None}, None),
        root=lambda: RootRecorder(seen=[]),
        after=after,
    )


# -- errors -----------------------------------------------------------------------------------


@strawberry.type(name="Type")
class ErrorData:
    @strawberry.field
    def sync_ok(self) -> str | None:
        return "sync ok"

    @strawberry.field
    def sync_error(self) -> str | None:
        raise GraphQLError("Error getting syncError")

    @strawberry.field
    def sync_raw_error(self) -> str | None:
        raise Exception("Error getting syncRawError")

    @strawberry.field
    def sync_return_error(self) -> str | None:
        return Exception("Error getting syncReturnError")  # type: ignore[return-value]

    @strawberry.field
    def sync_return_error_list(self) -> list[str | None] | None:
        return [
            "sync0",
            Exception("Error getting syncReturnErrorList1"),  # type: ignore[list-item]
            "sync2",
            Exception("Error getting syncReturnErrorList3"),  # type: ignore[list-item]
        ]

    @strawberry.field
    async def async_ok(self) -> str | None:
        return "async ok"

    @strawberry.field
    async def async_error(self) -> str | None:
        raise GraphQLError("Error getting asyncError")

    @strawberry.field
    async def async_raw_error(self) -> str | None:
        raise Exception("Error getting asyncRawError")

    @strawberry.field
    async def async_return_error(self) -> str | None:
        return GraphQLError("Error getting asyncReturnError")  # type: ignore[return-value]

    @strawberry.field
    async def async_return_error_with_extensions(self) -> str | None:
        return GraphQLError(  # type: ignore[return-value]
            "Error getting asyncReturnErrorWithExtensions", extensions={"foo": "bar"}
        )


def _error(message: str, path: list[Any], line: int, column: int) -> dict[str, Any]:
    return {"message": message, "path": path, "locations": [(line, column)]}


async def test_nulls_out_error_subtrees() -> None:
    document = """
            {
              syncOk
              syncError
              syncRawError
              syncReturnError
              syncReturnErrorList
              asyncOk
              asyncError
              asyncRawError
              asyncReturnError
              asyncReturnErrorWithExtensions
            }
            """
    await check(
        ErrorData,
        document,
        (
            {
                "syncOk": "sync ok",
                "syncError": None,
                "syncRawError": None,
                "syncReturnError": None,
                "syncReturnErrorList": ["sync0", None, "sync2", None],
                "asyncOk": "async ok",
                "asyncError": None,
                "asyncRawError": None,
                "asyncReturnError": None,
                "asyncReturnErrorWithExtensions": None,
            },
            [
                _error("Error getting syncError", ["syncError"], 4, 15),
                _error("Error getting syncRawError", ["syncRawError"], 5, 15),
                _error("Error getting syncReturnError", ["syncReturnError"], 6, 15),
                _error("Error getting syncReturnErrorList1", ["syncReturnErrorList", 1], 7, 15),
                _error("Error getting syncReturnErrorList3", ["syncReturnErrorList", 3], 7, 15),
                _error("Error getting asyncError", ["asyncError"], 9, 15),
                _error("Error getting asyncRawError", ["asyncRawError"], 10, 15),
                _error("Error getting asyncReturnError", ["asyncReturnError"], 11, 15),
                {
                    **_error(
                        "Error getting asyncReturnErrorWithExtensions",
                        ["asyncReturnErrorWithExtensions"],
                        12,
                        15,
                    ),
                    "extensions": {"foo": "bar"},
                },
            ],
        ),
        root=ErrorData,
    )


@strawberry.type(name="Query")
class SyncAndAsyncNulls:
    finished: strawberry.Private[list[bool]]

    @strawberry.field
    def sync_null_error(self) -> str:
        return None  # type: ignore[return-value]

    @strawberry.field
    async def async_null_error(self) -> str:
        self.finished.append(True)
        return None  # type: ignore[return-value]


async def test_handles_sync_errors_combined_with_async_ones() -> None:
    async def after(root: SyncAndAsyncNulls) -> None:
        # the pending async resolver is settled in the background, not orphaned
        for _ in range(5):
            await asyncio.sleep(0)
        assert root.finished == [True]

    await check(
        SyncAndAsyncNulls,
        """
            {
              asyncNullError
              syncNullError
            }
            """,
        (
            None,
            [
                _error(
                    "Cannot return null for non-nullable field Query.syncNullError.",
                    ["syncNullError"],
                    4,
                    15,
                )
            ],
        ),
        root=lambda: SyncAndAsyncNulls(finished=[]),
        after=after,
    )


@strawberry.type(name="Query")
class Bubbling:
    @strawberry.field
    async def async_non_null_error(self) -> str:
        await asyncio.sleep(0)
        return None  # type: ignore[return-value]

    @strawberry.field
    async def async_error(self) -> str | None:
        await asyncio.sleep(0)
        raise RuntimeError("Oops")


async def test_handles_async_bubbling_errors_combined_with_non_bubbling() -> None:
    # Order is important here, as the nullable error should resolve first.
    await check(
        Bubbling,
        """
            {
                asyncError
                asyncNonNullError
            }
            """,
        (
            None,
            [
                _error("Oops", ["asyncError"], 3, 17),
                _error(
                    "Cannot return null for non-nullable field Query.asyncNonNullError.",
                    ["asyncNonNullError"],
                    4,
                    17,
                ),
            ],
        ),
    )


@strawberry.type(name="A")
class A(Mode):
    @strawberry.field
    def nullable_a(self) -> A | None:
        return self.out(A(asynchronous=self.asynchronous))  # type: ignore[no-any-return]

    @strawberry.field
    def non_null_a(self) -> A:
        return self.out(A(asynchronous=self.asynchronous))  # type: ignore[no-any-return]

    @strawberry.field
    def throws(self) -> A:
        error = Exception("Catch me if you can")
        if self.asynchronous:
            return _failing(error)  # type: ignore[return-value]
        raise error


async def _failing(error: Exception) -> Any:
    raise error


@strawberry.type(name="query")
class AQuery(Mode):
    @strawberry.field
    def nullable_a(self) -> A | None:
        return self.out(A(asynchronous=self.asynchronous))  # type: ignore[no-any-return]


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_full_response_path_is_included_for_non_nullable_fields(asynchronous: bool) -> None:
    document = """
            query {
              nullableA {
                aliasedA: nullableA {
                  nonNullA {
                    anotherA: nonNullA {
                      throws
                    }
                  }
                }
              }
            }
            """
    await check(
        AQuery,
        document,
        (
            {"nullableA": {"aliasedA": None}},
            [
                _error(
                    "Catch me if you can",
                    ["nullableA", "aliasedA", "nonNullA", "anotherA", "throws"],
                    7,
                    23,
                )
            ],
        ),
        root=lambda: AQuery(asynchronous=asynchronous),
        extensions=UNCHECKED,  # `throws` has no selection
        impure=asynchronous,
    )


# -- operations -------------------------------------------------------------------------------


@strawberry.type(name="Type")
class Plain:
    a: str | None = "b"


async def test_uses_the_inline_operation_if_no_operation_name_is_provided() -> None:
    await check(Plain, "{ a }", ({"a": "b"}, None), root=Plain)


async def test_uses_the_only_operation_if_no_operation_name_is_provided() -> None:
    await check(Plain, "query Example { a }", ({"a": "b"}, None), root=Plain)


async def test_uses_the_named_operation_if_operation_name_is_provided() -> None:
    await check(
        Plain,
        """
            query Example { first: a }
            query OtherExample { second: a }
            """,
        ({"second": "b"}, None),
        root=Plain,
        operation_name="OtherExample",
    )


@strawberry.type(name="Q")
class Q:
    a: str | None = "b"


@strawberry.type(name="M")
class M:
    c: str | None = "d"


@strawberry.type
class QAndM:
    a: str | None = "b"
    c: str | None = "d"


async def test_uses_the_query_schema_for_queries() -> None:
    await check(
        Q,
        """
            query Q { a }
            mutation M { c }
            """,
        ({"a": "b"}, None),
        mutation=M,
        root=QAndM,
        operation_name="Q",
    )


async def test_uses_the_mutation_schema_for_mutations() -> None:
    await check(
        Q,
        """
            query Q { a }
            mutation M { c }
            """,
        ({"c": "d"}, None),
        mutation=M,
        root=QAndM,
        operation_name="M",
    )


@strawberry.type(name="Type")
class Ordering:
    @strawberry.field
    def a(self) -> str | None:
        return "a"

    @strawberry.field
    async def b(self) -> str | None:
        return "b"

    @strawberry.field
    def c(self) -> str | None:
        return "c"

    @strawberry.field
    async def d(self) -> str | None:
        return "d"

    @strawberry.field
    def e(self) -> str | None:
        return "e"


async def test_correct_field_ordering_despite_execution_order() -> None:
    (answer,) = [({"a": "a", "b": "b", "c": "c", "d": "d", "e": "e"}, None)]
    await check(Ordering, "{ a, b, c, d, e}", answer, root=Ordering)
    assert list(answer[0]) == ["a", "b", "c", "d", "e"]


async def test_avoids_recursion() -> None:
    await check(
        Plain,
        """
            query Q {
              a
              ...Frag
              ...Frag
            }

            fragment Frag on Type {
              a,
              ...Frag
            }
            """,
        ({"a": "b"}, None),
        root=Plain,
        operation_name="Q",
        extensions=UNCHECKED,
    )


@strawberry.type(name="SomeType")
class SomeType:
    b: str | None = "c"


@strawberry.type(name="Query")
class SubSelections:
    @strawberry.field
    def a(self) -> SomeType | None:
        return SomeType()


async def test_ignores_missing_sub_selections_on_fields() -> None:
    await check(SubSelections, "{ a }", ({"a": {}}, None), extensions=UNCHECKED)


async def test_does_not_include_illegal_fields_in_output() -> None:
    await check(Plain, "{ thisIsIllegalDoNotIncludeMe }", ({}, None), extensions=UNCHECKED)


@strawberry.type(name="Type")
class Arguments:
    @strawberry.field
    def field(
        self,
        a: bool | None = strawberry.UNSET,
        b: bool | None = strawberry.UNSET,
        c: bool | None = strawberry.UNSET,
        d: int | None = strawberry.UNSET,
        e: int | None = strawberry.UNSET,
    ) -> str | None:
        given = {"a": a, "b": b, "c": c, "d": d, "e": e}
        return repr({k: v for k, v in given.items() if v is not strawberry.UNSET})


async def test_does_not_include_arguments_that_were_not_set() -> None:
    await check(
        Arguments,
        "{ field(a: true, c: false, e: 0) }",
        ({"field": "{'a': True, 'c': False, 'e': 0}"}, None),
    )


def _undefined(_value: Any) -> Any:
    return Undefined


with warnings.catch_warnings():
    # graphql-core's custom scalar as a class-less Strawberry scalar (the deprecated form
    # is the one that needs no schema config)
    warnings.simplefilter("ignore", DeprecationWarning)
    CustomScalar = strawberry.scalar(
        NewType("CustomScalar", str), serialize=_undefined, parse_value=lambda value: value
    )
    CustomInt = strawberry.scalar(
        NewType("CustomInt", int), serialize=_undefined, parse_value=lambda value: value
    )


@strawberry.type(name="Query")
class Custom:
    custom_int: CustomInt | None = 7  # type: ignore[valid-type]

    @strawberry.field
    def custom_scalar(self) -> CustomScalar | None:  # type: ignore[valid-type]
        return "CUSTOM_VALUE"  # type: ignore[return-value]


async def test_fails_when_coerce_output_value_of_custom_scalar_does_not_return_a_value() -> None:
    message = (
        "Expected `{}.coerce_output_value({})` to return non-nullable value, returned: Undefined"
    )
    await check(
        Custom,
        "{ customScalar }",
        (
            {"customScalar": None},
            [_error(message.format("CustomScalar", "'CUSTOM_VALUE'"), ["customScalar"], 1, 3)],
        ),
        root=Custom,
    )
    # The same through a plain field of a value the plan's leaf shortcuts coerce inline.
    await check(
        Custom,
        "{ customInt }",
        ({"customInt": None}, [_error(message.format("CustomInt", "7"), ["customInt"], 1, 3)]),
        root=Custom,
    )


@strawberry.type(name="Query")
class Foo:
    foo: str | None = None


async def test_executes_ignoring_invalid_non_executable_definitions() -> None:
    await check(
        Foo,
        """
            { foo }

            type Query { bar: String }
            """,
        ({"foo": None}, None),
        root=Foo,
        extensions=UNCHECKED,
    )
