"""Admission control: price each operation, then charge the caller's budgets before it runs.

Runs as a Strawberry extension after parsing and validation (so the document is known to be
valid) and before execution (so a refused operation touches no data). Order of checks:
per-request maximum cost (QUERY_TOO_COMPLEX), then the request window, then the points
bucket (both RATE_LIMITED). Admins are priced but never refused by the budgets.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from gateway.errors import GatewayError, QueryTooComplex, RateLimited, ServiceUnavailable
from gateway.logging import get_logger
from gateway.querycost import operation_cost, select_operation
from resolvers.context import RequestContext

log = get_logger("gateway.admission")

try:  # the storage errors that mean "Redis is unreachable"
    from redis.exceptions import RedisError

    STORAGE_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)
except ImportError:  # pragma: no cover
    STORAGE_ERRORS = (OSError, TimeoutError)


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
        }

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(int(self.reset_at.timestamp())),
            "X-Query-Cost": str(self.cost),
        }


async def admit(ctx: RequestContext, cost: int) -> None:
    """Charge one request and `cost` points; raises RateLimited when either budget is spent."""
    limiter = ctx.services.limiter
    tier, key = ctx.tier, ctx.rate_key
    if (ctx.viewer is not None and ctx.viewer.is_admin) or not ctx.settings.rate_limits_enabled:
        ctx.admitted = True
        return
    try:
        budget = await limiter.hit_request(tier, key)
        ctx.request_budget = budget
        if not budget.allowed:
            raise RateLimited(
                f"Request budget of {budget.limit} per {budget.window_seconds}s for the "
                f"{tier} tier is spent; retry in {budget.retry_after}s.",
                retry_after=budget.retry_after,
            )
        points = await limiter.charge_points(tier, key, cost)
        ctx.points_budget = points
        if not points.allowed:
            raise RateLimited(
                f"This request costs {cost} points but only {int(points.remaining)} are left "
                f"(refilling {points.refill_per_second:g}/s); retry in {points.retry_after}s.",
                retry_after=points.retry_after,
                cost=cost,
            )
    except STORAGE_ERRORS as exc:
        log.warning("rate_limit_storage_unavailable", error=type(exc).__name__, tier=tier)
        if not ctx.settings.fails_open(tier):
            raise ServiceUnavailable("Rate limiting is unavailable; retry shortly.") from exc
    ctx.admitted = True


async def budget_view(ctx: RequestContext) -> BudgetView:
    """The caller's budgets as they stand, without spending anything."""
    limiter = ctx.services.limiter
    tier, key = ctx.tier, ctx.rate_key
    capacity, refill = ctx.settings.cost_bucket(tier)
    request = ctx.request_budget
    points = ctx.points_budget
    metered = ctx.settings.rate_limits_enabled
    exempt = bool(ctx.viewer and ctx.viewer.is_admin) or not metered
    try:
        if metered:  # with limits off nothing is stored: do not touch the storage
            if request is None:
                request = await limiter.peek_request(tier, key)
            if points is None:
                points = await limiter.charge_points(tier, key, 0, charge=False)
    except STORAGE_ERRORS:
        pass
    item = limiter.item(tier)
    return BudgetView(
        tier=tier,
        limit=request.limit if request else item.amount,
        remaining=request.remaining if request else item.amount,
        reset_at=datetime.fromtimestamp(request.reset_at if request else time.time(), UTC),
        window_seconds=request.window_seconds if request else item.get_expiry(),
        cost=ctx.cost,
        points_capacity=capacity,
        points_remaining=int(points.remaining) if points else capacity,
        points_refill_per_second=refill,
        max_cost=ctx.settings.query_max_cost,
        exempt=exempt,
    )


class Admission(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        ec = self.execution_context
        ctx: RequestContext = ec.context
        error: GatewayError | None = None
        assert ec.graphql_document is not None
        op = select_operation(ec.graphql_document, ec.operation_name)
        if op is not None:
            ctx.operation = op.name.value if op.name else None
            ctx.operation_type = op.operation.value
        cost = operation_cost(
            ec.schema._schema, ec.graphql_document, ec.operation_name, ec.variables
        )
        ctx.cost = cost
        max_cost = ctx.settings.query_max_cost
        if cost > max_cost:
            error = QueryTooComplex(
                f"This operation would cost {cost} points; the maximum is {max_cost}. "
                "Ask for fewer items (lower `first`) or fewer nested connections.",
                cost=cost,
                maxCost=max_cost,
            )
        elif cost > 0:
            try:
                await admit(ctx, cost)
            except GatewayError as exc:
                error = exc
        if error is not None:
            ec.result = GraphQLExecutionResult(
                data=None, errors=[GraphQLError(error.message, original_error=error)]
            )
        yield
