"""AI usage and the cost roll-ups read by the cost reports."""

from __future__ import annotations

from datetime import datetime

import pymongo
from pydantic import Field

from models.documents.base import ASC, DESC, BaseDoc, new_id


class AiUsageDoc(BaseDoc):
    """One AI call that is not a conversation reply (the answer evaluator), kept with the
    tokens and cost it added to the cost rows (resolvers/practice/evaluator.py)."""

    id: str  # type: ignore[assignment]
    kind: str
    user_id: str
    exercise_id: str | None = None
    timestamp: datetime
    provider: str
    model: str
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    response_time_ms: float | None = None
    topic: str | None = None
    tier: str | None = None
    # Counted once in the cost rows like a message (resolvers/costs/usage.py): applied
    # when every row has it, guarded while its id is in the rows' guards.
    applied: bool = False
    applied_at: datetime | None = None
    guarded: bool | None = None

    class Settings:
        name = "ai_usage"
        indexes = [
            pymongo.IndexModel([("user_id", ASC), ("timestamp", DESC)], name="user_time"),
            pymongo.IndexModel(
                [("timestamp", ASC)], name="unapplied", partialFilterExpression={"applied": False}
            ),
            pymongo.IndexModel(
                [("applied_at", ASC)], name="guarded", partialFilterExpression={"guarded": True}
            ),
        ]


class ProviderDailyDoc(BaseDoc):
    """Per (UTC date, provider, model), _id "<date>|<provider>|<model>": replies, tokens,
    cost, a latency histogram and rating counters.

    Traffic and latencies (`rt_hist`: counts per log-spaced bucket, see
    resolvers/costs/providers.py) are $inc'd as replies are recorded. Ratings are recounted
    from that day's rated messages under a version guard (resolvers/ratings.py).
    """

    id: str  # type: ignore[assignment]
    date: str
    provider: str
    model: str
    requests: int = 0
    tokens: int = 0
    cost: float = 0.0
    rt_count: int = 0
    rt_sum_ms: int = 0
    rt_hist: dict[str, int] = Field(default_factory=dict)
    rated: int = 0
    rating_sum: int = 0
    helpful_yes: int = 0
    helpful_answered: int = 0
    rating_version: int = 0

    class Settings:
        name = "provider_daily"
        indexes = [pymongo.IndexModel([("date", ASC)], name="date")]


class CostDimDoc(BaseDoc):
    """Spend per UTC date and session topic or learner tier, _id "<date>|<dim>|<key>"
    (resolvers/costs/breakdown.py)."""

    id: str  # type: ignore[assignment]
    date: str
    dim: str  # "topic" | "tier"
    key: str
    cost: float = 0.0
    tokens: int = 0
    requests: int = 0

    class Settings:
        name = "cost_dims"
        indexes = [pymongo.IndexModel([("date", ASC)], name="date")]


class CostDailyDoc(BaseDoc):
    """One row per (UTC date, provider, model, user), kept current by $inc upserts."""

    id: str = Field(default_factory=new_id)  # type: ignore[assignment]
    date: str  # YYYY-MM-DD, UTC
    provider: str
    model: str
    user_id: str
    requests: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0

    class Settings:
        name = "cost_daily"
        indexes = [
            pymongo.IndexModel(
                [("date", ASC), ("provider", ASC), ("model", ASC), ("user_id", ASC)],
                name="date_provider_model_user_unique",
                unique=True,
            ),
            pymongo.IndexModel([("user_id", ASC), ("date", ASC)], name="user_date"),
        ]


class CostTotalDoc(BaseDoc):
    """Cost rollup of one UTC hour ("H:YYYY-MM-DDTHH") or day ("D:YYYY-MM-DD"), all users.

    Not in DESIGN.md: it makes hourly numbers and exactly-once threshold alerts O(1) per
    message (see resolvers/costs/rollup.py). Looked up by _id only.
    """

    id: str  # type: ignore[assignment]
    cost: float = 0.0
    tokens: int = 0
    requests: int = 0

    class Settings:
        name = "cost_totals"
