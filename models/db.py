"""The only module that knows which MongoDB driver is in use.

Real Motor client when MONGO_URI is set, an in-process mongomock-motor database otherwise.
Everything else talks to the collections exposed here (Motor's API, which PyMongo's async
client mirrors), so moving to Beanie 2 / PyMongo async is a change to this file only.

mongomock runs every call synchronously: nothing interleaves, upserts are atomic and some
aggregation stages are missing. `EmbeddedCollection` teaches it what production code relies
on (`$unionWith`) and, with `interleave=True`, makes it race like a server: every call
yields to the event loop first and an upsert is a match, a yield, then an insert that
raises DuplicateKeyError when another writer inserted the same key in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import bson
from beanie import init_beanie
from bson.codec_options import CodecOptions
from bson.tz_util import utc
from pymongo.errors import (
    AutoReconnect,
    ConnectionFailure,
    DuplicateKeyError,
    ExecutionTimeout,
    NetworkTimeout,
    OperationFailure,
    ServerSelectionTimeoutError,
    WTimeoutError,
)

from models.documents import DOCUMENT_MODELS
from models.driver_calls import (
    AWAITED_CALLS,
    CollectionProxy,
    CursorProxy,
    Fetch,
    FirstFetchHook,
)
from models.rows import Row

COLLECTIONS = {
    "users": "users",
    "sessions": "sessions",
    "messages": "messages",
    "error_stats": "error_stats",
    "exercises": "exercises",
    "cost_daily": "cost_daily",
    "cost_totals": "cost_totals",
    "daily_sets": "daily_sets",
    "provider_daily": "provider_daily",
    "cost_dims": "cost_dims",
    "api_clients": "api_clients",
    "annotations": "annotations",
}


class DatabaseBusy(ConnectionFailure):
    """Too many operations of this process are already waiting on MongoDB."""


# Exceptions that mean "the database is unreachable or timed out", as opposed to a bad query.
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    AutoReconnect,
    ConnectionFailure,
    DatabaseBusy,
    ExecutionTimeout,
    NetworkTimeout,
    ServerSelectionTimeoutError,
    WTimeoutError,
    asyncio.TimeoutError,
)

# Ids per `$in` list in batch tools: far below the 16 MB command limit (~500k UUIDs).
IN_CHUNK = 1000

__all__ = [
    "IN_CHUNK",
    "UNAVAILABLE_ERRORS",
    "Database",
    "DatabaseBusy",
    "DuplicateKeyError",
    "Gate",
    "chunks",
    "connect",
    "pages_by_id",
]

# Collection methods that are one round trip each (awaited directly).
ASYNC_CALLS = AWAITED_CALLS | {"index_information", "create_indexes", "drop_index"}
UPSERT_CALLS = frozenset({"update_one", "update_many", "replace_one", "find_one_and_update"})
# Awaited calls whose result holds stored documents (decoded with the codec's document_class).
DOCUMENT_CALLS = frozenset(
    {"find_one", "find_one_and_update", "find_one_and_replace", "find_one_and_delete", "distinct"}
)


def chunks(items: list[Any], size: int | None = None) -> list[list[Any]]:
    """Split an id list so no `$in` outgrows a command (pymongo refuses > 16 MB)."""
    n = size or IN_CHUNK
    return [items[i : i + n] for i in range(0, len(items), n)]


# --- Bounding in-flight work ------------------------------------------------------------


class Gate:
    """At most `limit` database operations of this process in flight at once.

    Motor runs every operation on a thread; cancelling the request that awaited it does
    not stop the thread, which stays busy until the driver's own timeout. The slot is
    therefore released when the operation really ends, not when its caller gives up, and a
    caller that cannot get a slot within `wait_s` fails with DatabaseBusy (503) instead of
    queueing behind a starved thread pool.
    """

    def __init__(self, limit: int, wait_s: float) -> None:
        self.limit = limit
        self.wait_s = wait_s
        self.in_flight = 0
        self._sem = asyncio.Semaphore(limit)

    async def run(self, make: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
        try:
            async with asyncio.timeout(self.wait_s):
                await self._sem.acquire()
        except TimeoutError:
            raise DatabaseBusy(
                f"{self.limit} database operations already in flight; try again"
            ) from None
        self.in_flight += 1
        task = asyncio.ensure_future(make())

        def done(t: asyncio.Future[Any]) -> None:
            self.in_flight -= 1
            self._sem.release()
            if not t.cancelled():
                t.exception()  # retrieved: a caller that went away must not leave a warning

        task.add_done_callback(done)
        return await asyncio.shield(task)


class _GatedCursor(CursorProxy):
    def __init__(self, cursor: Any, gate: Gate) -> None:
        super().__init__(cursor)
        self._gate = gate
        self._started = False

    async def _fetch(self, fetch: Fetch, many: bool) -> Any:
        if many:
            return await self._gate.run(fetch)
        if not self._started:  # the first batch is the round trip that can hang
            self._started = True
            return await self._gate.run(fetch)
        return await fetch()


class _GatedCollection(CollectionProxy):
    awaited_calls = ASYNC_CALLS

    def __init__(self, inner: Any, gate: Gate) -> None:
        super().__init__(inner)
        self._gate = gate

    def _open(
        self, name: str, method: Callable[..., Any], a: tuple[Any, ...], k: dict[str, Any]
    ) -> Any:
        return _GatedCursor(method(*a, **k), self._gate)

    async def _call(
        self, name: str, method: Callable[..., Any], a: tuple[Any, ...], k: dict[str, Any]
    ) -> Any:
        return await self._gate.run(lambda: method(*a, **k))


# --- The embedded adapter ---------------------------------------------------------------


class _ListCursor:
    """Results the adapter computed itself, behind the cursor interface."""

    def __init__(self, docs: list[dict[str, Any]], interleave: bool) -> None:
        self._docs = docs
        self._interleave = interleave

    def batch_size(self, _n: int) -> _ListCursor:
        return self

    async def to_list(self, *_a: Any, **_k: Any) -> list[dict[str, Any]]:
        if self._interleave:
            await asyncio.sleep(0)
        return list(self._docs)

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        async def gen() -> AsyncIterator[dict[str, Any]]:
            if self._interleave:
                await asyncio.sleep(0)
            for d in self._docs:
                yield d

        return gen()


# A server refuses to return any document larger than this (BSONObjectTooLarge): an
# aggregation that builds one (a $group pushing big rows) fails as a whole.
MAX_BSON_DOCUMENT_BYTES = 16 * 1024 * 1024
BSON_OBJECT_TOO_LARGE = 10334


def check_document_sizes(result: Any) -> Any:
    """`result` (one document or a list of them), or the server's error for a document
    over MAX_BSON_DOCUMENT_BYTES: mongomock returns documents of any size."""
    for doc in result if isinstance(result, list) else [result] if result is not None else []:
        if len(bson.encode(doc)) > MAX_BSON_DOCUMENT_BYTES:
            raise OperationFailure(
                "BSONObjectTooLarge: an aggregation result document is larger than 16 MB",
                code=BSON_OBJECT_TOO_LARGE,
            )
    return result


class _SizeCheckedCursor(CursorProxy):
    """An aggregation cursor that fails like a server on a result document over 16 MB."""

    async def _fetch(self, fetch: Fetch, many: bool) -> Any:
        return check_document_sizes(await fetch())


def as_document_class(value: Any, document_class: type) -> Any:
    """`value` with every document in it, however deeply nested (arrays included), made a
    `document_class`: what a driver's BSON decoder does with `CodecOptions(document_class)`."""
    if isinstance(value, dict):
        return document_class({k: as_document_class(v, document_class) for k, v in value.items()})
    if isinstance(value, list):
        return [as_document_class(v, document_class) for v in value]
    return value


