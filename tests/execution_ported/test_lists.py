"""graphql-core's tests/execution/test_lists.py on Strawberry types, on every executor
(both.py). graphql-core's `Data(list_field)` root is a Strawberry `Query` whose
`listField` is read three ways: a plain attribute (the plan's PLAIN field), a synchronous
resolver and an async resolver returning the value; each case runs all three. Values
are built fresh for every run (generators and coroutines are used up by one)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import cache
from typing import Any

import strawberry

from tests.execution_ported.both import Answer, check

STYLES = ("attribute", "sync", "async")


@cache
def list_query(annotation: Any, style: str) -> type:
    """A `Query` type with one field `listField: <annotation>` read the given way."""
    if style == "attribute":
        ns: dict[str, Any] = {"__annotations__": {"list_field": annotation}}
    else:

        def sync(self: Any) -> Any:
            return self.value

        async def async_(self: Any) -> Any:
            return self.value

        ns = {
            "__annotations__": {"value": strawberry.Private[Any]},
            "list_field": strawberry.field(
                resolver=sync if style == "sync" else async_, graphql_type=annotation
            ),
        }
    return strawberry.type(type("Query", (), ns))


def data(annotation: Any, style: str, value: Any) -> Any:
    cls = list_query(annotation, style)
    return cls(list_field=value) if style == "attribute" else cls(value=value)


async def check_list(
    annotation: Any,
    make: Callable[[], Any],
    expected: Answer,
    styles: tuple[str, ...] = STYLES,
    after: Callable[[Any], Any] | None = None,
    planned: bool | None = True,
) -> None:
    for style in styles:
        await check(
            list_query(annotation, style),
            "{ listField }",
            expected,
            root=lambda style=style: data(annotation, style, make()),  # type: ignore[misc]
            after=after,
            planned=planned,
        )


async def get_async(value: Any) -> Any:
    return value


StrList = list[str | None] | None


# -- any iterable as a list value -----------------------------------------------------------


async def test_accepts_a_list_as_a_list_value() -> None:
    for value in ([], ["just an apple"], ["apple", "banana", "coconut"]):
        await check_list(StrList, lambda value=value: list(value), ({"listField": value}, None))  # type: ignore[misc]


async def test_accepts_a_tuple_as_a_list_value() -> None:
    value = ("apple", "banana", "coconut")
    await check_list(StrList, lambda: value, ({"listField": list(value)}, None))


async def test_accepts_a_set_as_a_list_value() -> None:
    # Sets are not ordered; one set's iteration order is the same for every executor.
    value = {"apple", "banana", "coconut"}
    await check_list(StrList, lambda: value, ({"listField": list(value)}, None))


async def test_accepts_a_generator_as_a_list_value() -> None:
    def list_field() -> Any:
        yield "one"
        yield 2
        yield True

    await check_list(StrList, list_field, ({"listField": ["one", "2", "true"]}, None))


class HelloWorld:
    def __iter__(self) -> Any:
        self.last = "hello"
        return self

    def __next__(self) -> str:
        last = self.last
        if last == "stop":
            raise StopIteration
        self.last = "world" if last == "hello" else "stop"
        return last


async def test_accepts_a_custom_iterable_as_a_list_value() -> None:
    await check_list(StrList, HelloWorld, ({"listField": ["hello", "world"]}, None))


async def test_accepts_function_arguments_as_a_list_value() -> None:
    def get_args(*args: Any) -> Any:
        return args

    await check_list(StrList, lambda: get_args("one", "two"), ({"listField": ["one", "two"]}, None))


NOT_ITERABLE = {
    "message": "Expected Iterable, but did not find one for field 'Query.listField'.",
    "locations": [(1, 3)],
    "path": ["listField"],
}


async def test_does_not_accept_a_dict_as_a_list_value() -> None:
    await check_list(StrList, lambda: {1: "one", 2: "two"}, ({"listField": None}, [NOT_ITERABLE]))


async def test_does_not_accept_iterable_string_literal_as_a_list_value() -> None:
    await check_list(StrList, lambda: "Singular", ({"listField": None}, [NOT_ITERABLE]))


# -- abrupt completion in synchronous iterables ---------------------------------------------


class Counting:
    """An iterator over `steps`: a value, an exception to raise, or a callable giving the
    value (called when reached); counts the calls of __next__."""

    def __init__(self, steps: list[Any]) -> None:
        self.steps = steps
        self.next_calls = 0
        self.returned = False

    def __iter__(self) -> Any:
        return self

    def __next__(self) -> Any:
        self.next_calls += 1
        if self.next_calls > len(self.steps):
            raise StopIteration
        step = self.steps[self.next_calls - 1]
        if isinstance(step, Exception):
            raise step
        return step() if callable(step) else step

    def close(self) -> None:  # graphql-core does not close it: it drains it
        self.returned = True


def _root_list(root: Any) -> Any:
    return root.value if hasattr(root, "value") else root.list_field


async def test_drains_the_iterator_when_next_throws() -> None:
    def after(root: Any) -> None:
        iterator = _root_list(root)
        assert (iterator.next_calls, iterator.returned) == (3, False)

    await check_list(
        StrList,
        lambda: Counting(["ok", RuntimeError("bad")]),
        ({"listField": None}, [{"message": "bad", "locations": [(1, 3)], "path": ["listField"]}]),
        styles=("attribute", "sync"),  # an async resolver's value is consumed the same way
        after=after,
    )


NULL_ITEM = {
    "message": "Cannot return null for non-nullable field Query.listField.",
    "locations": [(1, 3)],
    "path": ["listField", 1],
}


async def test_drains_the_iterator_when_a_null_bubbles_up_from_a_non_null_item() -> None:
    def after(root: Any) -> None:
        iterator = _root_list(root)
        assert (iterator.next_calls, iterator.returned) == (4, False)  # 3 items + the end

    await check_list(
        list[int] | None,
        lambda: Counting([1, None, 2]),
        ({"listField": None}, [NULL_ITEM]),
        after=after,
    )


async def test_handles_iterator_errors_with_later_pending_awaitables() -> None:
    awaited: list[str] = []

    async def reject(message: str) -> None:
        awaited.append(message)
        raise RuntimeError(message)

    async def after(root: Any) -> None:
        iterator = _root_list(root)
        assert (iterator.next_calls, iterator.returned) == (4, False)
        # the later awaitable was drained and settled in the background, not orphaned
        for _ in range(5):
            await asyncio.sleep(0)
        assert awaited == ["later bad"]
        awaited.clear()

    await check_list(
        list[int | None] | None,
        lambda: Counting([1, RuntimeError("bad"), lambda: reject("later bad")]),
        ({"listField": None}, [{"message": "bad", "locations": [(1, 3)], "path": ["listField"]}]),
        after=after,
    )


async def test_handles_sync_errors_with_later_pending_awaitables() -> None:
    awaited: list[str] = []

    async def reject(message: str) -> str:
        awaited.append(message)
        raise RuntimeError(message)

    async def after(root: Any) -> None:
        iterator = _root_list(root)
        assert (iterator.next_calls, iterator.returned) == (4, False)
        for _ in range(5):
            await asyncio.sleep(0)
        assert sorted(awaited) == ["first bad", "third bad"]
        awaited.clear()

    await check_list(
        list[str],
        lambda: Counting([lambda: reject("first bad"), None, lambda: reject("third bad")]),
        (None, [NULL_ITEM]),
        after=after,
    )


# -- async iterables as list values ---------------------------------------------------------


async def test_accepts_an_async_generator_as_a_list_value() -> None:
    async def list_field() -> Any:
        yield "two"
        yield 4
        yield False

    await check_list(StrList, list_field, ({"listField": ["two", "4", "false"]}, None))


class AsyncHelloWorld:
    def __aiter__(self) -> Any:
        self.last = "hello"
        return self

    async def __anext__(self) -> str:
        last = self.last
        if last == "stop":
            raise StopAsyncIteration
        self.last = "world" if last == "hello" else "stop"
        return last


async def test_accepts_a_custom_async_iterable_as_a_list_value() -> None:
    await check_list(StrList, AsyncHelloWorld, ({"listField": ["hello", "world"]}, None))


class BothIterables:
    """Both an iterable and an async iterable: graphql-core iterates it asynchronously."""

    stop = False

    def __iter__(self) -> Any:
        return self

    def __next__(self) -> str:
        if self.stop:
            raise StopIteration
        self.stop = True
        return "hello"

    def __aiter__(self) -> Any:
        return self

    async def __anext__(self) -> str:
        if self.stop:
            raise StopAsyncIteration
        self.stop = True
        return "world"


async def test_an_iterable_that_is_also_an_async_iterable_is_iterated_asynchronously() -> None:
    await check_list(StrList, BothIterables, ({"listField": ["world"]}, None))


async def test_handles_an_async_generator_that_throws() -> None:
    async def list_field() -> Any:
        yield "two"
        yield 4
        raise RuntimeError("bad")

    await check_list(
        StrList,
        list_field,
        ({"listField": None}, [{"message": "bad", "locations": [(1, 3)], "path": ["listField"]}]),
    )


async def test_handles_an_async_generator_where_intermediate_value_triggers_an_error() -> None:
    async def list_field() -> Any:
        yield "two"
        yield {}
        yield 4

    await check_list(
        StrList,
        list_field,
        (
            {"listField": ["two", None, "4"]},
            [
                {
                    "message": "String cannot represent value: {}",
                    "locations": [(1, 3)],
                    "path": ["listField", 1],
                }
            ],
        ),
    )


async def test_handles_nulls_yielded_by_async_generator() -> None:
    async def list_field() -> Any:
        yield 1
        yield None
        yield 2

    answer = ({"listField": [1, None, 2]}, None)
    await check_list(list[int | None] | None, list_field, answer)
    await check_list(list[int | None], list_field, answer)
    await check_list(list[int] | None, list_field, ({"listField": None}, [NULL_ITEM]))
    await check_list(list[int], list_field, (None, [NULL_ITEM]))


class ClosingAsync:
    values = (1, None, 2)

    def __init__(self) -> None:
        self.index = 0
        self.closed = False

    def __aiter__(self) -> Any:
        return self

    async def __anext__(self) -> Any:
        value = self.values[self.index]
        self.index += 1
        return value

    async def aclose(self) -> None:
        self.closed = True


async def test_calls_aclose_when_non_null_list_item_errors() -> None:
    def after(root: Any) -> None:
        assert _root_list(root).closed

    await check_list(
        list[int] | None, ClosingAsync, ({"listField": None}, [NULL_ITEM]), after=after
    )


# Object lists from an async generator, their items' `index` resolved sync or async.


@strawberry.type(name="ObjectWrapper")
class AsyncWrapper:
    number: strawberry.Private[int]
    fail_at: strawberry.Private[int | None]

    @strawberry.field
    async def index(self) -> str:
        if self.number == self.fail_at:
            raise RuntimeError("bad")
        return self.number  # type: ignore[return-value]


@strawberry.type(name="ObjectWrapper")
class MixedWrapper:
    number: strawberry.Private[int]
    awaited: strawberry.Private[list[str]]

    @strawberry.field
    def index(self) -> str:
        if self.number == 0:

            async def reject(message: str) -> str:
                self.awaited.append(message)
                raise RuntimeError(message)

            return reject("bad")  # type: ignore[return-value]
        raise RuntimeError("also bad")


@strawberry.type(name="Query")
class AsyncObjects:
    count: strawberry.Private[int]
    fail_at: strawberry.Private[int | None]

    @strawberry.field
    async def list_field(self) -> list[AsyncWrapper | None] | None:
        for number in range(self.count):
            yield AsyncWrapper(number=number, fail_at=self.fail_at)  # type: ignore[misc]


@strawberry.type(name="Query")
class MixedObjects:
    awaited: strawberry.Private[list[str]]

    @strawberry.field
    async def list_field(self) -> list[MixedWrapper] | None:
        for number in range(3):
            yield MixedWrapper(number=number, awaited=self.awaited)  # type: ignore[misc]


async def test_handles_async_functions_from_complete_value_in_async_iterables() -> None:
    await check(
        AsyncObjects,
        "{ listField { index } }",
        ({"listField": [{"index": "0"}, {"index": "1"}, {"index": "2"}]}, None),
        root=lambda: AsyncObjects(count=3, fail_at=None),
    )


async def test_handles_single_async_functions_from_complete_value_in_async_iterables() -> None:
    await check(
        AsyncObjects,
        "{ listField { index } }",
        ({"listField": [{"index": "0"}]}, None),
        root=lambda: AsyncObjects(count=1, fail_at=None),
    )


async def test_handles_async_errors_from_complete_value_in_async_iterables() -> None:
    await check(
        AsyncObjects,
        "{ listField { index } }",
        (
            {"listField": [{"index": "0"}, {"index": "1"}, None]},
            [{"message": "bad", "locations": [(1, 15)], "path": ["listField", 2, "index"]}],
        ),
        root=lambda: AsyncObjects(count=3, fail_at=2),
    )


async def test_handles_mixture_of_sync_and_async_errors_in_async_iterables() -> None:
    async def after(root: Any) -> None:
        for _ in range(5):
            await asyncio.sleep(0)
        # the earlier pending awaitable was settled in the background, not orphaned
        assert root.awaited == ["bad"]

    await check(
        MixedObjects,
        "{ listField { index } }",
        (
            {"listField": None},
            [{"message": "also bad", "locations": [(1, 15)], "path": ["listField", 1, "index"]}],
        ),
        root=lambda: MixedObjects(awaited=[]),
        after=after,
    )


# -- list nullability -----------------------------------------------------------------------


NULLABILITY = {
    "[Int]": list[int | None] | None,
    "[Int]!": list[int | None],
    "[Int!]": list[int] | None,
    "[Int!]!": list[int],
}


async def check_nullability(value: Any, expected: dict[str, Answer]) -> None:
    """graphql-core's `_complete`: the value as it is, as an awaitable, and (a list) as a
    list of awaitables, all with the same answer."""
    forms: list[Callable[[], Any]] = [lambda: get_async(value)]
    if isinstance(value, list):
        forms.append(lambda: [get_async(item) for item in value])
    for as_type, answer in expected.items():
        await check_list(NULLABILITY[as_type], lambda: value, answer)
        for form in forms:
            # An async resolver's value is awaited once: an awaitable it returns is the
            # value (not graphql-core's case), so these forms are read the sync ways.
            await check_list(NULLABILITY[as_type], form, answer, styles=("attribute", "sync"))


async def test_contains_values() -> None:
    answer = ({"listField": [1, 2]}, None)
    await check_nullability([1, 2], dict.fromkeys(NULLABILITY, answer))


async def test_contains_null() -> None:
    await check_nullability(
        [1, None, 2],
        {
            "[Int]": ({"listField": [1, None, 2]}, None),
            "[Int]!": ({"listField": [1, None, 2]}, None),
            "[Int!]": ({"listField": None}, [NULL_ITEM]),
            "[Int!]!": (None, [NULL_ITEM]),
        },
    )


async def test_returns_null() -> None:
    error = {**NULL_ITEM, "path": ["listField"]}
    await check_nullability(
        None,
        {
            "[Int]": ({"listField": None}, None),
            "[Int]!": (None, [error]),
            "[Int!]": ({"listField": None}, None),
            "[Int!]!": (None, [error]),
        },
    )


async def test_contains_error() -> None:
    errors = [{"message": "bad", "locations": [(1, 3)], "path": ["listField", 1]}]
    await check_nullability(
        [1, RuntimeError("bad"), 2],
        {
            "[Int]": ({"listField": [1, None, 2]}, errors),
            "[Int]!": ({"listField": [1, None, 2]}, errors),
            "[Int!]": ({"listField": None}, errors),
            "[Int!]!": (None, errors),
        },
    )


async def test_results_in_errors() -> None:
    errors = [{"message": "bad", "locations": [(1, 3)], "path": ["listField"]}]
    await check_nullability(
        RuntimeError("bad"),
        {
            "[Int]": ({"listField": None}, errors),
            "[Int]!": (None, errors),
            "[Int!]": ({"listField": None}, errors),
            "[Int!]!": (None, errors),
        },
    )
