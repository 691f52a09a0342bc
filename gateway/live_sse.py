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
from starlette.requests import ClientDisconnect, Request
from starlette.types import Send
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
from gateway.negotiation import APPLICATION_JSON, Reply, render
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


def wants_event_stream(accept: str | None) -> bool:
    """`text/event-stream` is acceptable and no JSON type is preferred over it."""
    if not accept:
        return False
    stream, other = 0.0, 0.0
    for part in accept.split(","):
        kind, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        kind = kind.lower()
        if kind == EVENT_STREAM:
            stream = max(stream, quality)
        elif kind != "*/*":  # everything accepts */*: it says nothing of a preference
            other = max(other, quality)
    return stream > 0 and stream >= other


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

    def accepts(self, request: Request) -> bool:
        return request.method in ("GET", "POST") and wants_event_stream(
            request.headers.get("accept")
        )

    async def __call__(self, request: Request, send: Send) -> None:
        services = self.endpoint.services
        state = request.scope.setdefault("state", {})
        request_id = str(state.get("request_id") or "")
        refused = await self._refusal(request, services)
        if isinstance(refused, Reply):
            with_request_id(refused.payload, request_id)
            response = await charge_refused(request, render(refused, APPLICATION_JSON), services)
            await response(request.scope, request.receive, send)
            return
        params, viewer, header = refused
        kind = operation_type(params["query"], params.get("operationName"))
        if kind is not None and kind is not OperationType.SUBSCRIPTION:
            await self._single(request, send, params)
            return
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
            await render(over, APPLICATION_JSON)(request.scope, request.receive, send)
            return
        try:
            await self._stream(request, send, params, viewer, header, request_id)
        finally:
            self.stats.close(viewer.id)

    async def _refusal(
        self, request: Request, services: Services
    ) -> Reply | tuple[dict[str, Any], Viewer, str]:
        """The operation's parameters, the caller's id and credential; or the HTTP answer
        that refuses the request before any stream opens."""
        state = request.scope["state"]
        if not origin_allowed(request.headers, services.settings):
            log.info("sse_refused", reason="origin", origin=request.headers.get("origin"))
            return _reply("FORBIDDEN", "This origin may not open event streams.", 403)
        params = await self._params(request, services)
        if isinstance(params, Reply):
            return params
        try:
            resolved = await services.persisted.resolve(params)
        except STORAGE_ERRORS:
            return _reply("SERVICE_UNAVAILABLE", "Persisted queries are unavailable.", 503)
        if isinstance(resolved, Refusal):
            return _reply(resolved.code, resolved.message, resolved.status)
        problem = _params_problem(resolved.params, services.settings.query_max_chars)
        if problem is not None:
            return _reply("BAD_USER_INPUT", problem, 400)
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
        if resolved.register is not None:
            # Registered before it runs, as a WebSocket client's document would not be at
            # all: the hash was verified against the document (gateway/persisted.py).
            await services.persisted.register(*resolved.register)
        return {**resolved.params, "_original": params}, viewer, header

    async def _params(self, request: Request, services: Services) -> dict[str, Any] | Reply:
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
        chunks, size = [], 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    return _reply("BAD_USER_INPUT", f"The request body exceeds {limit} bytes.", 413)
                chunks.append(chunk)
        except ClientDisconnect:
            return _reply("BAD_USER_INPUT", "The client disconnected mid-body.", 400)
        try:
            parsed = parse_json(b"".join(chunks))
        except (BadJson, ValueError, UnicodeDecodeError):
            return _reply("BAD_USER_INPUT", "The request body is not valid JSON.", 400)
        if not isinstance(parsed, dict):
            return _reply("BAD_USER_INPUT", "The request body must be a JSON object.", 400)
        return parsed

    async def _single(self, request: Request, send: Send, params: dict[str, Any]) -> None:
        """A query or mutation: the HTTP path's answer, as one `next` and `complete`."""
        allowed = {StrawberryOperation.QUERY}
        if request.method == "POST":
            allowed.add(StrawberryOperation.MUTATION)
        reply = await self.endpoint.run(request, params["_original"], allowed)
        with_request_id(reply.payload, request.scope["state"].get("request_id"))
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
        payload = {k: v for k, v in params.items() if k != "_original"}
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
