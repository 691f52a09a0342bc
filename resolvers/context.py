"""Everything a resolver may use, created once per request.

The gateway builds a subclass (gateway/context.py) that adds what only HTTP and admission
control need; resolvers see this interface and nothing of the gateway.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from models.db import Database
from resolvers.viewer import Viewer

if TYPE_CHECKING:
    from resolvers.dataloaders import Loaders
    from resolvers.ratelimit import BudgetView


class DomainSettings(Protocol):
    """The settings resolvers read; the gateway's validated Settings satisfies it."""

    @property
    def error_half_life_days(self) -> float: ...
    @property
    def pricing_overrides(self) -> str: ...
    @property
    def cost_alert_hourly(self) -> float: ...
    @property
    def cost_alert_daily(self) -> float: ...
    @property
    def exercise_generator(self) -> str: ...
    @property
    def evaluator_llm_url(self) -> str | None: ...
    @property
    def evaluator_llm_model(self) -> str: ...
    @property
    def evaluator_llm_provider(self) -> str: ...
    @property
    def evaluator_llm_timeout_ms(self) -> int: ...
    @property
    def execution_timeout_ms(self) -> int: ...  # bounds a request's lease (counters.LEASE)
    @property
    def event_gap_wait_ms(self) -> int: ...


@dataclass
class RequestContext:
    settings: DomainSettings
    db: Database
    viewer: Viewer | None
    request_id: str
    client_ip: str
    # Per request; each loader is built only when a resolver first asks for it.
    loaders: Loaders
    # Process-wide objects shared between requests (a loaded exercise generator); owned by
    # the gateway's Services.
    extras: dict[str, Any] = field(default_factory=dict)
    # Drops a user's cached role and tier after a change (the gateway's Authenticator).
    forget_user: Callable[[str], None] = field(default=lambda _user_id: None)
    # A WebSocket connection's name for itself (connection_init's `consumer`): the tutor
    # client a tutorTurns subscription is, across reconnects (resolvers/turns.py).
    consumer: str | None = None
    # What a subscription last yielded has not begun to go out: set by the resolver as it
    # yields, cleared by the transport as its write begins (gateway/live_stream.py). A
    # tutorTurns closed while it holds hands that turn back to its group at once.
    unsent: bool = False

    async def rate_limit(self) -> BudgetView:
        """The caller's budgets; only the gateway, which charges them, can say."""
        raise NotImplementedError("rate limits are answered by the gateway's context")

    @property
    def rate_key(self) -> str:
        return self.viewer.id if self.viewer else f"ip:{self.client_ip}"

    @property
    def tier(self) -> str:
        return self.viewer.tier if self.viewer else "anonymous"
