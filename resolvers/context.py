"""Everything a resolver may use, created once per request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gateway.auth import Authenticator, Viewer
from gateway.settings import Settings
from models.db import Database

if TYPE_CHECKING:
    from gateway.ratelimit import PointsBudget, RateLimiter, RequestBudget
    from resolvers.dataloaders import Loaders


@dataclass
class Services:
    """Process-wide singletons, built once by the app factory."""

    settings: Settings
    db: Database
    auth: Authenticator
    limiter: RateLimiter
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass
class RequestContext:
    services: Services
    viewer: Viewer | None
    request_id: str
    client_ip: str
    _loaders: Loaders | None = None
    # Filled by admission control (gateway/admission.py).
    cost: int = 0
    operation: str | None = None
    operation_type: str | None = None
    admitted: bool = False
    request_budget: RequestBudget | None = None
    points_budget: PointsBudget | None = None

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def db(self) -> Database:
        return self.services.db

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            factory = self.services.extras.get("loaders_factory")
            if factory is not None:  # the benchmarks swap in unbatched loaders
                self._loaders = factory(self)
            else:
                from resolvers.dataloaders import Loaders

                self._loaders = Loaders(self.db, self.settings.error_half_life_days)
        return self._loaders

    @property
    def rate_key(self) -> str:
        return self.viewer.id if self.viewer else f"ip:{self.client_ip}"

    @property
    def tier(self) -> str:
        return self.viewer.tier if self.viewer else "anonymous"
