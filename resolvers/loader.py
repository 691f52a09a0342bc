"""The DataLoader the request's loaders use: Strawberry's semantics, less work per key.

A nested level loads hundreds of keys at once (schema/batching.py). Strawberry's DataLoader
spends, per key, a LoaderTask, a done callback (one event-loop turn per key when the batch
is settled) and, for load_many, gather's own callback and loop turn. Here a key is a future
in a list, a future tells its batch directly when it is cancelled, and load_many waits
with one callback per batch. What a caller sees is the same: the same batches (keys of one
loop tick, at most max_batch_size each), the same cache (a cancelled future is replaced on
the next load), prime/prime_many/clear, an exception instance in load_fn's answer failing
its key only, load_fn's exception failing the whole batch, and a batch whose callers are
all cancelled skipping its query or, if it already started, being cancelled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from strawberry.exceptions import WrongNumberOfResultsReturned

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class _Batch:
    __slots__ = ("dispatched", "futures", "keys", "n_cancelled", "task")

    def __init__(self) -> None:
        self.keys: list[Any] = []
        self.futures: list[_KeyFuture] = []
        self.dispatched = False
        self.n_cancelled = 0
        self.task: asyncio.Task[None] | None = None

    def one_cancelled(self) -> None:
        """Every caller went away: stop the query in flight (Strawberry does the same). A
        batch not dispatched yet skips its query itself when it finds no one waiting
        (cancelling its task before it ran would leave it undispatched, and later keys
        joining it would wait forever)."""
        self.n_cancelled += 1
        task = self.task
        if (
            self.dispatched
            and task is not None
            and not task.done()
            and self.n_cancelled >= len(self.futures)
            and all(f.cancelled() for f in self.futures)
        ):
            task.cancel()


class _KeyFuture(asyncio.Future[Any]):
    """A key's future that tells its batch when it is cancelled (no done callback)."""

    _batch: _Batch | None = None

    def cancel(self, msg: Any = None) -> bool:
        cancelled = super().cancel(msg)
        if cancelled and self._batch is not None:
            self._batch.one_cancelled()
        return cancelled


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()  # retrieved: no "exception was never retrieved" warning


class _AllResults(asyncio.Future[list[Any]]):
    """What gather(*futures) answers, without gather's callback and loop turn per future.

    The futures of one load_many are settled a batch at a time: one callback waits for the
    first future still pending and, when it fires, the scan resumes from there, so there
    are as many callbacks as batches, not as keys. As with gather, the first failure (in
    key order here) is the answer, a future cancelled on its own fails this one with
    CancelledError, and cancelling this one cancels every future at once (a batch whose
    callers all went away skips its query: gateway/deadline.py).
    """

    def __init__(self, futures: list[asyncio.Future[Any]], loop: asyncio.AbstractEventLoop):
        super().__init__(loop=loop)
        self._futures = futures
        self._next = 0
        self._settle()

    def _settle(self, _done: asyncio.Future[Any] | None = None) -> None:
        if self.done():
            return
        futures, i, n = self._futures, self._next, len(self._futures)
        while i < n:
            future = futures[i]
            if not future.done():
                self._next = i
                future.add_done_callback(self._settle)
                return
            if future.cancelled() or future.exception() is not None:
                self._fail(future)
                return
            i += 1
        self.set_result(list(map(asyncio.Future.result, futures)))

    def _fail(self, failed: asyncio.Future[Any]) -> None:
        if failed.cancelled():
            self.set_exception(asyncio.CancelledError())
        else:
            self.set_exception(failed.exception())  # type: ignore[arg-type]
        for future in self._futures:
            if future.done():
                _retrieve(future)
            else:
                future.add_done_callback(_retrieve)

    def cancel(self, msg: Any = None) -> bool:
        if self.done():
            return False
        for future in self._futures:
            future.cancel(msg)
        return super().cancel(msg)


class BatchLoader(Generic[K, T]):
    """load_fn(keys) -> one value (or exception instance) per key, in order."""

    def __init__(
        self,
        load_fn: Callable[[list[K]], Awaitable[Sequence[T | BaseException]]],
        max_batch_size: int | None = None,
        cache: bool = True,
    ) -> None:
        self.load_fn = load_fn
        self.max_batch_size = max_batch_size
        self.cache = cache
        self._cache: dict[K, asyncio.Future[Any]] = {}
        self._batch: _Batch | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    def load(self, key: K) -> Awaitable[T]:
        if self.cache:
            cached = self._cache.get(key)
            if cached is not None and not cached.cancelled():
                return cached
        batch = self._batch
        if (
            batch is None
            or not batch.keys
            or batch.dispatched
            or (self.max_batch_size and len(batch.keys) >= self.max_batch_size)
        ):
            batch = self._new_batch()
        future = _KeyFuture(loop=self.loop)
        future._batch = batch
        if self.cache:
            self._cache[key] = future
        batch.keys.append(key)
        batch.futures.append(future)
        return future

    def load_many(self, keys: Iterable[K]) -> Awaitable[list[T]]:
        futures: list[asyncio.Future[Any]] = list(map(self.load, keys))  # type: ignore[arg-type]
        return _AllResults(futures, self.loop)

    def clear(self, key: K) -> None:
        if self.cache:
            del self._cache[key]

    def clear_many(self, keys: Iterable[K]) -> None:
        for key in keys:
            self.clear(key)

    def clear_all(self) -> None:
        self._cache.clear()

    def prime(self, key: K, value: T, force: bool = False) -> None:
        self.prime_many({key: value}, force)

    def prime_many(self, data: Mapping[K, T], force: bool = False) -> None:
        if self.cache:
            for key, value in data.items():
                if key not in self._cache or force:
                    future: asyncio.Future[Any] = self.loop.create_future()
                    future.set_result(value)
                    self._cache[key] = future
        # Keys waiting in the batch not yet sent get the value and leave the batch.
        batch = self._batch
        if batch is not None and not batch.dispatched:
            hit = False
            for key, waiting in zip(batch.keys, batch.futures, strict=True):
                if key in data and not waiting.done():
                    waiting.set_result(data[key])
                    hit = True
            if hit:
                kept = [
                    (k, f) for k, f in zip(batch.keys, batch.futures, strict=True) if not f.done()
                ]
                batch.keys = [k for k, _ in kept]
                batch.futures = [f for _, f in kept]

    def _new_batch(self) -> _Batch:
        batch = self._batch = _Batch()

        def schedule() -> None:
            batch.task = asyncio.ensure_future(self._dispatch(batch))

        self.loop.call_soon(schedule)
        return batch

    async def _dispatch(self, batch: _Batch) -> None:
        batch.dispatched = True
        keys, futures = batch.keys, batch.futures
        try:
            if not keys or all(f.cancelled() for f in futures):
                return  # nobody waits: no query
            await self._settle(keys, futures)
        finally:
            # A key's future points at its batch: without this the batch and its futures
            # (and the rows they hold) would be a cycle left for the garbage collector.
            batch.futures = []

    async def _settle(self, keys: list[Any], futures: list[_KeyFuture]) -> None:
        try:
            values = list(await self.load_fn(keys))
            if len(values) != len(keys):
                raise WrongNumberOfResultsReturned(expected=len(keys), received=len(values))
            for future, value in zip(futures, values, strict=True):
                if future.done():
                    continue
                if isinstance(value, BaseException):
                    future.set_exception(value)
                else:
                    future.set_result(value)
        except Exception as exc:  # every waiting caller gets it
            for future in futures:
                if not future.done():
                    future.set_exception(exc)
