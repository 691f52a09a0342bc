"""Query.rateLimit: the caller's own budgets; costs nothing to ask."""

from __future__ import annotations

from gateway.admission import BudgetView, budget_view
from resolvers.context import RequestContext


async def rate_limit_status(ctx: RequestContext) -> BudgetView:
    return await budget_view(ctx)
