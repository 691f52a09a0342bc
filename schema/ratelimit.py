"""What a caller may still spend."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry


@strawberry.enum
class RateLimitTier(Enum):
    ANONYMOUS = "anonymous"
    FREE = "free"
    PRO = "pro"
    PREMIUM = "premium"
    TUTOR = "tutor"


@strawberry.type(description="The caller's budgets. Admins are exempt (`exempt: true`).")
class RateLimitStatus:
    tier: RateLimitTier
    limit: int = strawberry.field(description="Requests allowed per window.")
    remaining: int = strawberry.field(description="Requests left in the current window.")
    reset_at: datetime = strawberry.field(description="When the request window frees up.")
    window_seconds: int
    cost: int = strawberry.field(description="Calculated cost of this request, in points.")
    points_capacity: int = strawberry.field(description="Size of the query-cost bucket.")
    points_remaining: int = strawberry.field(description="Points available right now.")
    points_refill_per_second: float
    max_cost: int = strawberry.field(description="The most one request may cost.")
    exempt: bool
    degraded: bool = strawberry.field(
        description="True when the rate-limit storage could not be reached: this request "
        "was not metered, and `remaining` and `pointsRemaining` show the tier's whole "
        "budget, not what is left of it."
    )
