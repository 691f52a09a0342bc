"""The domain's error vocabulary: what a resolver may raise for a client to see.

Each class carries its public error code; the gateway maps them to GraphQL errors and HTTP
statuses (gateway/errors.py). Anything else a resolver raises is masked as INTERNAL.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "INTERNAL"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions = {k: v for k, v in extensions.items() if v is not None}


class Unauthenticated(DomainError):
    """`reason` (extensions.reason) tells a client what to do: "expired" is a token to
    refresh; "missing", "invalid", "revoked" and "unknown_user" mean signing in (or a new
    credential). Before, only the message told an expired token from a bad one."""

    code = "UNAUTHENTICATED"

    def __init__(self, message: str, reason: str = "invalid", **extensions: Any) -> None:
        super().__init__(message, reason=reason, **extensions)


class Forbidden(DomainError):
    code = "FORBIDDEN"


class NotFound(DomainError):
    code = "NOT_FOUND"


class BadUserInput(DomainError):
    code = "BAD_USER_INPUT"

    def __init__(self, message: str, field: str | None = None, **extensions: Any) -> None:
        super().__init__(message, field=field, **extensions)


class RateLimited(DomainError):
    code = "RATE_LIMITED"

    def __init__(self, message: str, retry_after: int, **extensions: Any) -> None:
        super().__init__(message, retryAfter=retry_after, **extensions)
        self.retry_after = retry_after


class QueryTooComplex(DomainError):
    code = "QUERY_TOO_COMPLEX"


class ServiceUnavailable(DomainError):
    code = "SERVICE_UNAVAILABLE"
