"""Query.rateLimit: the caller's own budgets; costs nothing to ask.

The budgets live in the gateway (it charges them before execution); resolvers see them
through `RequestContext.rate_limit()`, as this plain value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from resolvers.context import RequestContext


@dataclass(slots=True)
class BudgetView:
    tier: str
    limit: int
    remaining: int
    reset_at: datetime
    window_seconds: int
    cost: int
    points_capacity: int
    points_remaining: int
    points_refill_per_second: float
    max_cost: int
    exempt: bool
    # The rate-limit storage could not be reached: nothing was metered, and the numbers
    # are the tier's whole budget, not what is left of it.
    degraded: bool = False

    def extension(self) -> dict[str, Any]:
        return {
            "tier": self.tier.upper(),
            "limit": self.limit,
            "remaining": self.remaining,
            "resetAt": self.reset_at.isoformat(),
            "cost": self.cost,
            "pointsCapacity": self.points_capacity,
            "pointsRemaining": self.points_remaining,
            "exempt": self.exempt,
            "degraded": self.degraded,
        }

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(int(self.reset_at.timestamp())),
            "X-Query-Cost": str(self.cost),
        }


async def rate_limit_status(ctx: RequestContext) -> BudgetView:
    return await ctx.rate_limit()
