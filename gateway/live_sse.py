"""Subscriptions over Server-Sent Events: GraphQL over SSE, distinct connections mode.

For clients that cannot open a WebSocket (a proxy that drops upgrades, an HTTP-only SDK):
a GET or POST to /graphql with `Accept: text/event-stream` is one operation on its own
stream (the `graphql-sse` npm client's default mode). A subscription runs as it runs over
WebSocket (gateway/live_stream.py: one mechanism, two transports): priced and charged at
the start, every event authorised again before it goes out. A query or mutation runs
through the ordinary HTTP path and comes back as one `next` event.

What the stream carries (enisdenjo/graphql-sse PROTOCOL.md):

- `event: next` with an execution result as `data`, per event; errors of the operation
  (an invalid document, NOT_FOUND, RATE_LIMITED) are a `next` with `errors`, then the end;
- `event: complete` when the operation is over (SESSION_ENDED, or a revoked credential,
  whose last `next` says UNAUTHENTICATED);
- a `:` comment at the start and every SSE_KEEPALIVE_SECONDS, so proxies keep the idle
  stream open and a dead client is noticed.

Refused with an HTTP status before the stream opens, as the WebSocket upgrade is: a
request the parameters or persisted-query rules refuse (400/404), no or a bad credential
(401), a browser Origin the CORS rules refuse (403), a caller already at
WS_MAX_CONNECTIONS_PER_USER live connections over both transports (429). A consumer that
falls WS_BUFFER_EVENTS events behind, or whose socket takes no bytes for two keep-alive
intervals, loses the stream without `complete` (a comment names the reason): it
resubscribes with `after`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import orjson
from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect, Request
from starlette.types import Message, Receive, Send
from strawberry.types.graphql import OperationType as StrawberryOperation

from gateway.errors import error_payload, with_request_id
from gateway.graphql_http import GraphQLEndpoint, client_ip
from gateway.live_stream import (
    CLOSE_FORBIDDEN,
    CLOSE_SLOW_CONSUMER,
    Closed,
    Frame,
    LiveStats,
    frames,
    origin_allowed,
)
from gateway.logging import get_logger
from gateway.negotiation import APPLICATION_JSON, Reply, choose_media_type, render
from gateway.persisted import Refusal
from gateway.ratelimit import STORAGE_ERRORS
from gateway.refusals import charge_refused
from gateway.request_params import BadJson, parse_json
from gateway.services import Services
from models.db import UNAVAILABLE_ERRORS
from resolvers.errors import DomainError
from resolvers.viewer import Viewer

log = get_logger("gateway.live_sse")

EVENT_STREAM = "text/event-stream"
KEEPALIVE = b":\n\n"
COMPLETE = b"event: complete\ndata:\n\n"
_END = object()
_MORE = b"\x00more"  # marks a body read only in part (the rest is still to receive)


def _replaying(body: list[bytes], receive: Receive) -> Receive:
    """`receive` that first hands back the body already read, then the rest."""
    more = bool(body) and body[-1] is _MORE
    chunks = [c for c in body if c is not _MORE]
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": more}
        return await receive()

    return replay


def accepts_event_stream(accept: str | None) -> bool:
    """`text/event-stream` is in the Accept header with a quality above 0."""
    if not accept:
        return False
    for part in accept.split(","):
        kind, *params = (p.strip() for p in part.split(";"))
        if kind.lower() != EVENT_STREAM:
            continue
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    return float(value) > 0
                except ValueError:
                    return False
        return True
    return False


def operation_type(query: str, name: str | None) -> OperationType | None:
    """The type of the operation `name` selects; None when the document does not parse
    or select one (the subscription path reports that as GraphQL errors)."""
    try:
        document = parse(query)
    except GraphQLError:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is not None:
        operations = [o for o in operations if o.name is not None and o.name.value == name]
    return operations[0].operation if len(operations) == 1 else None


def _event(body: Any) -> bytes:
    return b"event: next\ndata: " + orjson.dumps(body) + b"\n\n"


class EventStream:
    """The SSE transport of /graphql; GraphQLEndpoint hands it requests that accept it."""

    def __init__(self, schema: Any, endpoint: GraphQLEndpoint, stats: LiveStats) -> None:
        self.schema = schema
        self.endpoint = endpoint
        self.stats = stats

    def accepts(self, scope: Any) -> bool:
        return scope["method"] in ("GET", "POST") and accepts_event_stream(
            Headers(scope=scope).get("accept")
        )

    async def __call__(self, scope: Any, receive: Receive, send: Send) -> None:
        """A subscription becomes a stream. Anything else from a client that also accepts
        JSON (urql lists text/event-stream beside the JSON types) goes to the HTTP path
        untouched, its body replayed; a client that accepts only the stream (the
        graphql-sse client) gets its answer, or its refusal, as SSE or an HTTP status."""
        request = Request(scope, receive)
        services = self.endpoint.services
        state = scope.setdefault("state", {})
        request_id = str(state.get("request_id") or "")
        json_too = choose_media_type(request.headers.get("accept")) is not None
        body: list[bytes] = []
        params = await self._params(request, services, body)
        if isinstance(params, Reply):
            resolved: Any = params
        else:
            try:
                resolved = await services.persisted.resolve(params)
            except STORAGE_ERRORS:
                resolved = _reply("SERVICE_UNAVAILABLE", "Persisted queries are unavailable.", 503)
        if isinstance(resolved, Refusal):
            resolved = _reply(resolved.code, resolved.message, resolved.status)
        if not isinstance(resolved, Reply):
            problem = _params_problem(resolved.params, services.settings.query_max_chars)
            if problem is not None:
                resolved = _reply("BAD_USER_INPUT", problem, 400)
        kind = None
        if not isinstance(resolved, Reply):
            kind = operation_type(resolved.params["query"], resolved.params.get("operationName"))
        if json_too and kind is not OperationType.SUBSCRIPTION:
            await self.endpoint.respond(scope, _replaying(body, receive), send)
            return
        if isinstance(resolved, Reply):
            await self._refuse(request, send, resolved, request_id)
            return
        assert isinstance(params, dict)
        if kind is not None and kind is not OperationType.SUBSCRIPTION:
            await self._single(request, send, params, request_id)
            return
        caller = await self._caller(request, services)
        if isinstance(caller, Reply):
            await self._refuse(request, send, caller, request_id)
            return
        viewer, header = caller
        if resolved.register is not None:
            # The hash was verified against the document (gateway/persisted.py).
            await services.persisted.register(*resolved.register)
        limit = services.settings.ws_max_connections_per_user
        if not self.stats.open(viewer.id, limit):
            over = _reply(
                "RATE_LIMITED",
                f"At most {limit} live connections (WebSocket and SSE) per caller.",
                429,
                {"Retry-After": "1"},
                maxConnections=limit,
                retryAfter=1,
            )
            with_request_id(over.payload, request_id)
            state["metered"] = True  # the connection is refused, not a request: no charge
            await render(over, APPLICATION_JSON)(scope, receive, send)
            return
        try:
            await self._stream(request, send, resolved.params, viewer, header, request_id)
        finally:
            self.stats.close(viewer.id)

    async def _refuse(self, request: Request, send: Send, reply: Reply, request_id: str) -> None:
        with_request_id(reply.payload, request_id)
        services = self.endpoint.services
        response = await charge_refused(request, render(reply, APPLICATION_JSON), services)
        await response(request.scope, request.receive, send)

    async def _caller(self, request: Request, services: Services) -> Reply | tuple[Viewer, str]:
        """The subscriber and its credential, or the HTTP answer that refuses the stream."""
        state = request.scope["state"]
        if not origin_allowed(request.headers, services.settings):
            log.info("sse_refused", reason="origin", origin=request.headers.get("origin"))
            return _reply("FORBIDDEN", "This origin may not open event streams.", 403)
        header = request.headers.get("authorization")
        if not header:
            state["authentication_failed"] = True
            return _reply("UNAUTHENTICATED", "Send Authorization: Bearer <token>.", 401)
        try:
            viewer, _record, _fresh = await services.auth.authenticate_cached(header)
        except DomainError as exc:
            state["authentication_failed"] = True
            status = 503 if exc.code == "SERVICE_UNAVAILABLE" else 401
            return _reply(exc.code, exc.message, status)
        except UNAVAILABLE_ERRORS:
            return _reply("SERVICE_UNAVAILABLE", "The database is unavailable.", 503)
        if viewer is None:
            state["authentication_failed"] = True
            return _reply("UNAUTHENTICATED", "Send Authorization: Bearer <token>.", 401)
        state["user_id"], state["tier"] = viewer.id, viewer.tier
        return viewer, header

    async def _params(
        self, request: Request, services: Services, body: list[bytes]
    ) -> dict[str, Any] | Reply:
        """The request's parameters; the body bytes read are kept in `body` (to replay)."""
        if request.method == "GET":
            params: dict[str, Any] = dict(request.query_params)
            for name in ("variables", "extensions"):
                if name in params:
                    try:
                        params[name] = parse_json(params[name])
                    except (BadJson, ValueError):
                        return _reply("BAD_USER_INPUT", f"'{name}' is not JSON.", 400)
            return params
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype not in ("application/json", ""):
            return _reply("BAD_USER_INPUT", "Send the request as application/json.", 415)
        limit = services.settings.max_body_bytes
        size = 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                body.append(chunk)
                if size > limit:
                    body.append(_MORE)
                    return _reply("BAD_USER_INPUT", f"The request body exceeds {limit} bytes.", 413)
        except ClientDisconnect:
            return _reply("BAD_USER_INPUT", "The client disconnected mid-body.", 400)
        try:
            parsed = parse_json(b"".join(body))
        except (BadJson, ValueError, UnicodeDecodeError):
            return _reply("BAD_USER_INPUT", "The request body is not valid JSON.", 400)
        if not isinstance(parsed, dict):
            return _reply("BAD_USER_INPUT", "The request body must be a JSON object.", 400)
        return parsed

    async def _single(
        self, request: Request, send: Send, params: dict[str, Any], request_id: str
    ) -> None:
        """A query or mutation: the HTTP path's answer, as one `next` and `complete`."""
        allowed = {StrawberryOperation.QUERY}
        if request.method == "POST":
            allowed.add(StrawberryOperation.MUTATION)
        reply = await self.endpoint.run(request, params, allowed)
        with_request_id(reply.payload, request_id)
        await _open(send, reply.headers)
        await send(
            {
                "type": "http.response.body",
                "body": _event(reply.payload) + COMPLETE,
                "more_body": False,
            }
        )

    async def _stream(
        self,
        request: Request,
        send: Send,
        params: dict[str, Any],
        viewer: Viewer,
        header: str,
        request_id: str,
    ) -> None:
        services = self.endpoint.services
        settings = services.settings
        state = request.scope["state"]
        state["metered"] = True  # admission control charges it (gateway/live_stream.py)
        state["operation"] = params.get("operationName")
        state["operation_type"] = "subscription"
        viewer_id = viewer.id
        interval = settings.sse_keepalive_seconds
        queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=1)
        payload = params
        ip = client_ip(request, settings.anonymous_ipv6_prefix_length)

        async def produce() -> None:
            try:
                async for frame in frames(
                    self.schema, services, viewer, header, request_id, ip, payload
                ):
                    await queue.put(frame)
                    if frame.kind == "error":
                        break
                await queue.put(_END)
            except Closed as exc:
                await queue.put(exc)
            except Exception as exc:  # a bug: the stream says INTERNAL and ends
                log.exception("sse_stream_failed", error=type(exc).__name__)
                error = {
                    "message": f"Internal server error (request id {request_id}).",
                    "extensions": {"code": "INTERNAL", "requestId": request_id},
                }
                await queue.put(Frame("error", [error]))

        async def write(chunk: bytes) -> None:
            message = {"type": "http.response.body", "body": chunk, "more_body": True}
            try:
                await asyncio.wait_for(send(message), 2 * interval)
            except TimeoutError:
                raise Closed(
                    CLOSE_SLOW_CONSUMER, "Slow consumer: the socket takes no bytes"
                ) from None

        async def pump() -> tuple[str, bool]:
            """(reason, finished): finished when the response may end normally."""
            await _open(send, {})
            await write(KEEPALIVE)
            while True:
                try:
                    item = await asyncio.wait_for(queue.get(), interval)
                except TimeoutError:
                    await write(KEEPALIVE)
                    continue
                if item is _END:
                    await write(COMPLETE)
                    return "complete", True
                if isinstance(item, Closed):
                    if item.code == CLOSE_FORBIDDEN:  # the credential no longer holds
                        error = {
                            "message": item.reason,
                            "extensions": {"code": "UNAUTHENTICATED", "requestId": request_id},
                        }
                        await write(_event({"data": None, "errors": [error]}) + COMPLETE)
                        return "credential", True
                    # A slow consumer: no `complete`, so the client resumes with `after`.
                    await write(f": {item.reason}; resubscribe with `after`\n\n".encode())
                    return "slow_consumer", True
                assert isinstance(item, Frame)
                body = item.payload if item.kind == "next" else {"errors": item.payload}
                await write(_event(body))
                if item.kind == "error":
                    await write(COMPLETE)
                    return "error", True

        async def gone() -> None:
            while (await request.receive())["type"] != "http.disconnect":
                pass

        started = time.monotonic()
        self.stats.subscriptions += 1
        self.stats.streams += 1
        producer = asyncio.create_task(produce())
        writer = asyncio.create_task(pump())
        watcher = asyncio.create_task(gone())
        log.info("sse_connected", user_id=viewer_id)
        reason, finished = "client", False
        try:
            await asyncio.wait({writer, watcher}, return_when=asyncio.FIRST_COMPLETED)
            if writer.done():
                try:
                    reason, finished = writer.result()
                except Closed as exc:  # a write timed out: the socket is stuck
                    reason = "slow_consumer"
                    log.info("sse_slow_consumer", user_id=viewer_id, detail=exc.reason)
                except OSError:
                    reason = "client"
        finally:
            for task in (producer, writer, watcher):
                task.cancel()
            for task in (producer, writer, watcher):
                with contextlib.suppress(BaseException):
                    await task
            self.stats.subscriptions -= 1
            self.stats.streams -= 1
            log.info(
                "sse_disconnected",
                user_id=viewer_id,
                reason=reason,
                seconds=round(time.monotonic() - started, 1),
            )
        if finished:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    send({"type": "http.response.body", "body": b"", "more_body": False}),
                    interval,
                )


async def _open(send: Send, headers: dict[str, str]) -> None:
    raw = [
        (b"content-type", b"text/event-stream; charset=utf-8"),
        (b"cache-control", b"no-store"),
        (b"x-accel-buffering", b"no"),  # nginx: pass each event on as it comes
    ]
    raw += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": 200, "headers": raw})


def _reply(
    code: str,
    message: str,
    status: int,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> Reply:
    return Reply(error_payload(code, message, **extensions), status, headers or {})


def _params_problem(params: dict[str, Any], max_chars: int) -> str | None:
    query = params.get("query")
    if not isinstance(query, str) or not query.strip():
        return "'query' must be a non-empty string."
    if len(query) > max_chars:
        return f"The document exceeds {max_chars} characters."
    if params.get("variables") is not None and not isinstance(params["variables"], dict):
        return "'variables' must be a JSON object."
    name = params.get("operationName")
    if name is not None and not isinstance(name, str):
        return "'operationName' must be a string."
    return None
