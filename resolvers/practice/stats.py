"""Per-learner error statistics: counts, shares and recency-weighted scores.

Without a window they come from the precomputed error_stats rows (no scan of messages);
with `since`/`until` they are aggregated from messages over the (user_id, timestamp)
index. Both paths give the same numbers for the same data (tests/test_practice.py).
Weights are always relative to now: an error from yesterday outweighs one from last year.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from models.db import Database
from resolvers.context import RequestContext
from resolvers.decay import error_group_stages, weight_at
from resolvers.errors import BadUserInput
from resolvers.loader import BatchLoader
from resolvers.permissions import ensure_user_access

MAX_TOP = 50


@dataclass(frozen=True, slots=True)
class StatsKey:
    user_id: str
    since: datetime | None = None
    until: datetime | None = None


@dataclass(slots=True)
class ErrorStat:
    category: str
    subcategory: str
    count: int
    share: float
    weight: float
    first_seen: datetime | None
    last_seen: datetime | None


@dataclass(slots=True)
class ErrorStats:
    user_id: str
    total_errors: int
    since: datetime | None
    until: datetime | None
    items: list[ErrorStat]


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def stats_loader(
    db: Database, half_life_days: float
) -> BatchLoader[StatsKey, list[dict[str, Any]]]:
    async def load(keys: list[StatsKey]) -> Sequence[list[dict[str, Any]]]:
        now = datetime.now(UTC)
        windows: dict[tuple[datetime | None, datetime | None], list[str]] = defaultdict(list)
        for key in keys:
            windows[(key.since, key.until)].append(key.user_id)
        found: dict[StatsKey, list[dict[str, Any]]] = defaultdict(list)
        for (since, until), user_ids in windows.items():
            ids = list(set(user_ids))
            if since is None and until is None:
                async for row in db.error_stats.find(
                    # count 0: an annotation took back every error the row counted
                    {"user_id": {"$in": ids}, "count": {"$gt": 0}},
                    {"guard_ids": 0, "applied_ids": 0},
                ):
                    found[StatsKey(row["user_id"])].append(
                        {
                            "category": row["category"],
                            "subcategory": row["subcategory"],
                            "count": row["count"],
                            "first_seen": row.get("first_seen"),
                            "last_seen": row.get("last_seen"),
                            "weight": weight_at(row.get("decay_sum", 0.0), now, half_life_days),
                        }
                    )
                continue
            when: dict[str, Any] = {}
            if since is not None:
                when["$gte"] = since
            if until is not None:
                when["$lt"] = until
            pipeline = [
                {"$match": {"user_id": {"$in": ids}, "timestamp": when, "role": "user"}},
                {"$match": {"errors": {"$ne": []}}},
                *error_group_stages(half_life_days, now),
            ]
            async for row in await db.messages.aggregate(pipeline):
                found[StatsKey(row["_id"]["u"], since, until)].append(
                    {
                        "category": row["_id"]["c"],
                        "subcategory": row["_id"]["s"],
                        "count": row["count"],
                        "first_seen": row["first_seen"],
                        "last_seen": row["last_seen"],
                        "weight": row["decayed"],
                    }
                )
        return [found.get(k, []) for k in keys]

    return BatchLoader(load_fn=load)


def rank(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Heaviest first; ties broken by count, then name, so the order is stable."""
    return sorted(rows, key=lambda r: (-r["weight"], -r["count"], r["category"], r["subcategory"]))


def summarize(
    user_id: str,
    rows: list[dict[str, Any]],
    since: datetime | None,
    until: datetime | None,
    top: int,
) -> ErrorStats:
    total = sum(r["count"] for r in rows)
    items = [
        ErrorStat(
            category=r["category"],
            subcategory=r["subcategory"],
            count=r["count"],
            share=round(r["count"] / total, 6) if total else 0.0,
            weight=round(r["weight"], 6),
            first_seen=r["first_seen"],
            last_seen=r["last_seen"],
        )
        for r in rank(rows)[:top]
    ]
    return ErrorStats(user_id=user_id, total_errors=total, since=since, until=until, items=items)


async def error_stats(
    ctx: RequestContext,
    user_id: str,
    since: datetime | None,
    until: datetime | None,
    top: int | None,
) -> ErrorStats:
    ensure_user_access(ctx, user_id)
    n = 10 if top is None else top
    if not 1 <= n <= MAX_TOP:
        raise BadUserInput(f"'top' must be between 1 and {MAX_TOP}.", field="top")
    since, until = _utc(since), _utc(until)
    if since is not None and until is not None and since >= until:
        raise BadUserInput("'since' must be before 'until'.", field="since")
    rows = await ctx.loaders.error_stats.load(StatsKey(user_id, since, until))
    return summarize(user_id, rows, since, until, n)
