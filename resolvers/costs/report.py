"""costReport: what the AI tutors cost, for admins.

The window is read from cost_daily in one $facet aggregation that starts with an index
range on `date` (totals, by provider, by model, by day, top users); top users' records come
through the user DataLoader; today / this hour / this week are lookups in cost_totals.
Windows are whole UTC days: `from` and `to` are widened to the start and end of their
UTC dates, and the report says which window it covered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from models.documents import utcnow
from models.rows import Row
from resolvers.context import RequestContext
from resolvers.costs.breakdown import by_dimension
from resolvers.costs.rollup import day_key, hour_key
from resolvers.errors import BadUserInput
from resolvers.permissions import require_admin

DEFAULT_DAYS = 7
MAX_DAYS = 366
MAX_TOP = 100
WARNING_RATIO = 0.8


@dataclass(slots=True)
class CostBucket:
    key: str
    cost: float
    tokens: int
    requests: int


@dataclass(slots=True)
class UserCost:
    user: Row | None
    user_id: str
    cost: float
    tokens: int
    requests: int


@dataclass(slots=True)
class CostAlert:
    level: str  # "warning" | "critical"
    window: str  # "hour" | "day"
    threshold: float
    value: float
    message: str


@dataclass(slots=True)
class CostReport:
    from_: datetime
    to: datetime
    total_cost: float
    total_tokens: int
    total_requests: int
    today: float
    this_hour: float
    this_week: float
    by_provider: list[CostBucket] = field(default_factory=list)
    by_model: list[CostBucket] = field(default_factory=list)
    by_day: list[CostBucket] = field(default_factory=list)
    top_users: list[UserCost] = field(default_factory=list)
    alerts: list[CostAlert] = field(default_factory=list)
    by_topic: list[CostBucket] = field(default_factory=list)
    by_tier: list[CostBucket] = field(default_factory=list)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Days:
    """Whole UTC days: [first, end), `end` the midnight after the last day."""

    first: datetime
    end: datetime

    @property
    def first_day(self) -> str:
        return self.first.strftime("%Y-%m-%d")

    @property
    def last_day(self) -> str:
        return (self.end - timedelta(days=1)).strftime("%Y-%m-%d")


def window(start: datetime | None, end: datetime | None) -> Days:
    """The whole UTC days that [start, end) touches, half-open like every window of the
    API (progress, errorStats, User.exercises); without `from`, the DEFAULT_DAYS days up to
    and including the one `to` (default now) ends in: `to` at a midnight ends the day before."""
    end = _utc(end) or utcnow()
    last_instant = end - timedelta(microseconds=1)
    start = _utc(start) or datetime.combine(
        last_instant.date() - timedelta(days=DEFAULT_DAYS - 1), time.min, UTC
    )
    if start >= end:
        raise BadUserInput("'from' must be before 'to' (the window is [from, to)).", field="from")
    first = datetime.combine(start.date(), time.min, UTC)
    days = Days(first, datetime.combine(last_instant.date() + timedelta(days=1), time.min, UTC))
    if (days.end.date() - first.date()).days > MAX_DAYS:
        raise BadUserInput(f"The window may span at most {MAX_DAYS} days.", field="from")
    return days


def _group(key: Any) -> dict[str, Any]:
    return {
        "$group": {
            "_id": key,
            "cost": {"$sum": "$cost"},
            # `$add` is null when either is missing (rows a rebuild made before it wrote
            # every counter): `$sum` would then drop the row's tokens altogether.
            "tokens": {
                "$sum": {"$add": [{"$ifNull": ["$tokens_in", 0]}, {"$ifNull": ["$tokens_out", 0]}]}
            },
            "requests": {"$sum": "$requests"},
        }
    }


def _buckets(rows: list[dict[str, Any]]) -> list[CostBucket]:
    return [
        CostBucket(
            key=str(r["_id"]), cost=round(r["cost"], 8), tokens=r["tokens"], requests=r["requests"]
        )
        for r in rows
    ]


async def cost_report(
    ctx: RequestContext, start: datetime | None, end: datetime | None, top: int | None
) -> CostReport:
    require_admin(ctx)
    n = 10 if top is None else top
    if not 1 <= n <= MAX_TOP:
        raise BadUserInput(f"'top' must be between 1 and {MAX_TOP}.", field="top")
    days = window(start, end)
    by_cost = {"$sort": {"cost": -1, "_id": 1}}
    pipeline = [
        {"$match": {"date": {"$gte": days.first_day, "$lte": days.last_day}}},
        {
            "$facet": {
                "total": [_group(None)],
                "provider": [_group("$provider"), by_cost],
                "model": [_group({"$concat": ["$provider", "/", "$model"]}), by_cost],
                "day": [_group("$date"), {"$sort": {"_id": 1}}],
                "users": [_group("$user_id"), by_cost, {"$limit": n}],
            }
        },
    ]
    [facets] = [f async for f in await ctx.db.cost_daily.aggregate(pipeline)]
    total: dict[str, Any] = (
        facets["total"][0] if facets["total"] else {"cost": 0.0, "tokens": 0, "requests": 0}
    )

    now = utcnow()
    monday = now.date() - timedelta(days=now.weekday())
    week_keys = [
        day_key(datetime.combine(monday + timedelta(days=i), time.min, UTC))
        for i in range((now.date() - monday).days + 1)
    ]
    hour, today = hour_key(now), day_key(now)
    rollups = {
        d["_id"]: float(d["cost"])
        async for d in ctx.db.cost_totals.find({"_id": {"$in": [hour, *week_keys]}}, {"cost": 1})
    }
    users = await ctx.loaders.user.load_many([r["_id"] for r in facets["users"]])
    dims = await by_dimension(ctx.db, days.first_day, days.last_day)
    report = CostReport(
        from_=days.first,
        to=days.end,
        total_cost=round(total["cost"], 8),
        total_tokens=total["tokens"],
        total_requests=total["requests"],
        today=round(rollups.get(today, 0.0), 8),
        this_hour=round(rollups.get(hour, 0.0), 8),
        this_week=round(sum(rollups.get(k, 0.0) for k in week_keys), 8),
        by_provider=_buckets(facets["provider"]),
        by_model=_buckets(facets["model"]),
        by_day=_buckets(facets["day"]),
        by_topic=_buckets(dims["topic"]),
        by_tier=_buckets(dims["tier"]),
        top_users=[
            UserCost(
                user=u,
                user_id=r["_id"],
                cost=round(r["cost"], 8),
                tokens=r["tokens"],
                requests=r["requests"],
            )
            for r, u in zip(facets["users"], users, strict=True)
        ],
    )
    report.alerts = alerts(report, ctx.settings.cost_alert_hourly, ctx.settings.cost_alert_daily)
    return report


def alerts(report: CostReport, hourly: float, daily: float) -> list[CostAlert]:
    out: list[CostAlert] = []
    for window_name, value, limit in (
        ("hour", report.this_hour, hourly),
        ("day", report.today, daily),
    ):
        if value >= limit:
            level = "critical"
        elif value >= WARNING_RATIO * limit:
            level = "warning"
        else:
            continue
        label = "This hour" if window_name == "hour" else "Today"
        out.append(
            CostAlert(
                level,
                window_name,
                limit,
                value,
                f"{label} has cost {value:.2f}, {value / limit:.0%} of the {limit:g} threshold.",
            )
        )
    today = utcnow().strftime("%Y-%m-%d")
    for day in report.by_day:
        if day.key != today and day.cost >= daily:
            out.append(
                CostAlert(
                    "critical",
                    "day",
                    daily,
                    day.cost,
                    f"{day.key} cost {day.cost:.2f}, over the daily threshold of {daily:g}.",
                )
            )
    return out
