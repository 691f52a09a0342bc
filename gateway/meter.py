"""What one request has been charged, and whom: gateway/admission.py `charge` is its writer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from gateway.ratelimit import PointsBudget, RequestBudget
from resolvers.viewer import Viewer

if TYPE_CHECKING:
    from gateway.admission import Outcome


@dataclass(slots=True)
class Meter:
    tier: str
    key: str  # the user's id, or `ip:<client address>` for a caller without a valid token
    # Admins, and every caller while RATE_LIMITS_ENABLED is off: priced, never charged.
    exempt: bool
    outcome: Outcome | None = None  # the latest charged; None: not charged yet
    # The request came out of the window (once per request; a persisted query's
    # registration right after its miss was taken by the miss).
    request_taken: bool = False
    request_budget: RequestBudget | None = None
    points_budget: PointsBudget | None = None
    document_points: int = 0  # what the document's length costs (querycost.document_points)
    # The rate-limit storage failed during this request: nothing was metered, and
    # `rateLimit` says so instead of reporting a full budget.
    unmetered: bool = False

    @classmethod
    def of(cls, viewer: Viewer | None, client_ip: str, rate_limits_enabled: bool) -> Meter:
        exempt = (viewer is not None and viewer.is_admin) or not rate_limits_enabled
        if viewer is None:
            return cls("anonymous", f"ip:{client_ip}", exempt)
        return cls(viewer.tier, viewer.id, exempt)
