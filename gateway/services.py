"""Process-wide singletons, built once by the app factory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.trace import Tracer

from gateway.auth import Authenticator
from gateway.persisted import PersistedQueries
from gateway.ratelimit import RateLimiter
from gateway.settings import Settings
from models.db import Database
from resolvers.dataloaders import Loaders


@dataclass
class Services:
    settings: Settings
    db: Database
    auth: Authenticator
    limiter: RateLimiter
    persisted: PersistedQueries
    extras: dict[str, Any] = field(default_factory=dict)
    # The benchmarks swap in unbatched loaders to measure what batching saves.
    loaders_factory: Callable[[Services], Loaders] | None = None
    # Set when tracing is on (gateway/tracing.py): DataLoader batches and the GraphQL step
    # get spans.
    tracer: Tracer | None = None

    def new_loaders(self) -> Loaders:
        if self.loaders_factory is not None:
            return self.loaders_factory(self)
        return Loaders(self.db, self.settings.error_half_life_days, tracer=self.tracer)
