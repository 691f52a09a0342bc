"""The only module that knows which MongoDB driver is in use.

PyMongo's async client (`pymongo.AsyncMongoClient`) when MONGO_URI is set, the embedded
database (`models.embedded`, sync mongomock behind the same interface) otherwise. Every
caller outside `models/` reads and writes through `Collection`, this module's facade with
PyMongo's async interface: a driver change is a change to this module (and the embedded
adapter), not to the call sites. Beanie declares the documents (validation on write) and
their indexes; no query goes through Beanie.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

import pymongo
from beanie import init_beanie
from bson.codec_options import CodecOptions
from pymongo.errors import (
    AutoReconnect,
    ConnectionFailure,
    DuplicateKeyError,
    ExecutionTimeout,
    NetworkTimeout,
    OperationFailure,
    ServerSelectionTimeoutError,
    WriteConcernError,
    WTimeoutError,
)

from models.documents import DOCUMENT_MODELS
from models.embedded import BUILD_INFO, EmbeddedClient
from models.embedded.collection import key_spec
from models.events import CommandEvents
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
    "skill_cards": "skill_cards",
    "ai_usage": "ai_usage",
    "session_events": "session_events",
}

# Exceptions that mean "the database is unreachable or timed out", as opposed to a bad query
# (the driver's WaitQueueTimeoutError, no pooled connection free in time, is a
# ConnectionFailure). A WriteConcernError (WTimeoutError is one) is a write the primary
# applied and a majority did not confirm: a stepdown interrupted the wait (11602, 189, 91),
# and when the driver's one retry finds no primary yet PyMongo raises that first error
# again. The write may be rolled back, so the caller must hear "retry" (503), as for a
# network error; as a bad query it was INTERNAL, which no client retries.
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    AutoReconnect,
    ConnectionFailure,
    ExecutionTimeout,
    NetworkTimeout,
    ServerSelectionTimeoutError,
    WTimeoutError,
    WriteConcernError,
    asyncio.TimeoutError,
)

# Ids per `$in` list in batch tools: far below the 16 MB command limit (~500k UUIDs).
IN_CHUNK = 1000

__all__ = [
    "IN_CHUNK",
    "UNAVAILABLE_ERRORS",
    "Collection",
    "Cursor",
    "Database",
    "DuplicateKeyError",
    "chunks",
    "connect",
    "pages_by_id",
]


def chunks(items: list[Any], size: int | None = None) -> list[list[Any]]:
    """Split an id list so no `$in` outgrows a command (pymongo refuses > 16 MB)."""
    n = size or IN_CHUNK
    return [items[i : i + n] for i in range(0, len(items), n)]


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
        return await self._c.aggregate(pipeline, *a, **k)  # type: ignore[no-any-return]

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
    # The client's one command listener: metrics and tracing subscribe to it.
    events: CommandEvents = field(default_factory=CommandEvents)
    # A hook the benchmarks and the round-trip tests use to wrap every driver collection
    # (under the facade, so callers never see it).
    wrap: Callable[[Any], Any] | None = None
    interleave: bool = False
    # "collection.index" -> expireAfterSeconds an operator set (DAILY_SET_RETENTION_DAYS):
    # what init_db builds and the maintenance pass checks, instead of the declared default.
    index_ttl: dict[str, int] = field(default_factory=dict)
    _cache: dict[tuple[str, type], Collection] = field(default_factory=dict)

    def collection(self, name: str, document_class: type = dict) -> Collection:
        """`document_class`: what the driver decodes every document into, embedded ones
        included (`rows` below); the other codec options stay the client's (tz_aware)."""
        cached = self._cache.get((name, document_class))
        if cached is None:
            coll: Any = self.db[COLLECTIONS[name]]
            if document_class is not dict:
                options = coll.codec_options.with_options(document_class=document_class)
                coll = coll.with_options(codec_options=options)
            if self.wrap is not None:
                coll = self.wrap(coll)
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
        """`wrap` for the block only: afterwards the wrapper installed before is back, not
        dropped."""
        previous = self.wrap
        self.set_wrapper(wrap)
        try:
            yield
        finally:
            self.set_wrapper(previous)

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
    def api_clients(self) -> Collection:
        return self.collection("api_clients")

    @property
    def annotations(self) -> Collection:
        return self.collection("annotations")

    @property
    def skill_cards(self) -> Collection:
        return self.collection("skill_cards")

    @property
    def ai_usage(self) -> Collection:
        return self.collection("ai_usage")

    @property
    def session_events(self) -> Collection:
        return self.collection("session_events")

    async def ping(self, within_s: float = 2.0) -> None:
        await asyncio.wait_for(self.db.command("ping"), within_s)

    async def drop(self) -> None:
        """Delete this database (tests and benchmarks on a real server clean up with it)."""
        await self.client.drop_database(self.db.name)

    async def close(self) -> None:
        await self.client.close()


