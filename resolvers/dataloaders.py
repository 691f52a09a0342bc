"""Per-request DataLoaders: every relation is fetched in one round trip per level.

A nested page (`User.sessions`, `Session.messages`, `User.exercises`) for many parents is
one aggregation with one branch per parent (`$unionWith`): each branch is an equality
match on the parent, the sort and `$limit first+1`, so the (parent, sort, _id) index walks
at most first+1 entries per parent, however many children a parent has. When the client
selects totalCount one more branch counts the children of every parent on the same index.
(Grouping every child with $push+$slice read all of them and could hit $group's 100 MB
limit; $firstN bounds memory but still reads every child.)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from strawberry.dataloader import DataLoader

from models.db import Database
from models.rows import Row
from resolvers.pagination import Connection, Order, after_filter, build_connection

SESSION_ORDER = Order("started_at", descending=True)
MESSAGE_ORDER = Order("timestamp", descending=False)
EXERCISE_ORDER = Order("created_at", descending=True)

# Bookkeeping fields that no GraphQL field exposes.
MESSAGE_HIDDEN = frozenset({"idempotency_key", "applied", "guarded", "applied_at"})
SESSION_HIDDEN = frozenset({"applied_ids", "guard_ids"})
# Parents per aggregation: one $unionWith stage each, under the server's 1000-stage limit.
MAX_PARENTS_PER_BATCH = 500
PAGE_TAG = "__page"
COUNT_TAG = "__count"


def exclude(fields: frozenset[str] | None) -> dict[str, int] | None:
    """A fresh projection per call: drivers may add keys (e.g. _id) to the dict they get."""
    return {f: 0 for f in fields} if fields else None


@dataclass(frozen=True, slots=True)
class Range:
    """A [start, end) filter value in a PageKey (hashable, unlike the query dict)."""

    start: Any = None
    end: Any = None

    def query(self) -> dict[str, Any]:
        bounds = {"$gte": self.start, "$lt": self.end}
        return {op: v for op, v in bounds.items() if v is not None}


def filter_query(filters: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    return {f: v.query() if isinstance(v, Range) else v for f, v in filters}


@dataclass(frozen=True, slots=True)
class PageKey:
    parent_id: str
    first: int
    after: str | None = None
    filters: tuple[tuple[str, Any], ...] = ()
    # totalCount is only counted when the client selects it.
    count: bool = False
    # The parent's owner when the children are sharded by user (messages: docs/scaling.md):
    # it makes each branch a targeted query on a sharded cluster. Same rows either way.
    owner: str | None = None


def _by_id_loader(
    collection: Any,
    hidden: frozenset[str] | None = None,
    batched: bool = True,
    seen: dict[str, Row] | None = None,
) -> DataLoader[str, Row | None]:
    """`seen`: rows this request's pages already returned, served without a query (a plain
    dict, filled by the page loaders: priming the DataLoader with a future per row cost
    more than the rest of a 10,000-row page's handling)."""

    async def load(ids: list[str]) -> Sequence[Row | None]:
        found = {i: seen[i] for i in ids if i in seen} if seen else {}
        unique = list({i for i in ids if i not in found})
        if unique:
            query = {"_id": unique[0]} if len(unique) == 1 else {"_id": {"$in": unique}}
            async for d in collection.find(query, exclude(hidden)):
                found[d["_id"]] = Row(d)
        return [found.get(i) for i in ids]

    return _loader(load, batched)


def _order_key(order: Order) -> Callable[[Row], tuple[bool, Any, str]]:
    def key(row: Row) -> tuple[bool, Any, str]:
        value = row.get(order.field)
        return (value is not None, value, row["_id"])  # a missing value sorts first, as null

    return key


