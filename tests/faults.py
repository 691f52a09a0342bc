"""Fault injection: make every MongoDB call fail as an unreachable server would."""

from __future__ import annotations

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

    db.set_wrapper(_Down)
    db.ping = ping
    try:
        yield
    finally:
        db.set_wrapper(None)
        db.ping = original_ping
