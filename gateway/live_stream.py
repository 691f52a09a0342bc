"""One subscription's results, whatever transport carries them (WebSocket or SSE).

Both transports (gateway/live_ws.py, gateway/live_sse.py) run a subscription the same
way, so there is one mechanism producing events and two ways of writing them:

- the operation's parameters are checked, then it runs through `schema.subscribe` with a
  GatewayContext, so the schema's Admission extension parses, validates, prices and
  charges it like a query, and every event it delivers is charged that price again (it
  runs the selection again): a spent bucket ends the stream RATE_LIMITED;
- every result is delivered only after the caller's credential is checked again: a
  revoked API client, an expired token or a changed role (an admin demoted) ends the
  stream (`Closed`, 4403) before the event goes out; a subscription runs as the caller
  the credential names when it starts, not as the one the socket was opened by;
- a subscriber whose buffer overflowed (resolvers/outbox.py, SlowConsumer) ends the
  stream (`Closed`, 4013) instead of growing without bound;
- a transport takes the next frame only once it wrote the last, and marks each frame
  `sent` as its write begins: a stream that closes with a frame it never began to write
  tells the resolver (`ctx.unsent`), and a tutor turn goes back to its group at once.

The per-caller connection count, shared by both transports, is `LiveStats`.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from graphql import GraphQLError

from gateway.admission import Outcome, charge, charge_event
from gateway.context import GatewayContext
from gateway.errors import UNRUNNABLE, describe_unrunnable, format_error
from gateway.querycost import document_points
from gateway.request_params import variables_problem
from gateway.services import Services
from gateway.settings import Settings
from models.db import UNAVAILABLE_ERRORS
from resolvers.errors import DomainError, RateLimited, ServiceUnavailable
from resolvers.outbox import SlowConsumer
from resolvers.viewer import Viewer

# Close codes a stream ends with (graphql-transport-ws's own numbers; SSE names them in
# its last event's error).
CLOSE_FORBIDDEN = 4403
CLOSE_SLOW_CONSUMER = 4013


class Closed(Exception):
    """The stream (or the socket) ends: `code` for a WebSocket close, `reason` said."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass
class LiveStats:
    """Process-wide counts the metrics read; `per_user` caps live connections per caller
    over both transports (WS_MAX_CONNECTIONS_PER_USER)."""

    connections: int = 0  # WebSocket connections
    streams: int = 0  # SSE streams (each one subscription)
    subscriptions: int = 0  # over both
    per_user: dict[str, int] = field(default_factory=dict)

    def open(self, user_id: str, limit: int) -> bool:
        """Count one more live connection of `user_id`; False (nothing counted) at `limit`."""
        if self.per_user.get(user_id, 0) >= limit:
            return False
        self.per_user[user_id] = self.per_user.get(user_id, 0) + 1
        return True

    def close(self, user_id: str) -> None:
        left = self.per_user.get(user_id, 1) - 1
        if left > 0:
            self.per_user[user_id] = left
        else:
            self.per_user.pop(user_id, None)


@dataclass(slots=True)
class Frame:
    """`next`: one result (`{"data": ..., "errors"?: ...}`); `error`: the operation was
    refused before it produced anything (a list of GraphQL errors); the stream ends.
    `sent`: set by the transport as its write of the frame begins (from then on the client
    may have it); a stream closed with an unsent frame in hand says so to the resolver."""

    kind: Literal["next", "error"]
    payload: Any
    sent: bool = False


def origin_allowed(headers: Mapping[str, str], settings: Settings) -> bool:
    """The CORS rules, applied to a live connection before it opens: a browser page on an
    origin the HTTP API refuses must not reach it over WebSocket either (browsers do not
    apply CORS to WebSockets), nor open an event stream. No Origin header: not a browser.
    The gateway's own origin: GraphiQL."""
    origin = headers.get("origin")
    if origin is None:
        return True
    origin = origin.rstrip("/")
    if origin in settings.cors_origins or "*" in settings.cors_origins:
        return True
    regex = settings.cors_origin_regex
    if regex is not None and re.fullmatch(regex, origin):
        return True
    host = headers.get("host", "")
    return origin.split("://", 1)[-1] == host


