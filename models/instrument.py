"""Counting (and optionally slowing) every collection call: round-trip tests and benchmarks.

Install with `db.set_wrapper(RoundTrips().wrap)`. Each driver call that goes to the server
counts once (a find is counted when issued, an aggregate when awaited; getMore batches of
very large results are not counted separately). Metrics count commands instead, from the
driver's events (`models.events`).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

from models.driver_calls import CollectionProxy, FirstFetchHook


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
