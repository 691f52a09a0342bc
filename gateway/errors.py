"""Error codes of the public contract and how every failure becomes a safe GraphQL error.

Resolvers raise the DomainError subclasses (resolvers/errors.py); anything else is masked as
INTERNAL, logged with the request id, and never shown to the client.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError
from strawberry.types.graphql import OperationType

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
    if original is None and _cannot_write(error):
        # A stored value its field's type cannot represent: the server's data, not the
        # request (the client's input is coerced before execution, with no path).
        original = TypeError(error.message)
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


def _cannot_write(error: GraphQLError) -> bool:
    """graphql-core's output coercion refused a resolved value ("Int cannot represent non
    32-bit signed integer value: 3000000000", "Enum 'Role' cannot represent value: ...").
    Input coercion words its errors the same way but fails before execution, at no path."""
    return bool(error.path) and " cannot represent " in error.message


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


def is_subscription_error(exc: BaseException) -> bool:
    """Strawberry refused a subscription where only queries and mutations run."""
    return getattr(exc, "operation_type", None) is OperationType.SUBSCRIPTION


# Strawberry's refusals of a document before it runs: the client's mistake, not ours.
UNRUNNABLE = frozenset(
    {"InvalidOperationTypeError", "CannotGetOperationTypeError", "MissingQueryError"}
)


def describe_unrunnable(exc: BaseException, operation_name: str | None, live: bool = False) -> str:
    """What to tell a client whose document Strawberry would not run (UNRUNNABLE):
    over HTTP (`live` False) or over a live connection (WebSocket, SSE), which runs only
    subscriptions."""
    name = type(exc).__name__
    if name == "InvalidOperationTypeError":
        if live:
            return (
                "This connection runs subscriptions: send queries and mutations over HTTP "
                "(POST /graphql)."
            )
        if is_subscription_error(exc):
            return (
                "Subscriptions stream their events: open a WebSocket (graphql-transport-ws) "
                "or send this request with 'Accept: text/event-stream' (docs/live.md)."
            )
        return "Mutations must be sent with POST."
    if name == "CannotGetOperationTypeError":
        if operation_name:
            return "'operationName' does not name an operation in the document."
        return "Name the operation to run with 'operationName'."
    if name == "MissingQueryError":
        return "'query' must be a non-empty string."
    return "The request could not be executed."
