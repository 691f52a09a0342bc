"""Counting (and optionally slowing) every collection call: round-trip tests and benchmarks.

Install with `db.set_wrapper(RoundTrips().wrap)`. Each driver call that goes to the server
counts once (a find or aggregate is counted when issued; getMore batches of very large
results are not counted separately).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

from models.driver_calls import CURSOR_CALLS, DATA_CALLS, CollectionProxy, FirstFetchHook


class _Collection(CollectionProxy):
    def __init__(self, inner: Any, owner: RoundTrips) -> None:
        super().__init__(inner)
        self._owner = owner

    def _open(
        self, name: str, method: Callable[..., Any], a: tuple[Any, ...], k: dict[str, Any]
    ) -> Any:
        owner = self._owner
        owner.calls[(self._inner.name, name)] += 1
        cursor = method(*a, **k)
        if not owner.latency:
            return cursor
        delay = owner.latency  # the first fetch pays it, once per cursor
        return FirstFetchHook(cursor, lambda: asyncio.sleep(delay))

    async def _call(
        self, name: str, method: Callable[..., Any], a: tuple[Any, ...], k: dict[str, Any]
    ) -> Any:
        owner = self._owner
        owner.calls[(self._inner.name, name)] += 1
        if owner.latency:
            await asyncio.sleep(owner.latency)
        return await method(*a, **k)


class RoundTrips:
    def __init__(self, latency_ms: float = 0.0) -> None:
        self.calls: Counter[tuple[str, str]] = Counter()
        self.latency = latency_ms / 1000.0

    def wrap(self, collection: Any) -> Any:
        return _Collection(collection, self)

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def reset(self) -> None:
        self.calls.clear()


class _ObservedCollection:
    """Reports each driver call, and each failed awaited call, to the observer's callbacks."""

    def __init__(self, inner: Any, observer: CallObserver) -> None:
        self._inner = inner
        self._observer = observer

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name not in DATA_CALLS:
            return attr
        on_call, on_error, coll = self._observer.on_call, self._observer.on_error, self._inner.name
        if name in CURSOR_CALLS:

            def cursor_call(*a: Any, **k: Any) -> Any:
                on_call(coll, name)
                return attr(*a, **k)

            wrapped: Any = cursor_call
        else:

            async def call(*a: Any, **k: Any) -> Any:
                on_call(coll, name)
                try:
                    return await attr(*a, **k)
                except Exception as exc:
                    on_error(coll, name, exc)
                    raise

            wrapped = call
        # Bound methods do not change: later lookups skip __getattr__.
        self.__dict__[name] = wrapped
        return wrapped


class CallObserver:
    """Install with `db.set_wrapper(CallObserver(on_call, on_error).wrap)` (e.g. for metrics).

    `on_call(collection, op)` runs for every driver call, `on_error(collection, op, exc)`
    for every awaited call that raised (a find's or aggregate's errors surface while
    iterating the cursor and are not reported).
    """

    def __init__(
        self,
        on_call: Callable[[str, str], None],
        on_error: Callable[[str, str, BaseException], None],
    ) -> None:
        self.on_call = on_call
        self.on_error = on_error

    def wrap(self, collection: Any) -> Any:
        return _ObservedCollection(collection, self)