async def authenticate(services: Services, header: str) -> Viewer:
    """The caller of `header`, or Closed(4403) with the reason. The check failing for want
    of the database or the identity provider (CHECK_UNAVAILABLE) is not the credential's
    fault: it is raised as it is."""
    try:
        viewer, _record, _fresh = await services.auth.authenticate_cached(header)
    except ServiceUnavailable:
        raise
    except DomainError as exc:
        raise Closed(CLOSE_FORBIDDEN, f"Forbidden: {exc.message}") from None
    if viewer is None:
        raise Closed(CLOSE_FORBIDDEN, "Forbidden")
    return viewer


def params_problem(payload: dict[str, Any], max_chars: int) -> str | None:
    query, variables = payload.get("query"), payload.get("variables")
    name = payload.get("operationName")
    if (
        not isinstance(query, str)
        or len(query) > max_chars
        or (variables is not None and not isinstance(variables, dict))
        or (name is not None and not isinstance(name, str))
    ):
        return "Send 'query' (a string) and 'variables' (an object)."
    return variables_problem(variables)


async def frames(
    schema: Any,
    services: Services,
    viewer: Viewer,
    authorization: str,
    request_id: str,
    client_ip: str,
    payload: dict[str, Any],
    consumer: str | None = None,
) -> AsyncGenerator[Frame, None]:
    """The frames of one subscription (module docstring). Raises Closed to end it.
    `viewer`: who the connection was opened by; the subscription runs as whoever the
    credential names now (they differ once a role changed). `consumer`: the connection's
    name for itself (tutorTurns, resolvers/turns.py)."""
    problem = params_problem(payload, services.settings.query_max_chars)
    if problem is not None:
        yield Frame("error", [bad_input(problem)])
        return
    # Checked as the subscription starts, as before each event: a client revoked (a token
    # expired) since it connected is closed 4403 now, not at a first event that may never
    # come.
    try:
        # The caller of the moment, not the one the socket was opened by: an admin
        # demoted since connection_init subscribed to any learner's session as an admin.
        viewer = await authenticate(services, authorization)
    except CHECK_UNAVAILABLE:
        yield Frame("error", [UNCHECKED])
        return
    ctx = GatewayContext.create(services, viewer, request_id, client_ip)
    ctx.consumer = consumer
    meter = ctx.meter
    # Charged before the document is parsed, as an HTTP request is (graphql_http.admit):
    # a `subscribe` was charged only once it validated, so documents that fail to parse
    # or validate cost their sender nothing, and a caller whose window was spent still
    # had every document parsed and validated (a learner's four sockets of unique broken
    # documents held other callers' requests for seconds).
    meter.document_points = document_points(len(payload["query"]))
    refused = await charge(services, meter, Outcome.PARSING)
    if refused is not None:
        await _throttle(services.settings, refused)
        yield Frame("error", [refusal(refused)])
        return
    try:
        stream = await schema.subscribe(
            payload["query"],
            variable_values=payload.get("variables"),
            context_value=ctx,
            operation_name=payload.get("operationName"),
        )
        async with contextlib.aclosing(stream):
            try:
                async for result in stream:
                    if meter.outcome is Outcome.PARSING:
                        # It did not validate (admission control never saw it): charged still,
                        # so floods of broken documents are throttled like any other traffic.
                        await charge(services, meter, Outcome.INVALID)
                    for error in result.errors or []:
                        original = error.original_error
                        if isinstance(original, SlowConsumer):
                            raise Closed(CLOSE_SLOW_CONSUMER, f"Slow consumer: {error.message}")
                        if original is not None and type(original).__name__ in UNRUNNABLE:
                            # e.g. a query: it goes over HTTP, the one request path
                            name = payload.get("operationName")
                            message = describe_unrunnable(original, name, live=True)
                            yield Frame("error", [bad_input(message)])
                            return
                    errors = [format_error(e, request_id) for e in result.errors or []]
                    if result.data is None and errors:
                        first = (result.errors or [None])[0]
                        if first is not None and isinstance(first.original_error, RateLimited):
                            await _throttle(services.settings, first.original_error)
                        yield Frame("error", errors)
                        return
                    # Raises Closed: the result never goes out (resolvers/turns.py hands a
                    # turn back, ctx.unsent). Unchecked (the database away): the subscription
                    # ends with SERVICE_UNAVAILABLE and the client resubscribes (`after`).
                    try:
                        now = await authenticate(services, authorization)
                    except CHECK_UNAVAILABLE:
                        yield Frame("error", [UNCHECKED])
                        return
                    if now.role != viewer.role:
                        # The subscription was authorised for a role the caller no longer has
                        # (an admin demoted): its events and what they select below them are
                        # not theirs to see now. Subscribing again authorises them afresh.
                        raise Closed(CLOSE_FORBIDDEN, "Forbidden: the caller's role changed")
                    # Every event ran the selection again: it is charged its price, and a
                    # spent bucket ends the stream (gateway/admission.py, charge_event).
                    price = ctx.cost - meter.document_points
                    refused = await charge_event(services, meter, price)
                    if refused is not None:
                        yield Frame("error", [refusal(refused)])
                        return
                    body: dict[str, Any] = {"data": result.data}
                    if errors:
                        body["errors"] = errors
                    frame = Frame("next", body)
                    try:
                        yield frame
                    except GeneratorExit:
                        # The transport closed this stream with the frame in hand. Its write
                        # began: the client may have it. Otherwise `ctx.unsent`, which a
                        # resolver sets as it yields (resolvers/turns.py hands a turn back
                        # then), still holds, as it does when the stream closes before the
                        # frame was made (in the check above, while the fields resolve).
                        if frame.sent:
                            ctx.unsent = False
                        raise
            except GraphQLError as exc:
                if meter.outcome is not Outcome.PARSING:
                    raise
                # A syntax error: Strawberry raises it as the stream's first item. It escaped
                # the connection's task, so the client never heard back (and each one logged
                # a traceback at error level).
                await charge(services, meter, Outcome.INVALID)
                yield Frame("error", [format_error(exc, request_id)])
                return
    finally:
        ctx.loaders.release()


