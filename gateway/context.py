"""The request context the gateway builds: the resolvers' context plus admission state."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from graphql import DocumentNode

from gateway.meter import Meter
from gateway.ratelimit import STORAGE_ERRORS
from gateway.services import Services
from resolvers.context import RequestContext
from resolvers.ratelimit import BudgetView
from resolvers.viewer import Viewer


@dataclass(kw_only=True)
class GatewayContext(RequestContext):
    services: Services
    # What the request has been charged (gateway/admission.py `charge`).
    meter: Meter
    # Filled by admission control (gateway/admission.py).
    cost: int = 0
    operation: str | None = None
    operation_type: str | None = None
    # The parsed document once it has passed validation (set by admission control): the
    # compiled pipeline keeps it for the next request with the same text.
    document: DocumentNode | None = None
    # Set once admission control lets the operation run: from then on resolvers may have
    # written, and the status no longer says "nothing happened" (gateway/negotiation.py).
    executed: bool = False

    @classmethod
    def create(
        cls,
        services: Services,
        viewer: Viewer | None,
        request_id: str,
        client_ip: str,
        meter: Meter | None = None,
    ) -> GatewayContext:
        """`meter`: the request's, when the endpoint has charged it already (else a new one
        for this viewer)."""
        if meter is None:
            meter = Meter.of(viewer, client_ip, services.settings.rate_limits_enabled)
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
            meter=meter,
        )

    async def rate_limit(self) -> BudgetView:
        """The caller's budgets as they stand, without spending anything."""
        limiter, meter = self.services.limiter, self.meter
        tier, key = self.tier, self.rate_key
        capacity, refill = self.services.settings.cost_bucket(tier)
        request = meter.request_budget
        points = meter.points_budget
        metered = self.services.settings.rate_limits_enabled
        exempt = bool(self.viewer and self.viewer.is_admin) or not metered
        try:
            if metered and not meter.unmetered:  # off, or already failed: do not touch it
                if request is None:
                    request = await limiter.peek_request(tier, key)
                if points is None:
                    points = await limiter.charge_points(tier, key, 0, charge=False)
        except STORAGE_ERRORS:
            meter.unmetered = True
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
            degraded=meter.unmetered and not exempt,
        )
