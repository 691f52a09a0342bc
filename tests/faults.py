"""Fault injection: make every MongoDB call fail as an unreachable server would."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

from pymongo.errors import ServerSelectionTimeoutError


class _Down:
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr

        def fail(*_a: Any, **_k: Any) -> Any:
            raise ServerSelectionTimeoutError("No servers available (simulated outage)")

        return fail


@contextlib.contextmanager
def mongo_down(db: Any) -> Iterator[None]:
    """Every collection call and the ping fail until the block ends."""
    original_ping = db.ping

    async def ping(*_a: Any, **_k: Any) -> None:
        raise ServerSelectionTimeoutError("No servers available (simulated outage)")

    previous = db.wrap  # e.g. the metrics observer: it sees the failures too
    db.set_wrapper(_Down if previous is None else (lambda coll: previous(_Down(coll))))
    db.ping = ping
    try:
        yield
    finally:
        db.set_wrapper(previous)
        db.ping = original_ping


class Stall:
    """Stands in for any driver call or cursor: awaiting it never completes.

    `cancelled` counts the awaits that were cancelled, i.e. work that was really stopped.
    """

    cancelled = 0

    def __init__(self, _inner: Any = None) -> None:
        pass

    def __getattr__(self, _name: str) -> Any:
        return self

    def __call__(self, *_a: Any, **_k: Any) -> Stall:
        return self

    def __await__(self) -> Any:
        return self._forever().__await__()

    def __aiter__(self) -> Stall:
        return self

    async def __anext__(self) -> Any:
        return await self._forever()

    async def _forever(self) -> Any:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            Stall.cancelled += 1
            raise


@contextlib.contextmanager
def mongo_stalls(db: Any) -> Iterator[None]:
    """Every collection call hangs (a server that accepts and never answers)."""
    db.set_wrapper(Stall)
    try:
        yield
    finally:
        db.set_wrapper(None)
