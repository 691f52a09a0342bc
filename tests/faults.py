"""Fault injection: what an unreachable, hung, slow or strict MongoDB does to a call, and
what a process killed mid-write leaves behind."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from pymongo.errors import AutoReconnect, ServerSelectionTimeoutError

from models.documents import utcnow
from models.driver_calls import CollectionProxy, CursorProxy, Fetch


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
    with db.wrapped(_Down if previous is None else (lambda coll: previous(_Down(coll)))):
        db.ping = ping
        try:
            yield
        finally:
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
    with db.wrapped(Stall):
        yield


# --- Driver-level faults a real server or driver produces and the emulator does not --------


def _longest_in(value: Any) -> int:
    """The longest `$in` list anywhere in a filter, update or pipeline."""
    if isinstance(value, dict):
        own = len(value["$in"]) if isinstance(value.get("$in"), list) else 0
        return max([own, *(_longest_in(v) for v in value.values())])
    if isinstance(value, list | tuple):
        return max([0, *(_longest_in(v) for v in value)])
    return 0


class _Wrapped(CollectionProxy):
    def __init__(self, inner: Any, before: Any, cursor: Any = None) -> None:
        super().__init__(inner)
        self._before = before
        self._cursor = cursor

    def _open(self, name: str, method: Any, a: tuple[Any, ...], k: dict[str, Any]) -> Any:
        self._before(name, a, k)
        cursor = method(*a, **k)
        return self._cursor(cursor) if self._cursor else cursor

    async def _call(self, name: str, method: Any, a: tuple[Any, ...], k: dict[str, Any]) -> Any:
        self._before(name, a, k)
        return await method(*a, **k)


@contextlib.contextmanager
def in_list_limit(db: Any, max_items: int) -> Iterator[None]:
    """Refuse any command carrying a `$in` list longer than `max_items`, as pymongo refuses
    a command over 16 MB (about 500k ids): scaled down so a test needs thousands, not
    millions, of documents."""
    from pymongo.errors import DocumentTooLarge

    def check(name: str, a: tuple[Any, ...], k: dict[str, Any]) -> None:
        if _longest_in([a, k]) > max_items:
            raise DocumentTooLarge(f"{name}: command document too large (simulated)")

    with db.wrapped(lambda coll: _Wrapped(coll, check)):
        yield


class _ShortCursor(CursorProxy):
    """A server cursor that dies after `limit` documents (cursor timeout, failover)."""

    def __init__(self, cursor: Any, limit: int) -> None:
        super().__init__(cursor)
        self._limit = limit
        self._served = 0

    async def _fetch(self, fetch: Fetch, many: bool) -> Any:
        from pymongo.errors import CursorNotFound

        got = await fetch()
        self._served += len(got) if many else 1
        if self._served > self._limit:
            raise CursorNotFound("cursor id not found (simulated: killed mid-read)", code=43)
        return got


@contextlib.contextmanager
def short_lived_cursors(db: Any, max_docs: int) -> Iterator[None]:
    """Every cursor fails once it has served more than `max_docs` documents."""
    with db.wrapped(
        lambda coll: _Wrapped(coll, lambda *_: None, lambda c: _ShortCursor(c, max_docs))
    ):
        yield


class SlowDriver:
    """Every call waits `seconds` first, like a driver thread blocked on a dead server;
    counts how many calls were in that state at once."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.active = 0
        self.peak = 0

    def wrap(self, coll: Any) -> Any:
        return _Slow(coll, self)


class _Slow(CollectionProxy):
    """Awaited calls wait; calls returning a cursor do not (the base passes them through)."""

    def __init__(self, inner: Any, driver: SlowDriver) -> None:
        super().__init__(inner)
        self._driver = driver

    async def _call(self, name: str, method: Any, a: tuple[Any, ...], k: dict[str, Any]) -> Any:
        driver = self._driver
        driver.active += 1
        driver.peak = max(driver.peak, driver.active)
        try:
            await asyncio.sleep(driver.seconds)
            return await method(*a, **k)
        finally:
            driver.active -= 1


