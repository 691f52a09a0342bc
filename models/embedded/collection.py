"""One embedded collection: sync mongomock behind PyMongo's async collection interface.

mongomock runs every call synchronously: nothing interleaves, upserts are atomic and some
aggregation stages are missing. `EmbeddedCollection` teaches it what production code relies
on (`$unionWith`, the 16 MB document limit, pymongo 4.9+ bulk operations, index name
conflicts, decoding into a codec's `document_class`) and, with `interleave=True`, makes it
race like a server: every call yields to the event loop first and an upsert is a match, a
yield, then an insert that raises DuplicateKeyError when another writer inserted the same
key in between.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import bson
import mongomock
import mongomock.store
from bson.codec_options import CodecOptions
from bson.tz_util import utc
from mongomock.aggregate import process_pipeline
from mongomock.filtering import filter_applies
from pymongo import DeleteMany, DeleteOne, InsertOne, ReplaceOne, UpdateMany, UpdateOne
from pymongo.errors import DuplicateKeyError, OperationFailure

if TYPE_CHECKING:
    from models.embedded import EmbeddedDatabase

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


def as_document_class(value: Any, document_class: type) -> Any:
    """`value` with every document in it, however deeply nested (arrays included), made a
    `document_class`: what a driver's BSON decoder does with `CodecOptions(document_class)`."""
    if isinstance(value, dict):
        return document_class({k: as_document_class(v, document_class) for k, v in value.items()})
    if isinstance(value, list):
        return [as_document_class(v, document_class) for v in value]
    return value


def key_spec(key: Any) -> list[tuple[str, int]]:
    """An index's keys as the server reports them (pairs, directions maybe floats) or as a
    document declares them (a mapping), in one comparable form."""
    pairs = key.items() if isinstance(key, dict) else key
    return [(f, int(d)) for f, d in pairs]


def _by_primary_key(self: Any, filter: Any) -> Any:
    """mongomock scans the whole collection for every filter, through a generic matcher;
    a server finds a document named by `_id` through its primary index. A filter with an
    equality on a plain `_id` (what every claim, mark and counter update sends) reads that
    one document here too; one with equalities on text fields (user, session, provider,
    day) matches only the documents those equalities leave."""
    if isinstance(filter, dict) and not self._store.is_empty:
        key = filter.get("_id")
        if isinstance(key, str | int) and not isinstance(key, bool):
            try:
                doc = self._store[key]  # what a scan would see (expired TTL documents gone)
            except KeyError:
                return iter([])
            return iter([doc] if filter_applies(filter, doc) else [])
        texts = _text_conditions(filter)
        if texts:
            # What a server reads through an index on these fields: only the documents
            # whose value could match (or is an array, which may hold a match) reach
            # mongomock's full matcher: a set lookup per document, not its generic walk.
            candidates = [
                doc
                for doc in self._store.documents
                if all(_may_hold(doc.get(f), wanted) for f, wanted in texts)
            ]
            return (doc for doc in candidates if filter_applies(filter, doc))
    return _scan(self, filter)


def _text_conditions(filter: dict[str, Any]) -> list[tuple[str, frozenset[Any]]]:
    """The top-level `field: "text"` and `field: {"$in": [texts]}` conditions of `filter`,
    integers too (a session's `seq`: the outbox's unique index check of every insert,
    where the session's own events all share the text), as the values each field may
    hold: a document can only match if its field holds one of them (a number equal to
    it, when the value is an integer) or is an array (a text never equals a number, null
    or a subdocument). Dotted paths and every other operator are left to mongomock's
    matcher."""
    out = []
    for field, value in filter.items():
        if "." in field or field.startswith("$"):
            continue
        if _plain(value):
            out.append((field, frozenset([value])))
        elif (
            isinstance(value, dict)
            and list(value) == ["$in"]
            and isinstance(value["$in"], list | tuple)
            and all(_plain(v) for v in value["$in"])
        ):
            out.append((field, frozenset(value["$in"])))
    return out


