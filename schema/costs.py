"""The admin cost report."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

if TYPE_CHECKING:
    from schema.users import User

UserT = Annotated["User", strawberry.lazy("schema.users")]


@strawberry.enum
class AlertLevel(Enum):
    WARNING = "warning"
    CRITICAL = "critical"


@strawberry.enum
class AlertWindow(Enum):
    HOUR = "hour"
    DAY = "day"


@strawberry.type(
    description="Spend grouped by provider, provider/model, UTC day (YYYY-MM-DD), session "
    "topic or subscription tier."
)
class CostBucket:
    key: str
    cost: float
    tokens: int
    requests: int = strawberry.field(
        description="AI calls: messages carrying usage (tokens or cost above 0), whatever "
        "their role, and answer-evaluator calls."
    )


@strawberry.type
class UserCost:
    user: UserT | None = strawberry.field(description="Null if the user was deleted.")
    cost: float
    tokens: int
    requests: int


@strawberry.type
class CostAlert:
    level: AlertLevel
    window: AlertWindow
    threshold: float
    value: float
    message: str


@strawberry.type(
    description="AI spend: every AI call, i.e. every message carrying usage (tokens or cost "
    "above 0) whatever its role (ASSISTANT, SYSTEM, or USER recorded by the tutor service), "
    "and every answer-evaluator call: totalCost is the cost of the window's messages (what "
    "they added to their sessions' totalCost) plus that of its evaluator calls. The window "
    "is whole UTC days; from/to say which."
)
class CostReport:
    from_: datetime = strawberry.field(name="from")
    to: datetime
    total_cost: float
    total_tokens: int
    total_requests: int = strawberry.field(
        description="AI calls in the window (CostBucket.requests); providerStats counts the "
        "same calls."
    )
    today: float = strawberry.field(description="Spend so far today (UTC).")
    this_hour: float = strawberry.field(description="Spend so far this UTC hour.")
    this_week: float = strawberry.field(description="Spend since Monday 00:00 UTC.")
    by_provider: list[CostBucket]
    by_model: list[CostBucket]
    by_day: list[CostBucket]
    top_users: list[UserCost]
    alerts: list[CostAlert]
    by_topic: list[CostBucket] = strawberry.field(
        description="By session topic ('(none)' for sessions without one)."
    )
    by_tier: list[CostBucket] = strawberry.field(
        description="By the learner's subscription tier when the reply was recorded."
    )


@strawberry.type(description="One provider and model over the window.")
class ProviderStat:
    provider: str
    model: str
    requests: int = strawberry.field(
        description="AI calls: messages carrying usage (tokens or cost above 0), whatever "
        "their role, and answer-evaluator calls. Equal to costReport.byModel's requests for "
        "the key 'provider/model' over the same window, as are tokens and cost. A reply "
        "without usage is not a call."
    )
    tokens: int
    cost: float
    avg_response_time_ms: float | None = strawberry.field(
        description="Over the requests that sent a responseTimeMs."
    )
    p95_response_time_ms: float | None = strawberry.field(
        description="Over the requests that sent a responseTimeMs, from a log-bucketed "
        "histogram: within 10% of the exact value."
    )
    rated_count: int = strawberry.field(
        description="Rated ASSISTANT replies, with or without usage (so it may exceed requests)."
    )
    avg_rating: float | None = strawberry.field(description="1..5.")
    helpful_share: float | None = strawberry.field(
        description="Share of 'helpful: true' among ratings that answered it."
    )
