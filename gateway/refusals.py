"""Every request counts: those refused before execution are charged too.

Bad JSON, bad parameters, an oversize operationName or an invalid token are refused
before admission control (gateway/admission.py) ever runs, so without this they could be
sent without limit. Each one takes a hit from the request window of the caller: the user
when the bearer token is valid, else the client IP (failed authentication always counts
against the IP). Once that window is spent the answer is 429 instead of the refusal.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from gateway.clientaddr import client_key
from gateway.errors import error_payload, with_request_id
from gateway.logging import get_logger
from gateway.negotiation import APPLICATION_JSON, Reply, choose_media_type, render
from gateway.ratelimit import STORAGE_ERRORS
from gateway.services import Services
from models.db import UNAVAILABLE_ERRORS
from resolvers.errors import DomainError

log = get_logger("gateway.refusals")


async def _caller(request: Request, services: Services, state: dict[str, Any]) -> tuple[str, str]:
    """(tier, rate key) of whoever sent a refused request; ('', '') for exempt admins."""
    host = request.client.host if request.client else "unknown"
    ip_key = f"ip:{client_key(host, services.settings.anonymous_ipv6_prefix_length)}"
    if state.get("authentication_failed"):
        return "anonymous", ip_key
    header = request.headers.get("authorization")
    if not header:
        return "anonymous", ip_key
    try:
        viewer, _ = await services.auth.authenticate(header)
    except (DomainError, *UNAVAILABLE_ERRORS):  # type: ignore[misc]
        return "anonymous", ip_key
    if viewer is None:
        return "anonymous", ip_key
    if viewer.is_admin:
        return "", ""
    return viewer.tier, viewer.id


async def charge_refused(request: Request, response: Response, services: Services) -> Response:
    """`response` once the refused request is counted, or a 429 if the window is spent."""
    over = await refusal_charge(request, services)
    if over is None:
        return response
    # In the media type the client accepts, like every other /graphql answer.
    media_type = choose_media_type(request.headers.get("accept")) or APPLICATION_JSON
    return render(over, media_type)


async def refusal_charge(request: Request, services: Services) -> Reply | None:
    """Count a request that was refused before admission control (nothing when it was
    metered); the 429 that answers it instead once the window is spent, else None."""
    state = request.scope.setdefault("state", {})
    if state.get("metered") or not services.settings.rate_limits_enabled:
        return None
    tier, key = await _caller(request, services, state)
    if not tier:
        return None
    try:
        budget = await services.limiter.hit_request(tier, key)
    except STORAGE_ERRORS as exc:
        log.warning("rate_limit_storage_unavailable", error=type(exc).__name__, tier=tier)
        return None  # the request is refused anyway
    state["tier"] = tier
    if budget.allowed:
        miss = state.get("persisted_miss")
        if miss:
            await services.persisted.note_miss(key, miss)
        return None
    payload = with_request_id(
        error_payload(
            "RATE_LIMITED",
            f"Request budget of {budget.limit} per {budget.window_seconds}s for the {tier} "
            f"tier is spent; retry in {budget.retry_after}s.",
            retryAfter=budget.retry_after,
        ),
        state.get("request_id"),
    )
    return Reply(payload, 429, {"Retry-After": str(budget.retry_after)})
