"""Admission control: price each operation, then charge the caller's budgets before it runs.

Runs as a Strawberry extension after parsing and validation (so the document is known to be
valid) and before execution (so a refused operation touches no data). Order of checks:
per-request maximum cost (QUERY_TOO_COMPLEX, which still takes a request from the window),
then the request window, then the points bucket (both RATE_LIMITED). Admins are priced but
never refused by the budgets.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError, OperationDefinitionNode
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from gateway.context import GatewayContext
from gateway.logging import get_logger
from gateway.querycost import document_points, operation_cost, select_operation
from gateway.ratelimit import STORAGE_ERRORS
from resolvers.errors import (
    BadUserInput,
    DomainError,
    QueryTooComplex,
    RateLimited,
    ServiceUnavailable,
)

log = get_logger("gateway.admission")


async def admit(ctx: GatewayContext, cost: int) -> None:
    """Charge one request and `cost` points; raises RateLimited when either budget is spent."""
    limiter = ctx.services.limiter
    tier, key = ctx.tier, ctx.rate_key
    if (
        ctx.viewer is not None and ctx.viewer.is_admin
    ) or not ctx.services.settings.rate_limits_enabled:
        ctx.admitted = True
        return
    if ctx.unmetered:  # the storage already failed this request: do not wait on it again
        if not ctx.services.settings.fails_open(tier):
            raise ServiceUnavailable("Rate limiting is unavailable; retry shortly.")
        ctx.admitted = True
        return
    try:
        budget = ctx.request_budget
        if not ctx.request_counted:
            budget = await limiter.hit_request(tier, key)
            ctx.request_counted = True
        elif budget is None:
            budget = await limiter.peek_request(tier, key)
        ctx.request_budget = budget
        if not budget.allowed:
            raise RateLimited(
                f"Request budget of {budget.limit} per {budget.window_seconds}s for the "
                f"{tier} tier is spent; retry in {budget.retry_after}s.",
                retry_after=budget.retry_after,
            )
        if cost <= 0:
            ctx.admitted = True
            return
        points = await limiter.charge_points(tier, key, cost)
        ctx.points_budget = points
        if not points.allowed and cost > points.capacity:
            # Waiting never helps: say so, or a client obeying retryAfter retries forever.
            raise RateLimited(
                f"This request costs {cost} points, more than the {tier} tier's bucket holds "
                f"({points.capacity}): it cannot run at any time. Ask for fewer items (lower "
                "`first`) or fewer nested connections.",
                retry_after=points.retry_after,
                cost=cost,
                pointsCapacity=points.capacity,
            )
        if not points.allowed:
            raise RateLimited(
                f"This request costs {cost} points but only {int(points.remaining)} are left "
                f"(refilling {points.refill_per_second:g}/s); retry in {points.retry_after}s.",
                retry_after=points.retry_after,
                cost=cost,
            )
    except STORAGE_ERRORS as exc:
        log.warning("rate_limit_storage_unavailable", error=type(exc).__name__, tier=tier)
        ctx.unmetered = True
        if not ctx.services.settings.fails_open(tier):
            raise ServiceUnavailable("Rate limiting is unavailable; retry shortly.") from exc
    ctx.admitted = True


async def admit_document(ctx: GatewayContext, chars: int) -> None:
    """Before the document is parsed: one request of the caller's window and the points
    its length costs (querycost.document_points), so a caller whose budget is spent is
    refused without the gateway parsing or validating anything it sent. Admission
    control then charges the operation's own price without a second request."""
    ctx.document_points = document_points(chars)
    await admit(ctx, ctx.document_points)
    ctx.admitted = False  # the operation itself is still to be admitted


async def admission_refusal(
    ec: ExecutionContext, cost: int | None = None
) -> GraphQLExecutionResult | None:
    """Price and admit the operation of a parsed, validated document: None when it may
    run, else the result that answers it instead (QUERY_TOO_COMPLEX, RATE_LIMITED, ...).

    Shared by the schema extension below and the compiled pipeline
    (gateway/pipeline.py), which runs it for documents it has seen validate and passes
    the `cost` when it already knows it (operation_cost of the same operation).
    """
    ctx: GatewayContext = ec.context
    error: DomainError | None = None
    assert ec.graphql_document is not None
    ctx.document = ec.graphql_document  # it parsed and validated (gateway/pipeline.py)
    op = select_operation(ec.graphql_document, ec.operation_name)
    operations = [
        d for d in ec.graphql_document.definitions if isinstance(d, OperationDefinitionNode)
    ]
    # Strawberry's `operation_name` falls back to the first operation's name; what the
    # client sent is the provided one.
    if ec._provided_operation_name is None and len(operations) > 1:
        # Several operations and no operationName: the spec makes it a request error
        # (graphql-core would otherwise be asked to guess).
        unnamed = BadUserInput(
            "The document has several operations: name the one to run with 'operationName'."
        )
        return GraphQLExecutionResult(
            data=None, errors=[GraphQLError(unnamed.message, original_error=unnamed)]
        )
    if op is not None:
        ctx.operation = op.name.value if op.name else None
        ctx.operation_type = op.operation.value
    if cost is None:
        cost = operation_cost(
            ec.schema._schema, ec.graphql_document, ec.operation_name, ec.variables
        )
    ctx.cost = cost + ctx.document_points
    max_cost = ctx.services.settings.query_max_cost
    if cost > max_cost:
        error = QueryTooComplex(
            f"This operation would cost {cost} points; the maximum is {max_cost}. "
            "Ask for fewer items (lower `first`) or fewer nested connections.",
            cost=cost,
            maxCost=max_cost,
        )
        # Refused, yet it counts as a request (no points), like a document that fails
        # validation: otherwise a flood of over-priced documents would cost nothing.
        try:
            await admit(ctx, 0)
        except RateLimited as exc:
            error = exc
        except DomainError:
            pass
    else:  # zero-priced documents too: at least one request of the window
        try:
            await admit(ctx, cost)
        except DomainError as exc:
            error = exc
    if error is not None:
        return GraphQLExecutionResult(
            data=None, errors=[GraphQLError(error.message, original_error=error)]
        )
    ctx.executed = True
    return None


class Admission(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        refusal = await admission_refusal(self.execution_context)
        if refusal is not None:
            if self.execution_context.operation_type is OperationType.SUBSCRIPTION:
                # A subscription's stream ignores `result`: the refusal must be raised
                # (Strawberry answers it as the stream's one error).
                raise (refusal.errors or [GraphQLError("refused")])[0]
            self.execution_context.result = refusal
        yield
