"""Process-wide singletons, built once by the app's lifespan, and how a request reaches them.

They reach requests one way: the lifespan yields them as its state (`{STATE_KEY: services}`,
gateway/app.py) and the server hands each request a copy of that state as `scope["state"]`
(Starlette's lifespan state; in-process callers use gateway/inprocess.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from opentelemetry.trace import Tracer

from gateway.auth import Authenticator
from gateway.persisted import PersistedQueries
from gateway.ratelimit import RateLimiter
from gateway.settings import Settings
from models.db import Database
from resolvers.dataloaders import Loaders

STATE_KEY: Final = "services"


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


def services_of(scope: Any) -> Services:
    """The services of the app serving this request (its lifespan state)."""
    try:
        return scope["state"][STATE_KEY]  # type: ignore[no-any-return]
    except KeyError:
        raise RuntimeError(
            "No services in the request's state: the app's lifespan has not run (serve it "
            "with lifespan on, or in-process through gateway.inprocess.in_process)"
        ) from None
