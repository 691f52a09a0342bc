"""Record once, replay forever: the driver boundary made instant for CPU measurements.

`Replay().wrap` is a `Database.set_wrapper` hook. The first time a given read (collection,
method, filter/pipeline, projection, sort, limit) is issued it goes to the real database
and its documents are kept; every later identical read returns the kept documents without
touching the database. Both the gateway and the hand-written endpoint read through the same
store, so neither side pays any database time once warmed up, and both get the same rows
(a fresh top-level document per read, of the class the driver decoded it into, as a
driver returns). The CPU the store itself spends
(lookup keys, copies) is counted in `cpu_s` so measurements can leave it out; over HTTP
(bench --http-quick) it counts as server CPU, so a read is first looked up by the pickled
bytes of its arguments (one C call, cheaper than `repr` of a page's ObjectIds; `repr` where
an argument cannot be pickled) and only a new text pays for the canonical key. Writes are
not supported (the CPU workloads only read).
"""

from __future__ import annotations

import pickle
import time
from collections.abc import AsyncIterator
from typing import Any

READS = frozenset({"find", "aggregate", "find_one", "count_documents"})


def _canonical(value: Any, under_in: bool = False) -> Any:
    """A hashable, order-insensitive-where-MongoDB-is form: `$in` lists are sets, and the
    loaders build them from Python sets whose order varies between requests."""
    if isinstance(value, dict):
        return tuple((k, _canonical(v, k == "$in")) for k, v in value.items())
    if isinstance(value, list | tuple):
        items = tuple(_canonical(v) for v in value)
        return tuple(sorted(items, key=repr)) if under_in else items
    return value


def _text(read: tuple[Any, ...]) -> bytes | str:
    """The fast lookup key: equal reads give equal bytes (a set-built `$in` list in another
    order gives other bytes, and the canonical key then finds the same record)."""
    try:
        return pickle.dumps(read, pickle.HIGHEST_PROTOCOL)
    except Exception:  # an unpicklable argument: repr still names the read
        return repr(read)


class _Cursor:
    def __init__(self, owner: _Collection, method: str, args: tuple[Any, ...], kw: Any) -> None:
        self._owner, self._method, self._args, self._kw = owner, method, args, kw
        self._chain: list[tuple[str, Any]] = []

    def sort(self, *a: Any) -> _Cursor:
        self._chain.append(("sort", a))
        return self

    def limit(self, *a: Any) -> _Cursor:
        self._chain.append(("limit", a))
        return self

    async def _docs(self) -> list[Any]:
        """Fresh top-level documents per read, as a driver returns (readers may pop keys),
        of the recorded class (a collection's codec may decode into a dict subclass)."""
        owner = self._owner._owner
        start = time.thread_time()
        texts = self._owner.texts
        text = _text((self._method, self._args, self._kw, self._chain))
        docs = texts.get(text)
        if docs is None:
            docs = await self._canonical_read()
            texts[text] = docs
        fresh = [type(d)(d) for d in docs]
        owner.cpu_s += time.thread_time() - start
        return fresh

    async def _canonical_read(self) -> list[Any]:
        owner = self._owner._owner
        key = (self._method, _canonical(self._args), _canonical(self._kw), _canonical(self._chain))
        store = self._owner.store
        docs = store.get(key)
        if docs is None:
            owner.misses += 1
            cursor = getattr(self._owner.inner, self._method)(*self._args, **self._kw)
            if self._method == "aggregate":  # awaited, as PyMongo's async aggregate is
                cursor = await cursor
            for name, arg in self._chain:
                cursor = getattr(cursor, name)(*arg)
            docs = [d async for d in cursor]
            store[key] = docs
        return docs

    async def to_list(self, length: int | None = None) -> list[Any]:
        return await self._docs()

    async def __aiter__(self) -> AsyncIterator[Any]:
        for doc in await self._docs():
            yield doc


class _Collection:
    def __init__(self, inner: Any, store: dict[Any, Any], owner: Replay) -> None:
        self.inner, self.store, self._owner = inner, store, owner
        # a read's arguments as bytes -> its documents (several texts may name one read:
        # `$in` lists built from sets in another order)
        self.texts: dict[bytes | str, list[Any]] = {}

    @property
    def name(self) -> str:
        return str(self.inner.name)

    @property
    def misses(self) -> int:
        return self._owner.misses

    @misses.setter
    def misses(self, n: int) -> None:
        self._owner.misses = n

    def find(self, *a: Any, **k: Any) -> _Cursor:
        return _Cursor(self, "find", a, k)

    async def aggregate(self, *a: Any, **k: Any) -> _Cursor:
        return _Cursor(self, "aggregate", a, k)

    async def find_one(self, *a: Any, **k: Any) -> Any:
        start = time.thread_time()
        key = ("find_one", _canonical(a), _canonical(k))
        if key not in self.store:
            self.misses += 1
            self.store[key] = await self.inner.find_one(*a, **k)
        doc = self.store[key]
        doc = type(doc)(doc) if doc is not None else None
        self._owner.cpu_s += time.thread_time() - start
        return doc

    async def count_documents(self, *a: Any, **k: Any) -> int:
        start = time.thread_time()
        key = ("count_documents", _canonical(a), _canonical(k))
        if key not in self.store:
            self.misses += 1
            self.store[key] = await self.inner.count_documents(*a, **k)
        self._owner.cpu_s += time.thread_time() - start
        return int(self.store[key])

    def __getattr__(self, name: str) -> Any:
        if name in READS:  # pragma: no cover - defined above
            raise AttributeError(name)
        raise RuntimeError(f"replay supports reads only; {name} was called")


class Replay:
    def __init__(self) -> None:
        self.misses = 0
        # CPU spent in the store itself (building lookup keys, copying rows): database
        # time, subtracted from both sides' measurements.
        self.cpu_s = 0.0
        self._stores: dict[tuple[str, type], dict[Any, Any]] = {}

    def wrap(self, collection: Any) -> Any:
        # Views of one collection decoding into different classes keep separate records:
        # the same read returns dicts through one and Rows through the other.
        document_class = collection.codec_options.document_class
        store = self._stores.setdefault((collection.name, document_class), {})
        return _Collection(collection, store, self)
