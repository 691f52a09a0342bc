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


@strawberry.type(description="Spend grouped by provider, provider/model, or UTC day (YYYY-MM-DD).")
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