def _page_loader(
    collection: Any,
    parent_field: str,
    order: Order,
    hidden: frozenset[str] | None = None,
    seen: dict[str, Row] | None = None,
    batched: bool = True,
) -> DataLoader[PageKey, Connection]:
    """Every row a page returns goes into `seen` (the by-id loader's), so
    `node { session { ... } }`-style back-references cost no further round trip."""
    direction = -1 if order.descending else 1
    sort = {order.field: direction, "_id": direction}

    def page_branch(i: int, key: PageKey) -> list[dict[str, Any]]:
        match = {parent_field: key.parent_id, **filter_query(key.filters)}
        if key.owner is not None:
            match["user_id"] = key.owner
        if key.after is not None:
            match = {"$and": [match, after_filter(order, key.after)]}
        branch: list[dict[str, Any]] = [
            {"$match": match},
            {"$sort": sort},
            {"$limit": key.first + 1},
        ]
        if hidden:
            branch.append({"$project": exclude(hidden)})
        return [*branch, {"$addFields": {PAGE_TAG: i}}]

    def count_branch(
        i: int, filters: tuple[tuple[str, Any], ...], parents: dict[str, str | None]
    ) -> list[dict[str, Any]]:
        match = {parent_field: {"$in": list(parents)}, **filter_query(filters)}
        owners = set(parents.values())
        if None not in owners:
            match["user_id"] = {"$in": sorted(o for o in owners if o is not None)}
        return [
            {"$match": match},
            {"$group": {"_id": f"${parent_field}", "n": {"$sum": 1}}},
            {"$addFields": {COUNT_TAG: i}},
        ]

    async def load(keys: list[PageKey]) -> Sequence[Connection]:
        unique = list(dict.fromkeys(keys))
        branches = [page_branch(i, key) for i, key in enumerate(unique)]
        to_count: dict[tuple[tuple[str, Any], ...], dict[str, str | None]] = defaultdict(dict)
        for key in unique:
            if key.count:
                to_count[key.filters][key.parent_id] = key.owner
        count_groups = list(to_count.items())
        branches += [count_branch(i, f, parents) for i, (f, parents) in enumerate(count_groups)]
        pipeline = branches[0] + [
            {"$unionWith": {"coll": collection.name, "pipeline": b}} for b in branches[1:]
        ]
        docs: dict[int, list[Row]] = defaultdict(list)
        counts: dict[tuple[int, str], int] = {}
        # One await for the whole result (bounded: at most first+1 rows per key), not one
        # per row: a 10,000-row level spent ~10 ms in per-row async iteration.
        for d in await collection.aggregate(pipeline).to_list(None):
            if COUNT_TAG in d:
                counts[(d[COUNT_TAG], d["_id"])] = d["n"]
            else:
                docs[d.pop(PAGE_TAG)].append(Row(d))
        count_index = {filters: i for i, (filters, _) in enumerate(count_groups)}
        pages: dict[PageKey, Connection] = {}
        for i, key in enumerate(unique):
            total = 0
            if key.count:
                total = counts.get((count_index[key.filters], key.parent_id), 0)
            # The server keeps each branch's order, but nothing documents that for the
            # stream $unionWith produces: sort the (at most first+1) rows here.
            rows = sorted(docs[i], key=_order_key(order), reverse=order.descending)
            pages[key] = build_connection(rows, key.first, order, total=total)
        if seen is not None and batched:
            for rows in docs.values():
                seen.update((row["_id"], row) for row in rows)
        return [pages[k] for k in keys]

    return _loader(load, batched)


def _loader(load: Any, batched: bool) -> DataLoader[Any, Any]:
    """batched=False loads every key on its own, uncached: what naive per-item resolvers do
    (used by the benchmarks as the baseline batching is measured against)."""
    if batched:
        return DataLoader(load_fn=load, max_batch_size=MAX_PARENTS_PER_BATCH)
    return DataLoader(load_fn=load, max_batch_size=1, cache=False)


class Loaders:
    """Created per request; each loader only when a resolver first asks for it."""

    def __init__(self, db: Database, half_life_days: float = 14.0, batched: bool = True) -> None:
        self.db = db
        self.half_life_days = half_life_days
        self.batched = batched
        # Rows the page loaders returned, per collection, for the by-id loaders.
        self.seen: dict[str, dict[str, Row]] = {
            "sessions": {},
            "messages": {},
            "exercises": {},
        }

    @cached_property
    def error_stats(self) -> DataLoader[Any, Any]:
        from resolvers.practice.stats import stats_loader

        return stats_loader(self.db, self.half_life_days)

    @cached_property
    def user(self) -> DataLoader[str, Row | None]:
        return _by_id_loader(self.db.users, batched=self.batched)

    @cached_property
    def session(self) -> DataLoader[str, Row | None]:
        return _by_id_loader(self.db.sessions, SESSION_HIDDEN, self.batched, self.seen["sessions"])

    @cached_property
    def message(self) -> DataLoader[str, Row | None]:
        return _by_id_loader(self.db.messages, MESSAGE_HIDDEN, self.batched, self.seen["messages"])

    @cached_property
    def exercise(self) -> DataLoader[str, Row | None]:
        return _by_id_loader(self.db.exercises, batched=self.batched, seen=self.seen["exercises"])

    @cached_property
    def sessions_by_user(self) -> DataLoader[PageKey, Connection]:
        return _page_loader(
            self.db.sessions,
            "user_id",
            SESSION_ORDER,
            SESSION_HIDDEN,
            self.seen["sessions"],
            self.batched,
        )

    @cached_property
    def messages_by_session(self) -> DataLoader[PageKey, Connection]:
        return _page_loader(
            self.db.messages,
            "session_id",
            MESSAGE_ORDER,
            MESSAGE_HIDDEN,
            self.seen["messages"],
            self.batched,
        )

    @cached_property
    def exercises_by_user(self) -> DataLoader[PageKey, Connection]:
        return _page_loader(
            self.db.exercises,
            "user_id",
            EXERCISE_ORDER,
            seen=self.seen["exercises"],
            batched=self.batched,
        )
