"""The request context the gateway builds: the resolvers' context plus admission state."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from graphql import DocumentNode

from gateway.ratelimit import STORAGE_ERRORS, PointsBudget, RequestBudget
from gateway.services import Services
from resolvers.context import RequestContext
from resolvers.ratelimit import BudgetView
from resolvers.viewer import Viewer


@dataclass(kw_only=True)
class GatewayContext(RequestContext):
    services: Services
    # Filled by admission control (gateway/admission.py).
    cost: int = 0
    operation: str | None = None
    operation_type: str | None = None
    admitted: bool = False
    request_budget: RequestBudget | None = None
    points_budget: PointsBudget | None = None
    # The parsed document once it has passed validation (set by admission control): the
    # compiled pipeline keeps it for the next request with the same text.
    document: DocumentNode | None = None
    # Set once admission control lets the operation run: from then on resolvers may have
    # written, and the status no longer says "nothing happened" (gateway/negotiation.py).
    executed: bool = False
    # The request window was already charged for this request (an automatic persisted
    # query's registration right after its miss): admission charges only the points.
    request_counted: bool = False
    # Points the document's length cost before it was parsed (gateway/admission.py).
    document_points: int = 0
    # The rate-limit storage failed during this request: nothing was metered, and
    # `rateLimit` says so instead of reporting a full budget.
    unmetered: bool = False

    @classmethod
    def create(
        cls, services: Services, viewer: Viewer | None, request_id: str, client_ip: str
    ) -> GatewayContext:
        return cls(
            settings=services.settings,
            db=services.db,
            viewer=viewer,
            request_id=request_id,
            client_ip=client_ip,
            loaders=services.new_loaders(),
            extras=services.extras,
            forget_user=services.auth.forget,
            services=services,
        )

    async def rate_limit(self) -> BudgetView:
        """The caller's budgets as they stand, without spending anything."""
        limiter = self.services.limiter
        tier, key = self.tier, self.rate_key
        capacity, refill = self.services.settings.cost_bucket(tier)
        request = self.request_budget
        points = self.points_budget
        metered = self.services.settings.rate_limits_enabled
        exempt = bool(self.viewer and self.viewer.is_admin) or not metered
        try:
            if metered and not self.unmetered:  # off, or already failed: do not touch it
                if request is None:
                    request = await limiter.peek_request(tier, key)
                if points is None:
                    points = await limiter.charge_points(tier, key, 0, charge=False)
        except STORAGE_ERRORS:
            self.unmetered = True
        item = limiter.item(tier)
        return BudgetView(
            tier=tier,
            limit=request.limit if request else item.amount,
            remaining=request.remaining if request else item.amount,
            reset_at=datetime.fromtimestamp(request.reset_at if request else time.time(), UTC),
            window_seconds=request.window_seconds if request else item.get_expiry(),
            cost=self.cost,
            points_capacity=capacity,
            points_remaining=int(points.remaining) if points else capacity,
            points_refill_per_second=refill,
            max_cost=self.services.settings.query_max_cost,
            exempt=exempt,
            degraded=self.unmetered and not exempt,
        )