def _make_client(
    uri: str | None,
    timeout_ms: int,
    operation_timeout_ms: int | None,
    *,
    events: CommandEvents | None = None,
    interleave: bool = False,
) -> tuple[Any, bool]:
    """`operation_timeout_ms=None` is for batch tools: no bound on any one operation.

    pymongo's `timeoutMS` would also replace `serverSelectionTimeoutMS` (server selection
    then waits the whole operation budget), so requests are bounded per socket read with
    `socketTimeoutMS` instead, and server selection fails within `timeout_ms`. Operations
    beyond the pool's `maxPoolSize` (100 unless the URI says otherwise) wait at most
    `timeout_ms` for a connection (`waitQueueTimeoutMS`), then fail as unavailable (503):
    PyMongo's async client runs on the event loop, so the pool is the only bound needed on
    work in flight (Motor's thread pool needed a gate of its own).
    """
    events = events or CommandEvents()
    if uri:
        from pymongo import AsyncMongoClient

        options: dict[str, Any] = {
            "tz_aware": True,
            "uuidRepresentation": "standard",
            "serverSelectionTimeoutMS": timeout_ms,
            "connectTimeoutMS": timeout_ms,
            "waitQueueTimeoutMS": timeout_ms,
            "retryWrites": True,
            "appname": "tutoring-gateway",
            "event_listeners": [events],
        }
        if operation_timeout_ms is not None:
            options["socketTimeoutMS"] = operation_timeout_ms
        if not _names_write_concern(uri):
            options["w"] = "majority"
        return AsyncMongoClient(uri, **options), False
    return EmbeddedClient(interleave=interleave, events=events), True


def _names_write_concern(uri: str) -> bool:
    """Whether the URI sets `w` itself (option names are case-insensitive).

    Without it the gateway asks for `w: "majority"` rather than the server's default: the
    write path's exactly-once argument needs every acknowledged step to survive an
    election, and the default is `{w: 1}` on a set with an arbiter (or whatever
    setDefaultRWConcern says). An operator's own `w` (a tag set) is kept. Parsed by hand:
    pymongo's parser resolves `mongodb+srv` names over DNS."""
    query = urlsplit(uri).query
    return any(name.lower() == "w" for name, _ in parse_qsl(query, keep_blank_values=True))


class _LocalInitInfo:
    """Beanie 2 asks the server's version (buildInfo) and its collection names at init,
    only to vet time-series and view settings no document here uses. Answering both
    locally lets a gateway start while MongoDB is briefly unreachable; everything else
    (the collections Beanie binds the documents to) is the real database's."""

    def __init__(self, db: Any) -> None:
        self._db = db

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)

    def __getitem__(self, name: str) -> Any:
        return self._db[name]

    async def command(self, command: Any, *a: Any, **k: Any) -> Any:
        if command == {"buildInfo": 1}:
            return dict(BUILD_INFO)
        return await self._db.command(command, *a, **k)

    async def list_collection_names(self, *_a: Any, **_k: Any) -> list[str]:
        return []