class _DecodingCursor(FirstFetchHook):
    """A mongomock cursor whose documents come out as `document_class`, like a driver's."""

    def __init__(
        self, cursor: Any, hook: Callable[[], Awaitable[None]], document_class: type
    ) -> None:
        super().__init__(cursor, hook)
        self._document_class = document_class

    async def _fetch(self, fetch: Fetch, many: bool) -> Any:
        return as_document_class(await super()._fetch(fetch, many), self._document_class)


@dataclass(frozen=True)
class _BulkResult:
    matched_count: int
    upserted_count: int
    deleted_count: int
    inserted_count: int


def _key_spec(key: Any) -> list[tuple[str, int]]:
    """An index's keys as the server reports them (pairs, directions maybe floats) or as a
    document declares them (a mapping), in one comparable form."""
    pairs = key.items() if isinstance(key, dict) else key
    return [(f, int(d)) for f, d in pairs]


def _is_operator_free(value: Any) -> bool:
    return not (isinstance(value, dict) and any(str(k).startswith("$") for k in value))


class EmbeddedCollection:
    """A mongomock-motor collection with the server behaviour production code relies on."""

    def __init__(self, inner: Any, interleave: bool, document_class: type = dict) -> None:
        self._inner = inner
        self._sync = inner._AsyncMongoMockCollection__collection
        self._interleave = interleave
        # mongomock only decodes into dicts (it refuses another CodecOptions.document_class):
        # the adapter converts what it returns, so callers see what the driver would give.
        self._document_class = document_class
        self.name: str = inner.name

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        decode = self._document_class is not dict and name in DOCUMENT_CALLS
        if name in UPSERT_CALLS:

            async def write(*a: Any, **k: Any) -> Any:
                result = await self._maybe_upsert(attr, a, k)
                return self._decoded(result) if decode else result

            return write
        if name in ASYNC_CALLS:

            async def call(*a: Any, **k: Any) -> Any:
                await self._turn()
                result = await attr(*a, **k)
                return self._decoded(result) if decode else result

            return call
        if name == "find":
            return lambda *a, **k: self._cursor(attr(*a, **k))
        return attr

    @property
    def codec_options(self) -> CodecOptions[Any]:
        """The inner collection's options with this adapter's document_class, as a driver's
        collection reports them."""
        options = self._inner.codec_options._asdict()
        return CodecOptions(**{**options, "document_class": self._document_class})

    def with_options(self, codec_options: CodecOptions[Any]) -> EmbeddedCollection:
        """Only the document_class may change: mongomock supports no other codec option."""
        if codec_options.with_options(document_class=dict) != self.codec_options.with_options(
            document_class=dict
        ):
            raise NotImplementedError("the embedded database only supports document_class")
        return EmbeddedCollection(self._inner, self._interleave, codec_options.document_class)

    def _decoded(self, value: Any) -> Any:
        return as_document_class(value, self._document_class)

    def _cursor(self, cursor: Any) -> Any:
        if self._document_class is dict:
            return FirstFetchHook(cursor, self._turn)
        return _DecodingCursor(cursor, self._turn, self._document_class)

    async def _turn(self) -> None:
        """With `interleave`, let other tasks run before a round trip, as a server would."""
        if self._interleave:
            await asyncio.sleep(0)

    async def create_indexes(self, indexes: list[Any], *a: Any, **k: Any) -> Any:
        """A server refuses an index whose keys an index of another name already has
        (IndexOptionsConflict, code 85); mongomock would silently build a second one."""
        existing = self._sync.index_information()
        for index in indexes:
            doc = index.document
            keys = _key_spec(doc["key"])
            for name, spec in existing.items():
                if name != doc["name"] and _key_spec(spec["key"]) == keys:
                    raise OperationFailure(
                        f"Index already exists with a different name: {name}", code=85
                    )
        return await self._inner.create_indexes(indexes, *a, **k)

    async def bulk_write(self, requests: list[Any], ordered: bool = True, **_k: Any) -> Any:
        """mongomock's bulk_write cannot read pymongo 4.9+ operations: run them one by one."""
        from pymongo import DeleteMany, DeleteOne, InsertOne, ReplaceOne, UpdateMany, UpdateOne

        matched = upserted = deleted = inserted = 0
        for op in requests:
            await self._turn()
            if isinstance(op, UpdateOne | UpdateMany | ReplaceOne):
                method = {UpdateOne: "update_one", UpdateMany: "update_many"}.get(
                    type(op), "replace_one"
                )
                result = await getattr(self._inner, method)(
                    op._filter, op._doc, upsert=bool(op._upsert)
                )
                matched += result.matched_count
                upserted += result.upserted_id is not None
            elif isinstance(op, InsertOne):
                await self._inner.insert_one(op._doc)
                inserted += 1
            elif isinstance(op, DeleteOne | DeleteMany):
                method = "delete_one" if isinstance(op, DeleteOne) else "delete_many"
                deleted += (await getattr(self._inner, method)(op._filter)).deleted_count
            else:  # pragma: no cover - no caller sends other operations
                raise NotImplementedError(type(op).__name__)
        return _BulkResult(matched, upserted, deleted, inserted)

    def aggregate(self, pipeline: list[dict[str, Any]], *a: Any, **k: Any) -> Any:
        if any("$unionWith" in stage for stage in pipeline):
            docs = check_document_sizes(self._union_pipeline(pipeline))
            return _ListCursor(self._decoded(docs), self._interleave)
        return _SizeCheckedCursor(self._cursor(self._inner.aggregate(pipeline, *a, **k)))

    # An upsert on a server is "find a match, else insert"; only a filter that is pure
    # equality on a unique key is retried by the server when the insert collides.
    async def _maybe_upsert(self, method: Any, a: tuple[Any, ...], k: dict[str, Any]) -> Any:
        if not self._interleave:
            return await method(*a, **k)
        await asyncio.sleep(0)
        if not k.get("upsert"):
            return await method(*a, **k)
        query = a[0] if a else k["filter"]
        if self._sync.find_one(query, {"_id": 1}) is not None:
            return await method(*a, **k)  # matched: the update itself is atomic
        await asyncio.sleep(0)  # another writer may insert the same key now
        if self._sync.find_one(query, {"_id": 1}) is not None and not self._unique_equality(query):
            raise DuplicateKeyError(
                "E11000 duplicate key error: a concurrent upsert inserted this key first",
                code=11000,
            )
        return await method(*a, **k)

    def _unique_equality(self, query: dict[str, Any]) -> bool:
        if any(k.startswith("$") or not _is_operator_free(v) for k, v in query.items()):
            return False
        keys = set(query)
        unique = [{"_id"}] + [
            {f for f, _ in spec["key"]}
            for spec in self._sync.index_information().values()
            if spec.get("unique")
        ]
        return keys in unique

    # $unionWith: the head runs on this collection, each branch on its own collection, the
    # stages after a branch on everything gathered so far. Each collection is read once
    # and branches that start with an equality $match only see the matching documents, so
    # a page per parent costs what a server's index would, not one collection scan each.
    def _union_pipeline(self, pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
        from mongomock.aggregate import process_pipeline

        database = self._sync.database
        snapshots: dict[str, list[dict[str, Any]]] = {}
        by_value: dict[tuple[str, str], dict[Any, list[dict[str, Any]]]] = {}

        def candidates(coll: str, branch: list[dict[str, Any]]) -> list[dict[str, Any]]:
            if coll not in snapshots:
                snapshots[coll] = list(database.get_collection(coll).find())
            docs = snapshots[coll]
            match = branch[0].get("$match") if branch else None
            if match:
                for key, value in match.items():
                    if key.startswith("$") or not isinstance(value, str | int):
                        continue
                    index = by_value.get((coll, key))
                    if index is None:
                        index = {}
                        for d in docs:
                            v = d.get(key)
                            if isinstance(v, str | int):
                                index.setdefault(v, []).append(d)
                        by_value[(coll, key)] = index
                    return index.get(value, [])
            return docs

        def run(coll: str, branch: list[dict[str, Any]]) -> list[dict[str, Any]]:
            # Copies share the one UTC tzinfo, as every datetime a driver decodes does.
            docs = copy.deepcopy(candidates(coll, branch), {id(utc): utc})
            return list(process_pipeline(docs, database, branch, None))

        first = next(i for i, s in enumerate(pipeline) if "$unionWith" in s)
        out = run(self.name, pipeline[:first])
        for stage in pipeline[first:]:
            if "$unionWith" in stage:
                spec = stage["$unionWith"]
                coll, branch = (
                    (spec, []) if isinstance(spec, str) else (spec["coll"], spec["pipeline"])
                )
                out += run(coll, list(branch))
            else:
                out = list(process_pipeline(out, database, [stage], None))
        return out


# --- The facade every caller uses ---------------------------------------------------------


class Cursor(Protocol):
    """What `Collection.find` and `Collection.aggregate` return: a driver cursor."""

    def sort(self, *a: Any, **k: Any) -> Cursor: ...
    def limit(self, n: int) -> Cursor: ...
    def skip(self, n: int) -> Cursor: ...
    def batch_size(self, n: int) -> Cursor: ...
    async def to_list(self, length: int | None = None) -> list[Any]: ...
    def __aiter__(self) -> AsyncIterator[Any]: ...


class Collection:
    """One collection, as every caller outside `models/` reads and writes it.

    The interface is PyMongo's async one (`find` returns a cursor, `aggregate` is awaited
    and returns one), so a caller never learns which driver, emulator or wrapper (metrics,
    round-trip counting, fault injection) sits below: those change here, not at the call
    sites. Only the calls the project makes are exposed.
    """

    __slots__ = ("_c", "name")

    def __init__(self, inner: Any) -> None:
        self._c = inner
        self.name: str = inner.name

    @property
    def inner(self) -> Any:
        """The driver-level collection under the facade (wrappers and tests look at it)."""
        return self._c

    @property
    def codec_options(self) -> CodecOptions[Any]:
        return self._c.codec_options  # type: ignore[no-any-return]

    def find(self, *a: Any, **k: Any) -> Cursor:
        return self._c.find(*a, **k)  # type: ignore[no-any-return]

    async def aggregate(self, pipeline: Sequence[Any], *a: Any, **k: Any) -> Cursor:
        return self._c.aggregate(pipeline, *a, **k)  # type: ignore[no-any-return]

    async def find_one(self, *a: Any, **k: Any) -> Any:
        return await self._c.find_one(*a, **k)

    async def count_documents(self, *a: Any, **k: Any) -> int:
        return int(await self._c.count_documents(*a, **k))

    async def estimated_document_count(self, *a: Any, **k: Any) -> int:
        return int(await self._c.estimated_document_count(*a, **k))

    async def distinct(self, *a: Any, **k: Any) -> list[Any]:
        return await self._c.distinct(*a, **k)  # type: ignore[no-any-return]

    async def insert_one(self, *a: Any, **k: Any) -> Any:
        return await self._c.insert_one(*a, **k)

    async def insert_many(self, *a: Any, **k: Any) -> Any:
        return await self._c.insert_many(*a, **k)

    async def update_one(self, *a: Any, **k: Any) -> Any:
        return await self._c.update_one(*a, **k)

    async def update_many(self, *a: Any, **k: Any) -> Any:
        return await self._c.update_many(*a, **k)

    async def replace_one(self, *a: Any, **k: Any) -> Any:
        return await self._c.replace_one(*a, **k)

    async def find_one_and_update(self, *a: Any, **k: Any) -> Any:
        return await self._c.find_one_and_update(*a, **k)

    async def find_one_and_replace(self, *a: Any, **k: Any) -> Any:
        return await self._c.find_one_and_replace(*a, **k)

    async def find_one_and_delete(self, *a: Any, **k: Any) -> Any:
        return await self._c.find_one_and_delete(*a, **k)

    async def delete_one(self, *a: Any, **k: Any) -> Any:
        return await self._c.delete_one(*a, **k)

    async def delete_many(self, *a: Any, **k: Any) -> Any:
        return await self._c.delete_many(*a, **k)

    async def bulk_write(self, *a: Any, **k: Any) -> Any:
        return await self._c.bulk_write(*a, **k)

    async def index_information(self) -> dict[str, Any]:
        return await self._c.index_information()  # type: ignore[no-any-return]

    async def create_indexes(self, *a: Any, **k: Any) -> list[str]:
        return await self._c.create_indexes(*a, **k)  # type: ignore[no-any-return]

    async def drop_index(self, *a: Any, **k: Any) -> None:
        await self._c.drop_index(*a, **k)


# --- The database handle ----------------------------------------------------------------


@dataclass
class Database:
    client: Any
    db: Any
    embedded: bool
    # A hook the benchmarks and the round-trip tests use to wrap every collection.
    wrap: Callable[[Any], Any] | None = None
    interleave: bool = False
    gate: Gate | None = None
    _cache: dict[tuple[str, type], Collection] = field(default_factory=dict)

    def collection(self, name: str, document_class: type = dict) -> Collection:
        """`document_class`: what the driver decodes every document into, embedded ones
        included (`rows` below); the other codec options stay the client's (tz_aware)."""
        cached = self._cache.get((name, document_class))
        if cached is None:
            coll: Any = self.db[COLLECTIONS[name]]
            if self.embedded:
                coll = EmbeddedCollection(coll, self.interleave)
            if document_class is not dict:
                options = coll.codec_options.with_options(document_class=document_class)
                coll = coll.with_options(codec_options=options)
            if self.wrap is not None:
                coll = self.wrap(coll)
            if self.gate is not None:
                coll = _GatedCollection(coll, self.gate)
            cached = self._cache[(name, document_class)] = Collection(coll)
        return cached

    def rows(self, name: str) -> Collection:
        """Collection `name` read as `Row`s (documents and the documents inside them): the
        read paths that hand rows to GraphQL get them without copying each one again.
        Beanie's documents and the write paths keep plain dicts (a Row answers any
        attribute name, which would mislead code probing a document's attributes)."""
        return self.collection(name, Row)

    def set_wrapper(self, wrap: Callable[[Any], Any] | None) -> None:
        self.wrap = wrap
        self._cache.clear()

    @contextlib.contextmanager
    def wrapped(self, wrap: Callable[[Any], Any]) -> Iterator[None]:
        """`wrap` for the block only: afterwards the wrapper installed before (e.g. the
        metrics observer) is back, not dropped."""
        previous = self.wrap
        self.set_wrapper(wrap)
        try:
            yield
        finally:
            self.set_wrapper(previous)

    def set_gate(self, gate: Gate | None) -> None:
        self.gate = gate
        self._cache.clear()

    @property
    def users(self) -> Collection:
        return self.collection("users")

    @property
    def sessions(self) -> Collection:
        return self.collection("sessions")

    @property
    def messages(self) -> Collection:
        return self.collection("messages")

    @property
    def error_stats(self) -> Collection:
        return self.collection("error_stats")

    @property
    def exercises(self) -> Collection:
        return self.collection("exercises")

    @property
    def cost_daily(self) -> Collection:
        return self.collection("cost_daily")

    @property
    def cost_totals(self) -> Collection:
        return self.collection("cost_totals")

    @property
    def daily_sets(self) -> Collection:
        return self.collection("daily_sets")

    @property
    def provider_daily(self) -> Collection:
        return self.collection("provider_daily")

    @property
    def cost_dims(self) -> Collection:
        return self.collection("cost_dims")

    @property
    def api_clients(self) -> Any:
        return self.collection("api_clients")

    @property
    def annotations(self) -> Any:
        return self.collection("annotations")

    async def ping(self, within_s: float = 2.0) -> None:
        await asyncio.wait_for(self.db.command("ping"), within_s)

    def close(self) -> None:
        self.client.close()


def _make_client(
    uri: str | None, timeout_ms: int, operation_timeout_ms: int | None
) -> tuple[Any, bool]:
    """`operation_timeout_ms=None` is for batch tools: no bound on any one operation.

    pymongo's `timeoutMS` would also replace `serverSelectionTimeoutMS` (server selection
    then waits the whole operation budget), so requests are bounded per socket read with
    `socketTimeoutMS` instead, and server selection fails within `timeout_ms`.
    """
    if uri:
        from motor.motor_asyncio import AsyncIOMotorClient

        options: dict[str, Any] = {
            "tz_aware": True,
            "uuidRepresentation": "standard",
            "serverSelectionTimeoutMS": timeout_ms,
            "connectTimeoutMS": timeout_ms,
            "retryWrites": True,
            "appname": "tutoring-gateway",
        }
        if operation_timeout_ms is not None:
            options["socketTimeoutMS"] = operation_timeout_ms
        return AsyncIOMotorClient(uri, **options), False
    from mongomock_motor import AsyncMongoMockClient

    return AsyncMongoMockClient(tz_aware=True), True


class _LocalBuildInfo:
    """Beanie asks the server's version (buildInfo) at init, only to vet time-series
    settings no document here uses. Answering it locally lets a gateway start while
    MongoDB is briefly unreachable; every other call goes to the real database."""

    def __init__(self, db: Any) -> None:
        self._db = db

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)

    def __getitem__(self, name: str) -> Any:
        return self._db[name]

    async def command(self, command: Any, *a: Any, **k: Any) -> Any:
        if command == {"buildInfo": 1}:
            return {"version": "7.0.0", "ok": 1.0}
        return await self._db.command(command, *a, **k)