async def _throttle(settings: Settings, refusal: DomainError) -> None:
    """A RATE_LIMITED refusal goes out after RATE_LIMIT_REFUSAL_DELAY_MS (at most its
    retryAfter), as an HTTP 429 does: the subscription holds one of its connection's
    WS_MAX_SUBSCRIPTIONS slots meanwhile, so a client looping on refusals gets a few per
    second per socket, not thousands."""
    if not isinstance(refusal, RateLimited):
        return
    delay = settings.rate_limit_refusal_delay_ms / 1000
    retry = refusal.extensions.get("retryAfter")
    if isinstance(retry, int | float):
        delay = min(delay, float(retry))
    if delay > 0:
        await asyncio.sleep(delay)


# The credential check itself failed: the database or the identity provider is away.
CHECK_UNAVAILABLE: tuple[type[BaseException], ...] = (ServiceUnavailable, *UNAVAILABLE_ERRORS)
UNCHECKED = {
    "message": "The credential could not be checked (the database or the identity provider "
    "is unavailable); subscribe again shortly.",
    "extensions": {"code": ServiceUnavailable.code},
}


def bad_input(message: str) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": "BAD_USER_INPUT"}}


def refusal(error: DomainError) -> dict[str, Any]:
    """A charge's refusal as the stream's error (RATE_LIMITED with its retryAfter)."""
    return {"message": error.message, "extensions": {"code": error.code, **error.extensions}}
