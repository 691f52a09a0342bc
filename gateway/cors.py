"""Which browser origins may call the API: the options of Starlette's CORSMiddleware, whose
configuration and decisions the request middleware (gateway/middleware.py) applies.

Credentials are bearer tokens in a header, never cookies, so `allow_credentials` stays off
(and `*` is a legal origin list). Pages may read the budget and request-id headers, and
the two the docs tell a client to act on: WWW-Authenticate (401) and Allow (405); a header
left out of the list reads as null in a page's fetch whatever the response says. The
request headers a browser may send come from CORS_ALLOW_HEADERS (gateway/settings.py).
"""

from __future__ import annotations

from typing import Any

from gateway.settings import Settings

EXPOSED_HEADERS = (
    "X-Request-ID",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "X-Query-Cost",
    "Retry-After",
    "WWW-Authenticate",
    "Allow",
)


def cors_options(settings: Settings) -> dict[str, Any] | None:
    """CORSMiddleware's arguments, or None when no origin is allowed (no CORS headers)."""
    origins = settings.cors_origins
    regex = settings.cors_origin_regex
    if not origins and regex is None:
        return None
    return {
        "allow_origins": origins,
        "allow_origin_regex": regex,
        "allow_methods": ["GET", "POST"],
        "allow_headers": settings.cors_headers,
        "expose_headers": list(EXPOSED_HEADERS),
        "allow_credentials": False,
        "max_age": settings.cors_max_age_seconds,
    }