async def connect(
    uri: str | None,
    db_name: str,
    timeout_ms: int = 2000,
    operation_timeout_ms: int | None = 5000,
    *,
    interleave: bool = False,
    max_in_flight: int | None = None,
    create_indexes: bool | None = None,
) -> Database:
    """Open the client and bind the documents to it.

    Indexes: the embedded database creates its own (it is new at every start); on a real
    server only `scripts.init_db` builds them (`ensure_indexes`), so a gateway start never
    runs a long build or dies on an index that changed (`missing_indexes` reports).
    No server round trip happens here for a real server: the gateway starts while MongoDB
    is unreachable and readiness says so.
    """
    client, embedded = _make_client(uri, timeout_ms, operation_timeout_ms)
    db = client[db_name]
    await init_beanie(
        database=db if embedded else _LocalBuildInfo(db),  # type: ignore[arg-type]
        document_models=DOCUMENT_MODELS,  # type: ignore[arg-type]
        skip_indexes=True,  # Beanie would abort on the first conflicting index
    )
    gate = None
    if max_in_flight is not None and not embedded:
        # Only the real driver holds a thread per operation (the embedded one runs inline).
        # Motor's pool has MOTOR_MAX_WORKERS threads (default 5 per CPU): admitting more
        # operations than that would queue them behind threads cancelled requests hold.
        from motor.frameworks import asyncio as motor_asyncio

        threads = int(getattr(motor_asyncio, "max_workers", max_in_flight))
        gate = Gate(min(max_in_flight, threads), timeout_ms / 1000)
    database = Database(
        client=client, db=db, embedded=embedded, interleave=interleave and embedded, gate=gate
    )
    if create_indexes if create_indexes is not None else embedded:
        report = await ensure_indexes(database)
        if report["conflicts"]:
            raise RuntimeError(f"index conflicts: {report['conflicts']}")
    return database


