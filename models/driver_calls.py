"""What every wrapper of a driver collection or cursor relies on.

Round-trip counting, the benchmarks' replay and the tests' fault injection sit between the
facade (`models.db.Collection`) and the driver's collections (PyMongo's async ones or the
embedded adapter's). They share one list of which collection methods are round trips, a
collection wrapper that routes exactly those calls through its hooks, and a cursor wrapper
that stays chainable like the driver's while each fetch goes through `_fetch`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Self

# Collection methods returning a cursor: the round trip happens when the cursor is read.
CURSOR_CALLS = frozenset({"find"})

# Collection methods that are one awaited round trip each (`aggregate` returns a cursor
# holding its first batch, as PyMongo's async one does).
AWAITED_CALLS = frozenset(
    {
        "aggregate",
        "find_one",
        "count_documents",
        "estimated_document_count",
        "insert_one",
        "insert_many",
        "update_one",
        "update_many",
        "replace_one",
        "find_one_and_update",
        "find_one_and_replace",
        "find_one_and_delete",
        "delete_one",
        "delete_many",
        "bulk_write",
        "distinct",
    }
)

# Every call that reads or writes documents (what round-trip counts and faults apply to).
DATA_CALLS = AWAITED_CALLS | CURSOR_CALLS

Fetch = Callable[[], Coroutine[Any, Any, Any]]


class CollectionProxy:
    """A driver collection whose data calls go through `_open` (calls returning a cursor)
    and `_call` (awaited calls); every other attribute is the inner collection's own."""

    awaited_calls: frozenset[str] = AWAITED_CALLS

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name in CURSOR_CALLS:

            def open_cursor(*a: Any, **k: Any) -> Any:
                return self._open(name, attr, a, k)

            return open_cursor
        if name in self.awaited_calls:

            async def call(*a: Any, **k: Any) -> Any:
                return await self._call(name, attr, a, k)

            return call
        return attr

    def _open(
        self, name: str, method: Callable[..., Any], a: tuple[Any, ...], k: dict[str, Any]
    ) -> Any:
        return method(*a, **k)

    async def _call(
        self, name: str, method: Callable[..., Any], a: tuple[Any, ...], k: dict[str, Any]
    ) -> Any:
        return await method(*a, **k)


class CursorProxy:
    """A driver cursor whose fetches (`to_list`, each step of `async for`) go through
    `_fetch`; sort/limit/skip/batch_size still chain, returning the proxy itself."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._cursor, name)
        if name in ("sort", "limit", "skip", "batch_size"):

            def chain(*a: Any, **k: Any) -> CursorProxy:
                attr(*a, **k)
                return self

            return chain
        if name == "to_list":

            async def to_list(*a: Any, **k: Any) -> Any:
                return await self._fetch(lambda: attr(*a, **k), many=True)

            return to_list
        return attr

    def __aiter__(self) -> Self:
        self._iter = self._cursor.__aiter__()
        return self

    async def __anext__(self) -> Any:
        return await self._fetch(self._iter.__anext__, many=False)

    async def _fetch(self, fetch: Fetch, many: bool) -> Any:
        """`fetch()` is one `to_list` (`many`) or the next document of an iteration."""
        return await fetch()


class FirstFetchHook(CursorProxy):
    """A cursor that awaits `hook()` once, before its first fetch (its first round trip)."""

    def __init__(self, cursor: Any, hook: Callable[[], Awaitable[None]]) -> None:
        super().__init__(cursor)
        self._hook = hook
        self._hooked = False

    async def _fetch(self, fetch: Fetch, many: bool) -> Any:
        if not self._hooked:
            self._hooked = True
            await self._hook()
        return await fetch()