def _plain(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def _may_hold(value: Any, wanted: frozenset[Any]) -> bool:
    if isinstance(value, str | int | float):  # 5.0 and True hash as 5 and 1: the matcher decides
        return value in wanted
    # Missing, null and subdocuments never equal a text or an integer; arrays and other
    # types (Decimal128, ...) go to the matcher.
    return value is not None and not isinstance(value, dict)


# A server's TTL monitor deletes expired documents once a minute (ttlMonitorSleepSecs);
# mongomock scans every document of a collection with a TTL index on every read, several
# times per operation (session_events grows with every message). Once a minute here too.
TTL_MONITOR_SECONDS = 60.0
_STORE: Any = mongomock.store.CollectionStore
_expire_now = _STORE._remove_expired_documents


def _ttl_monitor(self: Any) -> None:
    now = time.monotonic()
    if self._ttl_indexes and now >= getattr(self, "_ttl_next_pass", 0.0):
        self._ttl_next_pass = now + TTL_MONITOR_SECONDS
        _expire_now(self)


_STORE._remove_expired_documents = _ttl_monitor

_MONGOMOCK_COLLECTION: Any = mongomock.Collection
_scan = _MONGOMOCK_COLLECTION._iter_documents
_MONGOMOCK_COLLECTION._iter_documents = _by_primary_key

_FOLDABLE = ("$add", "$subtract")


def at_server_time(value: Any, now: datetime) -> Any:
    """`value` (a filter, an update pipeline) with `$$NOW` bound to the server's clock and
    `$add`/`$subtract` of constants folded: mongomock knows neither `$$NOW` nor date
    arithmetic, and a server evaluates both once per operation, as this does."""
    if isinstance(value, str):
        return now if value == "$$NOW" else value
    if isinstance(value, list):
        return [at_server_time(v, now) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: at_server_time(v, now) for k, v in value.items()}
    if len(out) == 1:
        [(op, args)] = out.items()
        if op in _FOLDABLE and isinstance(args, list) and len(args) == 2:
            a, b = args
            if not any(isinstance(x, str | dict | list) for x in args):
                return _fold(op, a, b)
    return out


def _fold(op: str, a: Any, b: Any) -> Any:
    if isinstance(a, datetime) and isinstance(b, int | float):
        delta = timedelta(milliseconds=b)
        return a + delta if op == "$add" else a - delta
    if isinstance(a, datetime) and isinstance(b, datetime) and op == "$subtract":
        return int((a - b).total_seconds() * 1000)
    return {op: [a, b]}


CONFLICTING_UPDATE_OPERATORS = 40


def check_update_paths(update: Any) -> None:
    """A server refuses an update document in which two paths overlap, whichever operators
    name them (`$inc` and `$setOnInsert` of one field, `$set` of a field and of a field
    inside it): ConflictingUpdateOperators, code 40, even when the upsert would not insert.
    mongomock applies both. Pipelines and replacements have no such paths."""
    if not isinstance(update, dict) or not any(str(k).startswith("$") for k in update):
        return
    seen: list[tuple[str, ...]] = []
    for args in update.values():
        for path in args if isinstance(args, dict) else ():
            parts = tuple(str(path).split("."))
            for other in seen:
                n = min(len(parts), len(other))
                if parts[:n] == other[:n]:
                    raise OperationFailure(
                        f"Updating the path '{path}' would create a conflict at "
                        f"'{'.'.join(parts[:n])}'",
                        code=CONFLICTING_UPDATE_OPERATORS,
                    )
            seen.append(parts)


def _has_expr(query: Any) -> bool:
    if isinstance(query, dict):
        return "$expr" in query or any(
            _has_expr(v) for k, v in query.items() if k in ("$and", "$or")
        )
    if isinstance(query, list):
        return any(_has_expr(v) for v in query)
    return False


def _is_operator_free(value: Any) -> bool:
    return not (isinstance(value, dict) and any(str(k).startswith("$") for k in value))


def _signature(spec: Any) -> tuple[Any, ...]:
    """What tells two indexes on the same keys apart on a server (besides their names)."""
    return (
        bool(spec.get("unique", False)),
        bool(spec.get("sparse", False)),
        spec.get("partialFilterExpression"),
        spec.get("collation"),
    )


@dataclass(frozen=True)
class BulkResult:
    matched_count: int
    upserted_count: int
    deleted_count: int
    inserted_count: int


class EmbeddedCursor:
    """A find's or aggregation's results, read the way PyMongo's async cursors are:
    `sort`/`limit`/`skip`/`batch_size` chain until the first fetch, which is the round trip
    (the interleaving yield) and yields every document, decoded."""

    def __init__(
        self, load: Callable[[], list[dict[str, Any]]], owner: EmbeddedCollection, chain: Any
    ) -> None:
        self._load = load
        self._owner = owner
        self._chain = chain  # mongomock's own cursor for a find (None for an aggregation)
        self._docs: list[Any] | None = None

    def _chained(self, name: str, *a: Any, **k: Any) -> EmbeddedCursor:
        if self._chain is not None:
            getattr(self._chain, name)(*a, **k)
        return self

    def sort(self, *a: Any, **k: Any) -> EmbeddedCursor:
        return self._chained("sort", *a, **k)

    def limit(self, n: int) -> EmbeddedCursor:
        return self._chained("limit", n)

    def skip(self, n: int) -> EmbeddedCursor:
        return self._chained("skip", n)

    def batch_size(self, n: int) -> EmbeddedCursor:
        return self._chained("batch_size", n)

    async def _fetch(self) -> list[Any]:
        if self._docs is None:
            await self._owner.turn()
            self._docs = self._owner.decoded(self._load())
        return self._docs

    async def to_list(self, length: int | None = None) -> list[Any]:
        docs = await self._fetch()
        out, self._docs = (docs, []) if length is None else (docs[:length], docs[length:])
        return list(out)

    def __aiter__(self) -> AsyncIterator[Any]:
        async def gen() -> AsyncIterator[Any]:
            for doc in await self._fetch():
                yield doc

        return gen()


class EmbeddedCollection:
    """A mongomock collection with the server behaviour production code relies on."""

    def __init__(
        self,
        sync: Any,
        database: EmbeddedDatabase,
        document_class: type = dict,
    ) -> None:
        self._sync = sync
        self._database = database
        self._interleave = database.client.interleave
        # mongomock only decodes into dicts (it refuses another CodecOptions.document_class):
        # the adapter converts what it returns, so callers see what the driver would give.
        self._document_class = document_class
        self.name: str = sync.name

    # --- what every call shares ------------------------------------------------------

    async def turn(self) -> None:
        """With `interleave`, let other tasks run before a round trip, as a server would."""
        if self._interleave:
            await asyncio.sleep(0)

    def decoded(self, value: Any) -> Any:
        if self._document_class is dict:
            return value
        return as_document_class(value, self._document_class)

    async def _run(self, command: str, body: dict[str, Any], call: Callable[[], Any]) -> Any:
        """One round trip: the interleaving yield, then the call, announced to the
        client's command listeners as the server's command would be."""
        await self.turn()
        return self._database.client.events.run(self._database.name, command, body, call)

    @property
    def codec_options(self) -> CodecOptions[Any]:
        """The client's options with this view's document_class, as a driver reports them."""
        options = self._sync.codec_options._asdict()
        return CodecOptions(**{**options, "document_class": self._document_class})

    def with_options(self, codec_options: CodecOptions[Any]) -> EmbeddedCollection:
        """Only the document_class may change: mongomock supports no other codec option."""
        if codec_options.with_options(document_class=dict) != self.codec_options.with_options(
            document_class=dict
        ):
            raise NotImplementedError("the embedded database only supports document_class")
        return EmbeddedCollection(self._sync, self._database, codec_options.document_class)

    def _timed(
        self, a: tuple[Any, ...], k: dict[str, Any]
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The call's filter and update (or pipeline) evaluated at the server's time."""
        now = self._database.client.now()
        k = {
            key: at_server_time(val, now) if key in ("filter", "update", "pipeline") else val
            for key, val in k.items()
        }
        return tuple(at_server_time(x, now) if i < 2 else x for i, x in enumerate(a)), k

    # --- reads -------------------------------------------------------------------------

    def find(self, *a: Any, **k: Any) -> EmbeddedCursor:
        a, k = self._timed(a, k)
        chain = self._sync.find(*a, **k)
        body = {"find": self.name, "filter": a[0] if a else k.get("filter", {})}
        return EmbeddedCursor(
            lambda: self._database.client.events.run(
                self._database.name, "find", body, lambda: list(chain)
            ),
            self,
            chain,
        )

    async def find_one(self, *a: Any, **k: Any) -> Any:
        a, k = self._timed(a, k)
        body = {"find": self.name, "filter": a[0] if a else k.get("filter", {}), "limit": 1}
        return self.decoded(await self._run("find", body, lambda: self._sync.find_one(*a, **k)))

    async def count_documents(self, *a: Any, **k: Any) -> int:
        a, k = self._timed(a, k)
        body = {"aggregate": self.name, "pipeline": [{"$match": a[0] if a else {}}]}
        return int(await self._run("aggregate", body, lambda: self._sync.count_documents(*a, **k)))

    async def estimated_document_count(self, *a: Any, **k: Any) -> int:
        call = lambda: self._sync.estimated_document_count(*a, **k)  # noqa: E731
        return int(await self._run("count", {"count": self.name}, call))

    async def distinct(self, *a: Any, **k: Any) -> list[Any]:
        body = {"distinct": self.name, "key": a[0] if a else k.get("key")}
        return self.decoded(await self._run("distinct", body, lambda: self._sync.distinct(*a, **k)))

    async def aggregate(self, pipeline: Sequence[dict[str, Any]], *a: Any, **k: Any) -> Any:
        """Awaited, as PyMongo's is: the command runs (and fails) here; its cursor holds the
        results."""
        stages: list[dict[str, Any]] = at_server_time(list(pipeline), self._database.client.now())

        def run() -> list[dict[str, Any]]:
            if any("$unionWith" in stage for stage in stages):
                docs = self._union_pipeline(stages)
            elif stages and list(stages[0]) == ["$match"]:
                # mongomock copies (and re-zones the datetimes of) every document in the
                # collection before the first stage: 0.4 s per `progress` aggregation over
                # 1,900 messages, on the event loop. A server applies a leading $match
                # through its indexes first; so does this, through find.
                matched = list(self._sync.find(stages[0]["$match"]))
                docs = list(process_pipeline(matched, self._sync.database, stages[1:], None))
            else:
                docs = list(self._sync.aggregate(stages, *a, **k))
            return check_document_sizes(docs)  # type: ignore[no-any-return]

        body = {"aggregate": self.name, "pipeline": stages}
        docs = await self._run("aggregate", body, run)
        return EmbeddedCursor(lambda: docs, self, None)

    # --- writes ------------------------------------------------------------------------

    async def insert_one(self, doc: Any, *a: Any, **k: Any) -> Any:
        body = {"insert": self.name, "documents": [doc]}
        return await self._run("insert", body, lambda: self._sync.insert_one(doc, *a, **k))

    async def insert_many(self, docs: Any, *a: Any, **k: Any) -> Any:
        docs = list(docs)
        body = {"insert": self.name, "documents": docs}
        return await self._run("insert", body, lambda: self._sync.insert_many(docs, *a, **k))

    async def update_one(self, *a: Any, **k: Any) -> Any:
        return await self._upsert("update", "update_one", a, k)

    async def update_many(self, *a: Any, **k: Any) -> Any:
        return await self._upsert("update", "update_many", a, k)

    async def replace_one(self, *a: Any, **k: Any) -> Any:
        return await self._upsert("update", "replace_one", a, k)

    async def find_one_and_update(self, *a: Any, **k: Any) -> Any:
        return self.decoded(await self._upsert("findAndModify", "find_one_and_update", a, k))

    async def find_one_and_replace(self, *a: Any, **k: Any) -> Any:
        return self.decoded(await self._upsert("findAndModify", "find_one_and_replace", a, k))

    async def find_one_and_delete(self, *a: Any, **k: Any) -> Any:
        body = {"findAndModify": self.name, "query": a[0] if a else k.get("filter"), "remove": 1}
        call = lambda: self._sync.find_one_and_delete(*a, **k)  # noqa: E731
        return self.decoded(await self._run("findAndModify", body, call))

    async def delete_one(self, *a: Any, **k: Any) -> Any:
        body = {"delete": self.name, "deletes": [{"q": a[0] if a else k.get("filter")}]}
        return await self._run("delete", body, lambda: self._sync.delete_one(*a, **k))

    async def delete_many(self, *a: Any, **k: Any) -> Any:
        body = {"delete": self.name, "deletes": [{"q": a[0] if a else k.get("filter")}]}
        return await self._run("delete", body, lambda: self._sync.delete_many(*a, **k))

    async def bulk_write(self, requests: list[Any], ordered: bool = True, **_k: Any) -> Any:
        """mongomock's bulk_write cannot read pymongo 4.9+ operations: run them one by one
        (each its own round trip and command, so interleaving writers see each)."""
        matched = upserted = deleted = inserted = 0
        for op in requests:
            if isinstance(op, UpdateOne | UpdateMany | ReplaceOne):
                update = {UpdateOne: "update_one", UpdateMany: "update_many"}.get(
                    type(op), "replace_one"
                )
                result = await self._upsert(
                    "update", update, (op._filter, op._doc), {"upsert": bool(op._upsert)}
                )
                matched += result.matched_count
                upserted += result.upserted_id is not None
            elif isinstance(op, InsertOne):
                await self.insert_one(op._doc)
                inserted += 1
            elif isinstance(op, DeleteOne | DeleteMany):
                delete = self.delete_one if isinstance(op, DeleteOne) else self.delete_many
                deleted += (await delete(op._filter)).deleted_count
            else:  # pragma: no cover - no caller sends other operations
                raise NotImplementedError(type(op).__name__)
        return BulkResult(matched, upserted, deleted, inserted)

    # An upsert on a server is "find a match, else insert"; only a filter that is pure
    # equality on a unique key is retried by the server when the insert collides.
    async def _upsert(
        self, command: str, method: str, a: tuple[Any, ...], k: dict[str, Any]
    ) -> Any:
        query: dict[str, Any] = a[0] if a else k["filter"]
        check_update_paths(a[1] if len(a) > 1 else k.get("update"))
        if k.get("upsert") and _has_expr(query):
            raise OperationFailure(
                "$expr is not allowed in the query predicate for an upsert", code=224
            )
        body = {command: self.name, "q": query, "upsert": bool(k.get("upsert"))}

        def call() -> Any:
            ta, tk = self._timed(a, k)
            return getattr(self._sync, method)(*ta, **tk)

        if not (self._interleave and k.get("upsert")):
            return await self._run(command, body, call)
        await self.turn()
        if self._sync.find_one(query, {"_id": 1}) is not None:
            return await self._run(command, body, call)  # matched: the update itself is atomic
        await asyncio.sleep(0)  # another writer may insert the same key now

        def insert() -> Any:
            if self._sync.find_one(query, {"_id": 1}) is not None and not self._unique_equality(
                query
            ):
                raise DuplicateKeyError(
                    "E11000 duplicate key error: a concurrent upsert inserted this key first",
                    code=11000,
                )
            return call()

        return self._database.client.events.run(self._database.name, command, body, insert)

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

    # --- indexes -----------------------------------------------------------------------

    def _partial_filters(self) -> dict[str, Any]:
        """name -> partialFilterExpression of the indexes built here: mongomock honours
        the filter but leaves it out of index_information, where a server lists it."""
        sync = self._sync
        filters = getattr(sync, "_partial_filters", None)
        if filters is None:
            filters = {}
            sync._partial_filters = filters
        return filters  # type: ignore[no-any-return]

    def _information(self) -> dict[str, Any]:
        info = self._sync.index_information()
        for name, expression in self._partial_filters().items():
            if name in info:
                info[name] = {**info[name], "partialFilterExpression": expression}
        return info  # type: ignore[no-any-return]

    async def index_information(self) -> dict[str, Any]:
        body = {"listIndexes": self.name}
        return await self._run("listIndexes", body, self._information)  # type: ignore[no-any-return]

    async def create_indexes(self, indexes: list[Any], *a: Any, **k: Any) -> list[str]:
        """A server refuses an index whose keys and signature options an index of another
        name already has (IndexOptionsConflict, code 85); mongomock would silently build a
        second one. The signature is the keys with `unique`, `sparse`,
        `partialFilterExpression` and `collation` (SERVER-25023, SERVER-47657, MongoDB
        5.0+): the same keys with another partial filter (`messages.user_corrections`
        beside a retired full `user_time`) are a second index on a server, not a clash."""

        def create() -> list[str]:
            existing = self._information()
            for index in indexes:
                doc = index.document
                keys = key_spec(doc["key"])
                for name, spec in existing.items():
                    if (
                        name != doc["name"]
                        and key_spec(spec["key"]) == keys
                        and _signature(spec) == _signature(doc)
                    ):
                        raise OperationFailure(
                            f"Index already exists with a different name: {name}", code=85
                        )
            names = self._sync.create_indexes(indexes, *a, **k)
            for index in indexes:
                expression = index.document.get("partialFilterExpression")
                if expression is not None:
                    self._partial_filters()[index.document["name"]] = expression
            return names  # type: ignore[no-any-return]

        body = {"createIndexes": self.name, "indexes": [i.document for i in indexes]}
        return await self._run("createIndexes", body, create)  # type: ignore[no-any-return]

    async def drop_index(self, name: Any, *a: Any, **k: Any) -> None:
        body = {"dropIndexes": self.name, "index": name}

        def drop() -> None:
            self._sync.drop_index(name, *a, **k)
            self._partial_filters().pop(name, None)

        await self._run("dropIndexes", body, drop)

    # $unionWith: the head runs on this collection, each branch on its own collection, the
    # stages after a branch on everything gathered so far. Each collection is read once
    # and branches that start with an equality $match only see the matching documents, so
    # a page per parent costs what a server's index would, not one collection scan each.
    def _union_pipeline(self, pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
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
