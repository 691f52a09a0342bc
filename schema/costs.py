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
    requests: int


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


@strawberry.type(description="AI spend. The window is whole UTC days; from/to say which.")
class CostReport:
    from_: datetime = strawberry.field(name="from")
    to: datetime
    total_cost: float
    total_tokens: int
    total_requests: int
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
    requests: int = strawberry.field(description="Assistant replies recorded.")
    tokens: int
    cost: float
    avg_response_time_ms: float | None
    p95_response_time_ms: float | None = strawberry.field(
        description="From a log-bucketed histogram: within 10% of the exact value."
    )
    rated_count: int
    avg_rating: float | None = strawberry.field(description="1..5.")
    helpful_share: float | None = strawberry.field(
        description="Share of 'helpful: true' among ratings that answered it."
    )