async def connect(
    uri: str | None,
    db_name: str,
    timeout_ms: int = 2000,
    operation_timeout_ms: int | None = 5000,
    *,
    interleave: bool = False,
    create_indexes: bool | None = None,
    index_ttl: Mapping[str, int] | None = None,
) -> Database:
    """Open the client and bind the documents to it.

    Indexes: the embedded database creates its own (it is new at every start); on a real
    server only `scripts.init_db` builds them (`ensure_indexes`), so a gateway start never
    runs a long build or dies on an index that changed (`missing_indexes` reports).
    No server round trip happens here for a real server: the gateway starts while MongoDB
    is unreachable and readiness says so.
    """
    events = CommandEvents()
    client, embedded = _make_client(
        uri, timeout_ms, operation_timeout_ms, events=events, interleave=interleave
    )
    db = client[db_name]
    await init_beanie(
        database=_LocalInitInfo(db),  # type: ignore[arg-type]
        document_models=DOCUMENT_MODELS,  # type: ignore[arg-type]
        skip_indexes=True,  # Beanie would abort on the first conflicting index
    )
    database = Database(
        client=client,
        db=db,
        embedded=embedded,
        events=events,
        interleave=interleave and embedded,
        index_ttl=dict(index_ttl or {}),
    )
    if create_indexes if create_indexes is not None else embedded:
        report = await ensure_indexes(database)
        if report["conflicts"]:
            raise RuntimeError(f"index conflicts: {report['conflicts']}")
    return database


# --- Indexes ------------------------------------------------------------------------------


# The options that make two indexes with the same keys behave differently; a missing one
# has the default. (`v`, `ns`, `background` and the like change nothing a query sees.)
INDEX_OPTIONS: dict[str, Any] = {
    "unique": False,
    "sparse": False,
    "partialFilterExpression": None,
    "expireAfterSeconds": None,
}


def index_options(spec: Mapping[str, Any]) -> dict[str, Any]:
    """An index's behaviour-changing options, as declared or as the server lists them, in
    one comparable form (a server may list `unique: 1.0` or `expireAfterSeconds: 30.0`)."""
    out: dict[str, Any] = {}
    for option, default in INDEX_OPTIONS.items():
        value = spec.get(option, default)
        if option in ("unique", "sparse"):
            value = bool(value)
        elif option == "expireAfterSeconds" and value is not None:
            value = int(value)
        out[option] = value
    return out


def declared_indexes(ttl: Mapping[str, int] | None = None) -> dict[str, list[pymongo.IndexModel]]:
    """collection -> its IndexModels as declared on the documents, with the TTLs an
    operator set (`ttl`: "collection.index" -> seconds, e.g. DAILY_SET_RETENTION_DAYS)."""
    out: dict[str, list[pymongo.IndexModel]] = {}
    for model in DOCUMENT_MODELS:
        settings = model.Settings  # type: ignore[attr-defined]
        models = out.setdefault(settings.name, [])
        for index in getattr(settings, "indexes", []):
            doc = index.document
            seconds = (ttl or {}).get(f"{settings.name}.{doc['name']}")
            if seconds is not None:
                options = {k: v for k, v in doc.items() if k not in ("key", "expireAfterSeconds")}
                index = pymongo.IndexModel(
                    list(doc["key"].items()), expireAfterSeconds=seconds, **options
                )
            models.append(index)
    return out


def expected_indexes() -> dict[str, dict[str, list[tuple[str, Any]]]]:
    """collection -> index name -> key spec, as declared on the documents."""
    return {
        coll: {i.document["name"]: list(i.document["key"].items()) for i in models}
        for coll, models in declared_indexes().items()
    }


