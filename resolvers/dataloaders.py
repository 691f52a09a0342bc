"""Per-request DataLoaders: every relation is fetched in one round trip per level.

A nested page (`User.sessions`, `Session.messages`, `User.exercises`) for many parents is
one aggregation: match all parents, sort, group per parent and slice the first N+1, which
also yields each parent's totalCount. ($push+$slice runs on every MongoDB version and on
the embedded database; on MongoDB >= 5.2 `$firstN` would bound the group's memory too.)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from strawberry.dataloader import DataLoader

from models.db import Database
from models.rows import Row
from resolvers.pagination import Connection, Order, after_filter, build_connection, sort_spec

SESSION_ORDER = Order("started_at", descending=True)
MESSAGE_ORDER = Order("timestamp", descending=False)
EXERCISE_ORDER = Order("created_at", descending=True)

# Bookkeeping fields that no GraphQL field exposes.
MESSAGE_HIDDEN = frozenset({"idempotency_key", "applied"})
SESSION_HIDDEN = frozenset({"applied_ids"})


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


def _by_id_loader(
    collection: Any, hidden: frozenset[str] | None = None, batched: bool = True
) -> DataLoader[str, Row | None]:
    async def load(ids: list[str]) -> Sequence[Row | None]:
        unique = list(set(ids))
        query = {"_id": unique[0]} if len(unique) == 1 else {"_id": {"$in": unique}}
        found = {d["_id"]: Row(d) async for d in collection.find(query, exclude(hidden))}
        return [found.get(i) for i in ids]

    return _loader(load, batched)


def _page_loader(
    collection: Any,
    parent_field: str,
    order: Order,
    hidden: frozenset[str] | None = None,
    by_id: DataLoader[str, Row | None] | None = None,
    batched: bool = True,
) -> DataLoader[PageKey, Connection]:
    """`by_id` is primed with every row a page returns, so `node { session { ... } }`-style
    back-references cost no further round trip."""
    direction = -1 if order.descending else 1

    async def load(keys: list[PageKey]) -> Sequence[Connection]:
        groups: dict[tuple[int, str | None, tuple[tuple[str, Any], ...]], list[str]] = defaultdict(
            list
        )
        for key in keys:
            groups[(key.first, key.after, key.filters)].append(key.parent_id)
        pages: dict[PageKey, Connection] = {}
        for (first, after, filters), parent_ids in groups.items():
            match: dict[str, Any] = {
                parent_field: {"$in": list(set(parent_ids))},
                **filter_query(filters),
            }
            if after is None:
                pipeline: list[dict[str, Any]] = [{"$match": match}]
                if hidden:
                    pipeline.append({"$project": exclude(hidden)})
                pipeline += [
                    {"$sort": {parent_field: 1, order.field: direction, "_id": direction}},
                    {
                        "$group": {
                            "_id": f"${parent_field}",
                            "docs": {"$push": "$$ROOT"},
                            "n": {"$sum": 1},
                        }
                    },
                    {"$project": {"docs": {"$slice": ["$docs", first + 1]}, "n": 1}},
                ]
                found = {r["_id"]: r async for r in collection.aggregate(pipeline)}
                for parent_id in parent_ids:
                    hit = found.get(parent_id)
                    docs = [Row(d) for d in hit["docs"]] if hit else []
                    pages[PageKey(parent_id, first, after, filters)] = build_connection(
                        docs, first, order, total=hit["n"] if hit else 0
                    )
            else:
                # A cursor belongs to one parent; clients page one parent at a time.
                for parent_id in parent_ids:
                    base = {parent_field: parent_id, **filter_query(filters)}
                    cursor = collection.find(
                        {**base, **after_filter(order, after)}, exclude(hidden)
                    )
                    docs = [Row(d) async for d in cursor.sort(sort_spec(order)).limit(first + 1)]
                    total = await collection.count_documents(base)
                    pages[PageKey(parent_id, first, after, filters)] = build_connection(
                        docs, first, order, total=total
                    )
        if by_id is not None and batched:
            by_id.prime_many({e.node["_id"]: e.node for p in pages.values() for e in p.edges})
        return [pages[k] for k in keys]

    return _loader(load, batched)


def _loader(load: Any, batched: bool) -> DataLoader[Any, Any]:
    """batched=False loads every key on its own, uncached: what naive per-item resolvers do
    (used by the benchmarks as the baseline batching is measured against)."""
    if batched:
        return DataLoader(load_fn=load)
    return DataLoader(load_fn=load, max_batch_size=1, cache=False)


class Loaders:
    """Created per request; each loader only when a resolver first asks for it."""

    def __init__(self, db: Database, half_life_days: float = 14.0, batched: bool = True) -> None:
        self.db = db
        self.half_life_days = half_life_days
        self.batched = batched

    @cached_property
    def error_stats(self) -> DataLoader[Any, Any]:
        from resolvers.practice.stats import stats_loader

        return stats_loader(self.db, self.half_life_days)

    @cached_property
    def user(self) -> DataLoader[str, Row | None]:
        return _by_id_loader(self.db.users, batched=self.batched)

    @cached_property
    def session(self) -> DataLoader[str, Row | None]:
        return _by_id_loader(self.db.sessions, SESSION_HIDDEN, self.batched)

    @cached_property
    def message(self) -> DataLoader[str, Row | None]:
        return _by_id_loader(self.db.messages, MESSAGE_HIDDEN, self.batched)

    @cached_property
    def exercise(self) -> DataLoader[str, Row | None]:
        return _by_id_loader(self.db.exercises, batched=self.batched)

    @cached_property
    def sessions_by_user(self) -> DataLoader[PageKey, Connection]:
        return _page_loader(
            self.db.sessions, "user_id", SESSION_ORDER, SESSION_HIDDEN, self.session, self.batched
        )

    @cached_property
    def messages_by_session(self) -> DataLoader[PageKey, Connection]:
        return _page_loader(
            self.db.messages,
            "session_id",
            MESSAGE_ORDER,
            MESSAGE_HIDDEN,
            self.message,
            self.batched,
        )

    @cached_property
    def exercises_by_user(self) -> DataLoader[PageKey, Connection]:
        return _page_loader(
            self.db.exercises, "user_id", EXERCISE_ORDER, by_id=self.exercise, batched=self.batched
        )