# --- Indexes ------------------------------------------------------------------------------


def expected_indexes() -> dict[str, dict[str, list[tuple[str, Any]]]]:
    """collection -> index name -> key spec, as declared on the documents."""
    out: dict[str, dict[str, list[tuple[str, Any]]]] = {}
    for model in DOCUMENT_MODELS:
        settings = model.Settings  # type: ignore[attr-defined]
        specs = out.setdefault(settings.name, {})
        for index in getattr(settings, "indexes", []):
            doc = index.document
            specs[doc["name"]] = list(doc["key"].items())
    return out


async def missing_indexes(database: Database) -> list[str]:
    """`collection.name` of every declared index the server lacks or holds with other keys."""
    missing: list[str] = []
    for coll, specs in expected_indexes().items():
        info = await database.collection(coll).index_information()
        for name, key in specs.items():
            have = info.get(name)
            if have is None or _key_spec(have["key"]) != _key_spec(key):
                missing.append(f"{coll}.{name}")
    return missing


async def ensure_indexes(database: Database) -> dict[str, list[str]]:
    """Create every declared index (no timeout: builds take long on big collections).

    An index whose name or keys clash with an existing one is reported, not forced: the
    operator decides whether to drop the old one (it may be serving live queries).
    """
    report: dict[str, list[str]] = {"created": [], "present": [], "conflicts": []}
    for model in DOCUMENT_MODELS:
        settings = model.Settings  # type: ignore[attr-defined]
        coll = database.collection(settings.name)
        existing = await coll.index_information()
        for index in getattr(settings, "indexes", []):
            name = index.document["name"]
            label = f"{settings.name}.{name}"
            if name in existing and _key_spec(existing[name]["key"]) == _key_spec(
                index.document["key"]
            ):
                report["present"].append(label)
                continue
            try:
                await coll.create_indexes([index])
                report["created"].append(label)
            except OperationFailure as exc:
                report["conflicts"].append(f"{label}: {exc.details or exc}")
    return report


