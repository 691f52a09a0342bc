"""Error codes of the public contract and how every failure becomes a safe GraphQL error.

Resolvers raise the DomainError subclasses (resolvers/errors.py); anything else is masked as
INTERNAL, logged with the request id, and never shown to the client.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

from gateway.logging import get_logger
from models.db import UNAVAILABLE_ERRORS
from resolvers.errors import DomainError, ServiceUnavailable

log = get_logger("gateway.errors")


# graphql-core's parser stops with this message once a document exceeds max_tokens.
_TOO_MANY_TOKENS = "tokens. Parsing aborted"


def format_error(error: GraphQLError, request_id: str | None) -> dict[str, Any]:
    """The only place a client-visible error is built."""
    original = error.original_error
    # Unwrap graphql-core's located errors around our exceptions.
    while isinstance(original, GraphQLError):
        # graphql-core's own errors (parse, validation, input coercion) are client-safe.
        original = original.original_error
    out: dict[str, Any] = {}
    if isinstance(original, DomainError):
        out["message"] = original.message
        extensions = {"code": original.code, **original.extensions}
    elif original is not None and isinstance(original, UNAVAILABLE_ERRORS):
        log.warning("database_unavailable", error=type(original).__name__, path=error.path)
        out["message"] = "The database is unavailable; retry shortly."
        extensions = {"code": ServiceUnavailable.code}
    elif original is not None:
        log.error(
            "unhandled_resolver_error",
            path=error.path,
            error=type(original).__name__,
            exc_info=(type(original), original, original.__traceback__),
        )
        out["message"] = f"Internal server error (request id {request_id})."
        extensions = {"code": "INTERNAL", "requestId": request_id}
    else:
        # Parse, validation and variable-coercion errors from graphql-core are safe to show.
        out["message"] = error.message
        code = "QUERY_TOO_COMPLEX" if _TOO_MANY_TOKENS in error.message else "BAD_USER_INPUT"
        extensions = {"code": code, **(error.extensions or {})}
    if error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if error.path:
        out["path"] = error.path
    out["extensions"] = extensions
    return out


def with_request_id(payload: Any, request_id: str | None) -> Any:
    """A refusal's body with the request id at `extensions.requestId`, where every
    executed response carries it (and the `X-Request-ID` header), so a client can quote
    it whatever went wrong."""
    if request_id and isinstance(payload, dict) and "errors" in payload:
        extensions = payload.setdefault("extensions", {})
        if isinstance(extensions, dict):
            extensions.setdefault("requestId", request_id)
    return payload


def error_payload(code: str, message: str, **extensions: Any) -> dict[str, Any]:
    """A request-level error body for failures before GraphQL execution."""
    ext = {"code": code, **{k: v for k, v in extensions.items() if v is not None}}
    return {"data": None, "errors": [{"message": message, "extensions": ext}]}