class Gate:
    """A frozen driver that thaws: every awaited call waits until `release()` (cursor
    reads pass, as in SlowDriver); `waiting` counts the calls that reached it. `only`: one
    collection freezes, the others answer (a write held on its way to one shard)."""

    def __init__(self, only: str | None = None) -> None:
        self.opened = asyncio.Event()
        self.reached = asyncio.Event()  # set by the first call that froze
        self.waiting = 0
        self.only = only

    def wrap(self, coll: Any) -> Any:
        return _Gated(coll, self) if self.only in (None, coll.name) else coll

    def release(self) -> None:
        self.opened.set()


class _Gated(CollectionProxy):
    def __init__(self, inner: Any, gate: Gate) -> None:
        super().__init__(inner)
        self._gate = gate

    async def _call(self, name: str, method: Any, a: tuple[Any, ...], k: dict[str, Any]) -> Any:
        self._gate.waiting += 1
        self._gate.reached.set()
        await self._gate.opened.wait()
        return await method(*a, **k)


class HeldWrites:
    """Writes to one collection that reach the server late: each is handed over at once
    and lands only after `release()`, whether or not its caller is still waiting (a
    frozen replica, a write already on the wire when the request was cancelled)."""

    WRITES = ("update_one", "find_one_and_update", "update_many", "bulk_write")

    def __init__(self, collection: str) -> None:
        self.collection = collection
        self.released = asyncio.Event()
        self.reached = asyncio.Event()  # set by the first write held
        self.writes: list[asyncio.Task[Any]] = []

    def wrap(self, coll: Any) -> Any:
        return _Held(coll, self) if coll.name == self.collection else coll

    def release(self) -> None:
        self.released.set()

    async def landed(self) -> list[Any]:
        """Each held write's result (or error), once all have reached the server."""
        return await asyncio.gather(*self.writes, return_exceptions=True)


class _Held(CollectionProxy):
    def __init__(self, inner: Any, held: HeldWrites) -> None:
        super().__init__(inner)
        self._held = held

    async def _call(self, name: str, method: Any, a: tuple[Any, ...], k: dict[str, Any]) -> Any:
        if name not in HeldWrites.WRITES:
            return await method(*a, **k)

        async def later() -> Any:
            await self._held.released.wait()
            return await method(*a, **k)

        task = asyncio.ensure_future(later())
        self._held.writes.append(task)
        self._held.reached.set()
        return await asyncio.shield(task)  # cancelling the caller does not stop the write


class AnswerLost:
    """The `nth` write (counting from 1 across collections, the API clients' bookkeeping
    aside) is applied by the server and its answer lost: the connection closes after the
    server ran it, and the driver's one retry of a retryable write fails too (or, for
    `updateMany`, is never made), so the caller sees AutoReconnect for a write that
    happened. `hit` names the write that was lost. `error`: what the caller sees instead
    (a writeConcernError: applied on the primary, its replication unconfirmed)."""

    WRITES = ("insert_one", "update_one", "update_many", "find_one_and_update", "bulk_write")

    def __init__(self, nth: int, error: Callable[[], Exception] | None = None) -> None:
        self.nth = nth
        self.seen = 0
        self.hit: str | None = None
        self.error = error or (
            lambda: AutoReconnect("connection closed after the write (simulated stepdown)")
        )

    def wrap(self, coll: Any) -> Any:
        return _AnswerLost(coll, self)


class _AnswerLost(CollectionProxy):
    def __init__(self, inner: Any, lost: AnswerLost) -> None:
        super().__init__(inner)
        self._lost = lost

    async def _call(self, name: str, method: Any, a: tuple[Any, ...], k: dict[str, Any]) -> Any:
        result = await method(*a, **k)
        if name in AnswerLost.WRITES and self.name != "api_clients":
            self._lost.seen += 1
            if self._lost.seen == self._lost.nth:
                self._lost.hit = f"{self.name}.{name}"
                raise self._lost.error()
        return result


async def died_after_insert(db: Any, message_id: str, session_id: str, user_id: str) -> None:
    """A learner's message as a process killed right after recordMessage's first step
    leaves it, an hour ago: stored, guarded, not counted, no event recorded."""
    await db.messages.insert_one(
        {
            "_id": message_id,
            "session_id": session_id,
            "user_id": user_id,
            "role": "user",
            "content": "Written, then the process died.",
            "timestamp": utcnow() - timedelta(hours=1),
            "errors": [],
            "applied": False,
            "guarded": True,
        }
    )