# --- Batch reading ------------------------------------------------------------------------


async def pages_by_id(
    collection: Any,
    query: dict[str, Any],
    projection: dict[str, Any] | None = None,
    page: int = 500,
    order_field: str | None = None,
) -> AsyncIterator[dict[str, Any]]:
    """Every matching document in (`order_field`, `_id`) order, one short query per page.

    A batch tool reading millions of rows through one cursor holds it open for the whole
    run (and loses it on a failover, an idle timeout or a killed cursor); a page per query
    resumes from the last key instead, on an index that ends with (`order_field`, `_id`).
    """
    sort = [(order_field, 1), ("_id", 1)] if order_field else [("_id", 1)]
    if projection is not None and order_field:
        projection = {**projection, order_field: 1} if 1 in projection.values() else projection
    last: dict[str, Any] | None = None
    while True:
        bounded = query
        if last is not None:
            after: dict[str, Any] = {"_id": {"$gt": last["_id"]}}
            if order_field:
                value = last.get(order_field)
                after = {
                    "$or": [
                        {order_field: {"$gt": value}},
                        {order_field: value, "_id": {"$gt": last["_id"]}},
                    ]
                }
            bounded = {"$and": [query, after]}
        # A fresh projection per query: drivers may add keys to the dict they are given.
        fields = dict(projection) if projection is not None else None
        rows = await collection.find(bounded, fields).sort(sort).limit(page).to_list(None)
        for row in rows:
            yield row
        if len(rows) < page:
            return
        last = rows[-1]