def index_mismatch(have: Mapping[str, Any] | None, want: Mapping[str, Any]) -> str | None:
    """Why the server's index `have` is not the declared `want` (None: it is)."""
    if have is None:
        return "missing"
    if key_spec(have["key"]) != key_spec(want["key"]):
        return f"keys differ (server {key_spec(have['key'])}, declared {key_spec(want['key'])})"
    server, declared = index_options(have), index_options(want)
    diffs = [
        f"{k}: server {server[k]!r}, declared {declared[k]!r}"
        for k in server
        if server[k] != declared[k]
    ]
    return "options differ (" + "; ".join(diffs) + ")" if diffs else None


async def index_problems(database: Database) -> dict[str, str]:
    """`collection.name` -> what is wrong, for every declared index the server lacks or
    holds with other keys or options (a non-unique `user_category_unique`, a TTL of
    another length, a partial index without its filter)."""
    problems: dict[str, str] = {}
    for coll, models in declared_indexes(database.index_ttl).items():
        info = await database.collection(coll).index_information()
        for index in models:
            name = index.document["name"]
            why = index_mismatch(info.get(name), index.document)
            if why is not None:
                problems[f"{coll}.{name}"] = why
    return problems


async def missing_indexes(database: Database) -> list[str]:
    """`collection.name` of every declared index the server lacks or holds with other keys
    or options."""
    return list(await index_problems(database))


async def ensure_indexes(database: Database, repair: bool = False) -> dict[str, list[str]]:
    """Create every declared index (no timeout: builds take long on big collections).

    An index whose name or keys clash with an existing one is reported, not forced: the
    operator decides whether to drop the old one (it may be serving live queries). One with
    the declared name and keys but other options (unique, partialFilterExpression,
    expireAfterSeconds, sparse) is reported the same way unless `repair`: then it is
    dropped and built as declared (a TTL change is applied in place, by collMod).
    """
    report: dict[str, list[str]] = {"created": [], "present": [], "repaired": [], "conflicts": []}
    for coll_name, models in declared_indexes(database.index_ttl).items():
        coll = database.collection(coll_name)
        existing = await coll.index_information()
        for index in models:
            doc = index.document
            name = doc["name"]
            label = f"{coll_name}.{name}"
            have = existing.get(name)
            why = index_mismatch(have, doc)
            if why is None:
                report["present"].append(label)
                continue
            if have is not None and why.startswith("options differ"):
                if not repair:
                    report["conflicts"].append(
                        f"{label}: {why}; `scripts.init_db --repair` drops and rebuilds it"
                    )
                    continue
                try:
                    await _repair(database, coll, coll_name, have, doc)
                    report["repaired"].append(f"{label}: {why}")
                except OperationFailure as exc:
                    report["conflicts"].append(f"{label}: {exc.details or exc}")
                continue
            try:
                await coll.create_indexes([index])
                report["created"].append(label)
            except OperationFailure as exc:
                report["conflicts"].append(f"{label}: {exc.details or exc}")
    return report


async def _repair(
    database: Database,
    coll: Collection,
    coll_name: str,
    have: Mapping[str, Any],
    want: Mapping[str, Any],
) -> None:
    """Rebuild one index as declared. Only the TTL differs: `collMod` changes it in place
    (no rebuild, no window without the index); anything else: drop and build."""
    server, declared = index_options(have), index_options(want)
    only_ttl = all(server[k] == declared[k] for k in server if k != "expireAfterSeconds")
    if only_ttl and server["expireAfterSeconds"] is not None and not database.embedded:
        await database.db.command(
            {
                "collMod": COLLECTIONS[coll_name],
                "index": {
                    "name": want["name"],
                    "expireAfterSeconds": declared["expireAfterSeconds"],
                },
            }
        )
        return
    await coll.drop_index(want["name"])
    keys = list(want["key"].items())
    options = {k: v for k, v in want.items() if k != "key"}
    await coll.create_indexes([pymongo.IndexModel(keys, **options)])


# --- Batch reading ------------------------------------------------------------------------


async def pages_by_id(
    collection: Collection,
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
