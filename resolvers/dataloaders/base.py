"""The machinery of the per-request DataLoaders: every relation is fetched in one round
trip per level. The loaders themselves, one named class per relation, are in the domain
modules beside this one (users, sessions, messages, exercises).

A nested page (`User.sessions`, `Session.messages`, `User.exercises`) for many parents is
one aggregation with one branch per parent (`$unionWith`): each branch is an equality
match on the parent, the sort and `$limit first+1`, so the (parent, sort, _id) index walks
at most first+1 entries per parent, however many children a parent has. When the client
selects totalCount one more branch counts the children of every parent on the same index.
(Grouping every child with $push+$slice read all of them and could hit $group's 100 MB
limit; $firstN bounds memory but still reads every child.)
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from operator import itemgetter
from typing import Any, ClassVar, NamedTuple

from opentelemetry.trace import Tracer
from pymongo.errors import OperationFailure

from models.db import Database
from models.rows import Row
from resolvers.cursors import Position
from resolvers.errors import BadUserInput
from resolvers.loader import BatchLoader
from resolvers.pagination import (
    Connection,
    Order,
    build_connection,
    check_cursor,
    legacy_matches,
    legacy_projection,
    legacy_refused,
    seek_filter,
    sort_spec,
)

# Parents per aggregation: one $unionWith stage each, under the server's 1000-stage limit.
MAX_PARENTS_PER_BATCH = 500
PAGE_TAG = "__page"
PAGE_ROWS = "rows"
# A server refusing a result document over 16 MB: BSONObjectTooLarge, and older
# servers' "aggregation result exceeds maximum document size".
DOCUMENT_TOO_LARGE = frozenset({10334, 16389})
COUNT_TAG = "__count"


def exclude(fields: frozenset[str] | None) -> dict[str, int] | None:
    """A fresh projection per call: drivers may add keys (e.g. _id) to the dict they get."""
    return {f: 0 for f in fields} if fields else None


class Range(NamedTuple):
    """A [start, end) filter value in a PageKey (hashable, unlike the query dict)."""

    start: Any = None
    end: Any = None

    def query(self) -> dict[str, Any]:
        bounds = {"$gte": self.start, "$lt": self.end}
        return {op: v for op, v in bounds.items() if v is not None}


def filter_query(filters: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    return {f: v.query() if isinstance(v, Range) else v for f, v in filters}


class PageKey(NamedTuple):
    """A tuple, not a dataclass: the DataLoader's cache and the batch's de-duplication hash
    and compare every key several times, in C for a tuple (a dataclass's are Python)."""

    parent_id: str
    first: int
    after: str | None = None
    filters: tuple[tuple[str, Any], ...] = ()
    # totalCount is only counted when the client selects it. (Not `count`: that would
    # hide tuple.count.)
    counted: bool = False
    # The parent's owner when the children are sharded by user (messages: docs/scaling.md):
    # it makes each branch a targeted query on a sharded cluster. Same rows either way.
    owner: str | None = None
    # Whether the client selected an edge `cursor`: without, the page's edges are its rows
    # (resolvers/pagination.py build_connection).
    cursors: bool = True
    # last/before: `first` rows before the cursor `after` (resolvers/pagination.py Window).
    backward: bool = False


_row_id = itemgetter("_id")


class Seen:
    """Rows this request's pages returned, for the by-id loader of their collection.

    The pages' row lists are kept as they are and indexed by id only when a by-id load
    first consults them: most requests never load a paged row by id, and indexing every
    row of a 10,000-row level up front cost more than the rest of its handling.
    """

    __slots__ = ("_by_id", "_pending")

    def __init__(self) -> None:
        self._by_id: dict[str, Row] = {}
        self._pending: list[Iterable[list[Row]]] = []

    def add(self, pages: Iterable[list[Row]]) -> None:
        self._pending.append(pages)

    def clear(self) -> None:
        self._by_id.clear()
        self._pending.clear()

    def by_id(self) -> dict[str, Row]:
        """Later pages' rows win, as when each page was indexed on arrival."""
        if self._pending:
            for pages in self._pending:
                for rows in pages:
                    self._by_id.update(zip(map(_row_id, rows), rows, strict=True))
            self._pending.clear()
        return self._by_id


def _by_id_load(
    collection: Any, hidden: frozenset[str] | None = None, seen: Seen | None = None
) -> Callable[[list[str]], Awaitable[Sequence[Row | None]]]:
    """`collection` decodes into Rows (Database.rows). `seen`: rows this request's pages
    already returned, served without a query (priming the DataLoader with a future per
    row cost more than the rest of a 10,000-row page's handling)."""

    async def load(ids: list[str]) -> Sequence[Row | None]:
        known = seen.by_id() if seen is not None else None
        found = {i: known[i] for i in ids if i in known} if known else {}
        unique = list({i for i in ids if i not in found})
        if unique:
            query = {"_id": unique[0]} if len(unique) == 1 else {"_id": {"$in": unique}}
            async for d in collection.find(query, exclude(hidden)):
                found[d["_id"]] = d
        return list(map(found.get, ids))

    return load


def _by_id_loader(
    collection: Any,
    hidden: frozenset[str] | None = None,
    batched: bool = True,
    seen: Seen | None = None,
) -> BatchLoader[str, Row | None]:
    return _loader(_by_id_load(collection, hidden, seen), batched)


# A page's pipeline stages that every branch (and every request) has alike are one dict
# each, shared: the driver only encodes a pipeline (a projection given to `find` is another
# matter: see `exclude`). A loader is made per request; its relation's stages were built
# with each one (making the loaders was ~4% of a learner's history page, py-spy).
GROUP_STAGE: dict[str, Any] = {"$group": {"_id": None, PAGE_ROWS: {"$push": "$$ROOT"}}}


@functools.cache
def _stages(
    order: Order, hidden: frozenset[str] | None
) -> tuple[dict[bool, dict[str, Any]], dict[str, Any] | None, dict[int, dict[str, int]]]:
    """(the `$sort` of a forward page and of a backward one, the `$project`, the `$limit`
    per page size: at most MAX_FIRST + 1 of them) of one relation's order and hidden
    fields."""
    sort = {backward: {"$sort": dict(sort_spec(order, backward))} for backward in (False, True)}
    return sort, ({"$project": exclude(hidden)} if hidden else None), {}


class PageReader:
    """The pages of one relation (children of `parent_field` in `collection`, in `order`)
    for many PageKeys: one aggregation, a `$unionWith` branch per page and one per set of
    counted filters (the module's docstring). `collection` decodes into Rows
    (Database.rows). Every row a page returns goes into `seen` (the by-id loader's), so
    `node { session { ... } }`-style back-references cost no further round trip."""

    def __init__(
        self,
        collection: Any,
        parent_field: str,
        order: Order,
        hidden: frozenset[str] | None = None,
        seen: Seen | None = None,
        batched: bool = True,
    ) -> None:
        self.collection = collection
        self.parent_field = parent_field
        self.order = order
        self.batched = batched
        self.seen = seen if batched else None
        stages = _stages(order, hidden)
        self.sort_stages, self.project_stage, self.limit_stages = stages
        self.group_stage = GROUP_STAGE

    def loader(self) -> BatchLoader[PageKey, Connection]:
        return BatchLoader(self.load, **batching(self.batched))

    def key_of(self, row: Row) -> tuple[bool, Any, str]:
        value = row.get(self.order.field)
        return (value is not None, value, row["_id"])  # a missing value sorts first, as null

    def page_branch(
        self, i: int, key: PageKey, grouped: bool = True, position: Position | None = None
    ) -> list[dict[str, Any]]:
        match: dict[str, Any] = {self.parent_field: key.parent_id}
        if key.filters:
            match.update(filter_query(key.filters))
        if key.owner is not None:
            match["user_id"] = key.owner
        if position is not None:
            match = {"$and": [match, seek_filter(self.order, position, key.backward)]}
        limit = self.limit_stages.get(key.first)
        if limit is None:
            limit = self.limit_stages[key.first] = {"$limit": key.first + 1}
        branch: list[dict[str, Any]] = [{"$match": match}, self.sort_stages[key.backward], limit]
        if self.project_stage is not None:
            branch.append(self.project_stage)
        # The page as one document: the server groups (at most first+1 rows, in the $sort
        # order: $push keeps the order documents come in, which the manual guarantees
        # after a $sort), so no row is tagged, split out or re-sorted here. Ungrouped
        # (a page too large for one document): each row is tagged with its branch.
        if grouped:
            branch.append(self.group_stage)
        branch.append({"$addFields": {PAGE_TAG: i}})
        return branch

    def count_branch(
        self, i: int, filters: tuple[tuple[str, Any], ...], parents: dict[str, str | None]
    ) -> list[dict[str, Any]]:
        match = {self.parent_field: {"$in": list(parents)}, **filter_query(filters)}
        owners = set(parents.values())
        if None not in owners:
            match["user_id"] = {"$in": sorted(o for o in owners if o is not None)}
        return [
            {"$match": match},
            {"$group": {"_id": f"${self.parent_field}", "n": {"$sum": 1}}},
            {"$addFields": {COUNT_TAG: i}},
        ]

    async def positions(
        self, unique: list[PageKey]
    ) -> tuple[dict[PageKey, Position], dict[PageKey, BadUserInput]]:
        """Each key's cursor checked against its parent's connection: the positions of
        the good ones and the refusal of the others (a page of its own: the other parents
        of the batch still load). Old-format cursors are matched to their rows with one
        read for the whole batch, made only when some key has one."""
        positions: dict[PageKey, Position] = {}
        refused: dict[PageKey, BadUserInput] = {}
        legacy = {}
        for key in unique:
            if key.after is None:
                continue
            try:
                decoded = check_cursor(self.order, key.after, key.backward, key.parent_id)
            except BadUserInput as exc:
                refused[key] = exc
                continue
            if decoded.order is None:
                legacy[key] = decoded
            else:
                positions[key] = decoded.position
        if legacy:
            ids = list({d.position.doc_id for d in legacy.values()})
            found = self.collection.find({"_id": {"$in": ids}}, legacy_projection(self.order))
            rows = {r["_id"]: r async for r in found}
            for key, decoded in legacy.items():
                row = rows.get(decoded.position.doc_id)
                if legacy_matches(self.order, decoded, row, key.parent_id):
                    positions[key] = decoded.position
                else:
                    refused[key] = legacy_refused(self.order, key.backward)
        return positions, refused

    async def load(self, keys: list[PageKey]) -> Sequence[Connection | BadUserInput]:
        unique = list(dict.fromkeys(keys))
        positions, refused = await self.positions(unique)
        if refused:
            unique = [key for key in unique if key not in refused]
        if not unique:
            return list(map(refused.__getitem__, keys))
        try:
            docs, counts, count_groups = await self.read(unique, True, positions)
        except OperationFailure as exc:
            if exc.code not in DOCUMENT_TOO_LARGE:
                raise
            # A page's rows together exceed the 16 MB a returned document may hold (long
            # messages with many long errors can): the same read, one document per row.
            docs, counts, count_groups = await self.read(unique, False, positions)
        count_index = {filters: i for i, (filters, _) in enumerate(count_groups)}
        pages: dict[PageKey, Connection | BadUserInput] = dict(refused)
        for i, key in enumerate(unique):
            total = 0
            if key.counted:
                total = counts.get((count_index[key.filters], key.parent_id), 0)
            pages[key] = build_connection(
                docs.get(i, []),
                key.first,
                self.order,
                total=total,
                cursors=key.cursors,
                backward=key.backward,
            )
        if self.seen is not None:
            self.seen.add(docs.values())
        return list(map(pages.__getitem__, keys))

    async def read(
        self,
        unique: list[PageKey],
        grouped: bool,
        positions: dict[PageKey, Position] | None = None,
    ) -> tuple[Any, Any, Any]:
        """(branch -> its rows in order, (count group, parent) -> count, count groups).
        `positions`: where each key's page starts (`positions`), if not at the start."""
        at = positions or {}
        branches = [self.page_branch(i, key, grouped, at.get(key)) for i, key in enumerate(unique)]
        to_count: dict[tuple[tuple[str, Any], ...], dict[str, str | None]] = defaultdict(dict)
        for key in unique:
            if key.counted:
                to_count[key.filters][key.parent_id] = key.owner
        count_groups = list(to_count.items())
        branches += [
            self.count_branch(i, f, parents) for i, (f, parents) in enumerate(count_groups)
        ]
        union = self.collection.name
        pipeline = branches[0] + [
            {"$unionWith": {"coll": union, "pipeline": b}} for b in branches[1:]
        ]
        # One await for the whole result (bounded: at most first+1 rows per key), not one
        # per row: a 10,000-row level spent ~10 ms in per-row async iteration.
        found = await (await self.collection.aggregate(pipeline)).to_list(None)
        if grouped:
            docs, counts = self.split_grouped(found)
        else:
            docs, counts = self.split_rows(found, unique)
        return docs, counts, count_groups

    @staticmethod
    def split_grouped(found: list[Row]) -> tuple[dict[int, list[Row]], dict[tuple[int, str], int]]:
        """One document per page (a page with no rows has none) and one per count."""
        docs: dict[int, list[Row]] = {}
        counts: dict[tuple[int, str], int] = {}
        for d in found:
            tag = d.get(PAGE_TAG)
            if tag is not None:
                docs[tag] = d[PAGE_ROWS]
            else:
                counts[(d[COUNT_TAG], d["_id"])] = d["n"]
        return docs, counts

    def split_rows(
        self, found: list[Row], unique: list[PageKey]
    ) -> tuple[dict[int, list[Row]], dict[tuple[int, str], int]]:
        """One document per row, tagged with its page, and one per count."""
        docs: dict[int, list[Row]] = {}
        counts: dict[tuple[int, str], int] = {}
        for d in found:
            tag = d.pop(PAGE_TAG, None)
            if tag is not None:
                docs.setdefault(tag, []).append(d)
            else:
                counts[(d[COUNT_TAG], d["_id"])] = d["n"]
        # Nothing documents the order of $unionWith's stream: each page is put in its
        # branch's reading order again, (field, _id) with a missing or null value first.
        for tag, rows in docs.items():
            descending = self.order.descending != unique[tag].backward
            docs[tag] = sorted(rows, key=self.key_of, reverse=descending)
        return docs, counts


def _traced_batches(tracer: Tracer, name: str, load: Any) -> Any:
    async def traced(keys: list[Any]) -> Any:
        with tracer.start_as_current_span(
            f"dataloader {name}", attributes={"dataloader.batch_size": len(keys)}
        ):
            return await load(keys)

    return traced


def batching(batched: bool) -> dict[str, Any]:
    """BatchLoader's options. batched=False loads every key on its own, uncached: what naive
    per-item resolvers do (used by the benchmarks as the baseline batching is measured
    against)."""
    if batched:
        return {"max_batch_size": MAX_PARENTS_PER_BATCH}
    return {"max_batch_size": 1, "cache": False}


def _loader(load: Any, batched: bool) -> BatchLoader[Any, Any]:
    return BatchLoader(load_fn=load, **batching(batched))


class ByIdLoader(BatchLoader[str, Row | None]):
    """One collection's rows by id: a subclass per collection names its `collection` (and
    the bookkeeping fields it `hides`), as Saleor's loaders do (UserByIdLoader ...)."""

    collection: ClassVar[str]
    hidden: ClassVar[frozenset[str] | None] = None

    def __init__(self, db: Database, seen: Seen | None = None, batched: bool = True) -> None:
        super().__init__(
            _by_id_load(db.rows(self.collection), self.hidden, seen), **batching(batched)
        )


class PageLoader(BatchLoader[PageKey, Connection]):
    """One relation read as pages (PageReader): a subclass per relation names it, e.g.
    SessionsByUserLoader, the sessions whose `user_id` (its order's `parent_field`, which
    its cursors carry too) is the key's parent."""

    collection: ClassVar[str]
    order: ClassVar[Order]
    hidden: ClassVar[frozenset[str] | None] = None

    def __init__(self, db: Database, seen: Seen | None = None, batched: bool = True) -> None:
        parent_field = self.order.parent_field
        assert parent_field is not None, f"{type(self).__name__}'s order names no parent"
        reader = PageReader(
            db.rows(self.collection), parent_field, self.order, self.hidden, seen, batched
        )
        super().__init__(reader.load, **batching(batched))
