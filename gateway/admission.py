"""Admission control: every request is charged by one function, `charge`, whatever its outcome.

A request takes one request from its caller's window (the user when the token verified,
else the client IP) exactly once, and its points from the caller's bucket at most once, at
its outcome:

- `REFUSED` before its document was looked at (bad JSON or parameters, a bad token, a
  persisted-query miss, a method or media type the endpoint does not serve): the request;
  once the window is spent a 429 answers instead.
- `PARSING`, the gate before the document is parsed: the request, and a look (no charge)
  at whether the points its length costs (querycost.document_points) are left, so a caller
  whose budget is spent is refused without the gateway parsing or validating anything.
  One of the three outcomes below follows.
- `INVALID` (did not parse or validate) and `OVER_COST` (priced over QUERY_MAX_COST,
  QUERY_TOO_COMPLEX): the document's length in points.
- `EXECUTED`: the document's length and the operation's price (querycost.operation_cost)
  in points, before it runs; RATE_LIMITED when they are not left.

Pricing runs as a Strawberry extension (`Admission`) after parsing and validation, so the
document is known to be valid, and before execution, so a refused operation touches no
data; the compiled pipeline (gateway/pipeline.py) runs the same `admission_refusal`.
Admins (and every caller with RATE_LIMITS_ENABLED off) are priced but never charged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from enum import Enum

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError, OperationDefinitionNode
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from gateway.context import GatewayContext
from gateway.logging import get_logger
from gateway.meter import Meter
from gateway.querycost import operation_cost, select_operation
from gateway.ratelimit import STORAGE_ERRORS
from gateway.services import Services
from resolvers.errors import (
    BadUserInput,
    DomainError,
    QueryTooComplex,
    RateLimited,
    ServiceUnavailable,
)

log = get_logger("gateway.admission")


class Outcome(Enum):
    REFUSED = "refused"
    PARSING = "parsing"
    INVALID = "invalid"
    OVER_COST = "over_cost"
    EXECUTED = "executed"


# Outcomes that charge the document's length in points (EXECUTED adds the price).
_CHARGED_POINTS = (Outcome.INVALID, Outcome.OVER_COST, Outcome.EXECUTED)
# Outcomes whose answer a storage outage or a spent bucket changes; the others are
# answered as they are (their request is still counted when the storage answers).
_REFUSABLE = (Outcome.PARSING, Outcome.EXECUTED)


async def charge(
    services: Services, meter: Meter, outcome: Outcome, cost: int = 0
) -> DomainError | None:
    """Charge `meter`'s caller for this outcome (`cost`: the operation's price, EXECUTED
    only): None, or the error that answers the request instead (RATE_LIMITED when the
    window or the bucket is spent, SERVICE_UNAVAILABLE when the storage is down and the
    tier fails closed)."""
    meter.outcome = outcome
    if meter.exempt:
        return None
    limiter, tier, key = services.limiter, meter.tier, meter.key
    if meter.unmetered:  # the storage already failed this request: do not wait on it again
        return _unmetered(services, meter, outcome)
    try:
        if not meter.request_taken:
            meter.request_budget = await limiter.hit_request(tier, key)
            meter.request_taken = True
        elif meter.request_budget is None:  # taken by the persisted-query miss before it
            meter.request_budget = await limiter.peek_request(tier, key)
        budget = meter.request_budget
        if not budget.allowed:
            return RateLimited(
                f"Request budget of {budget.limit} per {budget.window_seconds}s for the "
                f"{tier} tier is spent; retry in {budget.retry_after}s.",
                retry_after=budget.retry_after,
            )
        points = meter.document_points + (cost if outcome is Outcome.EXECUTED else 0)
        if outcome is Outcome.PARSING and points > 0:
            meter.points_budget = await limiter.charge_points(tier, key, points, charge=False)
        elif outcome in _CHARGED_POINTS and points > 0:
            meter.points_budget = await limiter.charge_points(tier, key, points)
        else:
            return None
        if meter.points_budget.allowed or outcome not in _REFUSABLE:
            return None
        return _points_refusal(meter, points)
    except STORAGE_ERRORS as exc:
        log.warning("rate_limit_storage_unavailable", error=type(exc).__name__, tier=tier)
        meter.unmetered = True
        return _unmetered(services, meter, outcome)


async def charge_event(services: Services, meter: Meter, cost: int) -> DomainError | None:
    """Charge one delivered subscription event its price (the operation's field price):
    None, or the error that ends the stream instead.

    Each event executes the subscription's whole selection again (`session { user {
    sessions(first: 100) { ... } } }`), so pricing it once at subscribe let one write
    that cost ~11 points run every subscriber's selection for free: 200 subscriptions of
    a 5,000-point selection made each recorded message a million loads. The bucket pays
    per event; once it is spent the stream ends RATE_LIMITED and the client resumes with
    `after` when it refilled (events are stored: nothing is lost). The storage is asked
    again at every event (its breaker spares the wait), so a long subscription is not
    unmetered for good because Redis failed once while it started."""
    if meter.exempt or cost <= 0:
        return None
    try:
        meter.points_budget = await services.limiter.charge_points(meter.tier, meter.key, cost)
    except STORAGE_ERRORS as exc:
        log.warning("rate_limit_storage_unavailable", error=type(exc).__name__, tier=meter.tier)
        return _unmetered(services, meter, Outcome.EXECUTED)
    if meter.points_budget.allowed:
        return None
    return _points_refusal(meter, cost)


def _unmetered(services: Services, meter: Meter, outcome: Outcome) -> DomainError | None:
    if outcome in _REFUSABLE and not services.settings.fails_open(meter.tier):
        return ServiceUnavailable("Rate limiting is unavailable; retry shortly.")
    return None


def _points_refusal(meter: Meter, cost: int) -> DomainError:
    points = meter.points_budget
    assert points is not None
    if cost > points.capacity:
        # Waiting never helps: not RATE_LIMITED (429, Retry-After), which a client obeys
        # by retrying forever, but the document's own fault, as over QUERY_MAX_COST.
        return QueryTooComplex(
            f"This request costs {cost} points, more than the {meter.tier} tier's bucket holds "
            f"({points.capacity}): it cannot run at any time. Ask for fewer items (lower "
            "`first`) or fewer nested connections.",
            cost=cost,
            pointsCapacity=points.capacity,
        )
    return RateLimited(
        f"This request costs {cost} points but only {int(points.remaining)} are left "
        f"(refilling {points.refill_per_second:g}/s); retry in {points.retry_after}s.",
        retry_after=points.retry_after,
        cost=cost,
    )


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
    error: DomainError | None
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
    ctx.cost = cost + ctx.meter.document_points
    max_cost = ctx.services.settings.query_max_cost
    if cost > max_cost:
        error = QueryTooComplex(
            f"This operation would cost {cost} points; the maximum is {max_cost}. "
            "Ask for fewer items (lower `first`) or fewer nested connections.",
            cost=cost,
            maxCost=max_cost,
        )
        # Refused, yet charged like a document that fails validation: otherwise a flood
        # of over-priced documents would cost nothing.
        limited = await charge(ctx.services, ctx.meter, Outcome.OVER_COST)
        if isinstance(limited, RateLimited):
            error = limited
    else:  # zero-priced documents too: at least one request of the window
        error = await charge(ctx.services, ctx.meter, Outcome.EXECUTED, cost)
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
