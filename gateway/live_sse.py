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
  stream open and a dead client is noticed;
- `id: <event id>` on each sessionEvents `next` that selects `id` (under any alias): a
  client reconnecting with `Last-Event-ID` (an EventSource does; graphql-sse does not)
  resumes after it, as with `after`: the header becomes the variable the operation
  passes to `after:` unless the variables already give it a value that is not older;
- at SSE_MAX_STREAM_SECONDS the stream ends without `complete` (a comment says why), so
  no response stays open forever through proxies and deploys: the client resumes;
- at a graceful shutdown (SIGTERM) likewise, at once (`: the server is shutting down`):
  Uvicorn waits for every response to end before the process exits.

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

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    parse,
)
from starlette.responses import Response
from starlette.types import Send

from gateway import jsonio
from gateway.connections import DRAINING_KEY
from gateway.errors import error_payload, with_request_id
from gateway.graphql_http import Caller, Exchange, GraphQLEndpoint, Operation, Read
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
from gateway.negotiation import BatchReply, Reply, choose_media_type
from resolvers.cancellation import raise_if_cancelling
from resolvers.outbox import split_event_id
from resolvers.viewer import Viewer

log = get_logger("gateway.live_sse")

EVENT_STREAM = "text/event-stream"
KEEPALIVE = b":\n\n"
COMPLETE = b"event: complete\ndata:\n\n"
# The subscription whose events a reconnecting client resumes after (Last-Event-ID).
RESUMABLE = "sessionEvents"
_END = object()


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


def is_subscription(query: str, name: str | None) -> bool:
    """The operation `name` selects is a subscription, or could be one (several without
    `operationName`: the subscription path says to name one). Documents that do not name
    the keyword are not parsed: urql sends every query with text/event-stream accepted. A
    document that does not parse, or has no operation of that name, is not one: the HTTP
    path reports why as any query's request error. (It was taken for a subscription, and
    `subscription` is in every query selecting `subscriptionTier`: urql's typo got 401 when
    anonymous and an event stream saying "send queries over HTTP" when signed in.)"""
    if "subscription" not in query:
        return False
    try:
        document = parse(query)
    except GraphQLError:
        return False
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is not None:
        operations = [o for o in operations if o.name is not None and o.name.value == name]
    return any(o.operation is OperationType.SUBSCRIPTION for o in operations)


def _event(body: Any) -> bytes:
    return b"event: next\ndata: " + jsonio.dumps(body) + b"\n\n"


def _next(body: Any, keys: tuple[str, str] | None) -> bytes:
    """A `next` event, with the SSE `id:` of a sessionEvents event that selects its id
    (what a reconnecting client sends back as Last-Event-ID). `keys` are the response
    names of the field and of its id (`event_id_keys`)."""
    if keys is None:
        return _event(body)
    field, id_key = keys
    data = body.get("data") if isinstance(body, dict) else None
    event = data.get(field) if isinstance(data, dict) else None
    event_id = event.get(id_key) if isinstance(event, dict) else None
    if isinstance(event_id, str) and "\n" not in event_id and "\r" not in event_id:
        return b"id: " + event_id.encode() + b"\n" + _event(body)
    return _event(body)


def _resumable(query: str, name: str | None) -> tuple[DocumentNode, FieldNode] | None:
    """The document and the top-level sessionEvents field of the operation `name` selects."""
    try:
        document = parse(query)
    except GraphQLError:
        return None  # the subscription path reports the document's errors
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is not None:
        operations = [o for o in operations if o.name is not None and o.name.value == name]
    if len(operations) != 1:
        return None
    for selection in operations[0].selection_set.selections:
        if isinstance(selection, FieldNode) and selection.name.value == RESUMABLE:
            return document, selection
    return None


def event_id_keys(found: tuple[DocumentNode, FieldNode] | None) -> tuple[str, str] | None:
    """Where a result carries the event id: the response names of the sessionEvents field
    and of its `id`, aliases and fragments included. Apps name fields their own way
    (`live: sessionEvents`, `eventId: id` in a colocated fragment); reading only the
    unaliased names left such streams without `id:` lines, so an EventSource-style client
    reconnected without Last-Event-ID and silently missed the events in between.
    `found`: the operation's sessionEvents field (`_resumable`)."""
    if found is None:
        return None
    document, field = found
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    seen: set[str] = set()

    def id_key(selections: Any) -> str | None:
        for selection in selections:
            if isinstance(selection, FieldNode):
                if selection.name.value == "id":
                    return selection.alias.value if selection.alias else "id"
                continue
            if isinstance(selection, InlineFragmentNode):
                inner = selection.selection_set
            elif isinstance(selection, FragmentSpreadNode):
                spread = selection.name.value
                if spread in seen or spread not in fragments:
                    continue
                seen.add(spread)
                inner = fragments[spread].selection_set
            else:
                continue
            key = id_key(inner.selections)
            if key is not None:
                return key
        return None

    key = id_key(field.selection_set.selections if field.selection_set else ())
    if key is None:
        return None
    return (field.alias.value if field.alias else RESUMABLE), key


def _later(last_event_id: str, after: Any) -> bool:
    """Last-Event-ID names a later event of the same session than `after`."""
    if not isinstance(after, str):
        return False
    header, given = split_event_id(last_event_id), split_event_id(after)
    return (
        header is not None and given is not None and header[0] == given[0] and header[1] > given[1]
    )


def resumed(
    found: tuple[DocumentNode, FieldNode] | None,
    variables: dict[str, Any] | None,
    last_event_id: str,
) -> dict[str, Any] | None:
    """`variables` with Last-Event-ID as the variable the operation's sessionEvents field
    takes as `after` (`sessionEvents(sessionId: $s, after: $after)`), unless the variables
    already give it a value that is not older; unchanged when the operation has no such
    variable. An EventSource reconnects to the URL it was opened with, its `after`
    included, and adds the header: the header is what the client saw since, so the later
    one counts (the URL's winning replayed, at every reconnect, what the client had).
    `found`: the operation's sessionEvents field (`_resumable`)."""
    if found is None:
        return variables
    for argument in found[1].arguments or ():
        if argument.name.value == "after" and isinstance(argument.value, VariableNode):
            variable = argument.value.name.value
            given = (variables or {}).get(variable)
            if given is None or _later(last_event_id, given):
                return {**(variables or {}), variable: last_event_id}
    return variables


class EventStream:
    """The SSE transport of /graphql; GraphQLEndpoint hands it requests that accept it,
    and it runs them through the endpoint's own steps (read, resolve persisted,
    authenticate, ... gateway/graphql_http.py) up to the point where a subscription
    starts streaming."""

    def __init__(self, schema: Any, endpoint: GraphQLEndpoint, stats: LiveStats) -> None:
        self.schema = schema
        self.endpoint = endpoint
        self.stats = stats

    def accepts(self, method: str, accept: str | None) -> bool:
        return method in ("GET", "POST") and accepts_event_stream(accept)

    async def __call__(self, ex: Exchange, send: Send) -> None:
        """A subscription becomes a stream. Anything else from a client that also accepts
        JSON (urql lists text/event-stream beside the JSON types) is answered as the HTTP
        path answers it; a client that accepts only the stream (the graphql-sse client)
        gets a query's answer as one `next` event, and refusals as HTTP statuses."""
        endpoint, request = self.endpoint, ex.request

        async def answer(reply: Reply | BatchReply | Response) -> None:
            response = await endpoint.respond(ex, reply)  # charged, rendered, cache policy
            await response(request.scope, request.receive, send)

        read = await endpoint.read(ex)
        if not isinstance(read, Read):
            await answer(read)
            return
        if isinstance(read.params, list):  # a batch is never a stream
            await answer(await endpoint.batch(ex, read.params, read.allowed))
            return
        op = await endpoint.resolve_persisted(ex, read.params, read.allowed)
        if isinstance(op, Reply):
            await answer(op)
            return
        if not is_subscription(op.query, op.name):
            reply = await endpoint.run(ex, op)
            if choose_media_type(ex.headers.get("accept")) is not None:
                await answer(reply)
            else:
                await self._single(ex, send, reply)
            return
        caller = await endpoint.authenticate(ex)
        refusal = caller.refusal or self._refusal(ex, caller)
        if refusal is not None:
            await answer(await endpoint.refused(ex, refusal))
            return
        viewer = caller.viewer
        assert viewer is not None
        limit = ex.services.settings.ws_max_connections_per_user
        if not self.stats.open(viewer.id, limit):
            message = f"At most {limit} live connections (WebSocket and SSE) per caller."
            over = _reply("RATE_LIMITED", message, 429, maxConnections=limit, retryAfter=1)
            over.headers["Retry-After"] = "1"
            await answer(await endpoint.refused(ex, over))
            return
        try:
            await self._stream(ex, send, op, viewer, caller.client_ip)
        finally:
            self.stats.close(viewer.id)

    def _refusal(self, ex: Exchange, caller: Caller) -> Reply | None:
        """Why this caller may not open a stream: a browser Origin the CORS rules refuse
        (as the WebSocket upgrade is refused), or no credential."""
        if not origin_allowed(ex.headers, ex.services.settings):
            log.info("sse_refused", reason="origin", origin=ex.headers.get("origin"))
            return _reply("FORBIDDEN", "This origin may not open event streams.", 403)
        if caller.viewer is None:
            return _reply("UNAUTHENTICATED", "Send Authorization: Bearer <token>.", 401)
        return None

    async def _single(self, ex: Exchange, send: Send, reply: Reply) -> None:
        """A query or mutation's answer as one `next` and `complete`."""
        with_request_id(reply.payload, ex.request_id)
        await _open(send, reply.headers)
        body = _event(reply.payload) + COMPLETE
        await send({"type": "http.response.body", "body": body, "more_body": False})

    async def _stream(
        self, ex: Exchange, send: Send, op: Operation, viewer: Viewer, ip: str
    ) -> None:
        request, services, request_id = ex.request, ex.services, ex.request_id
        settings = services.settings
        header = ex.headers.get("authorization") or ""
        state = ex.state
        ex.charged = True  # admission control charges it as it starts (live_stream.py)
        state["operation"] = op.name
        state["operation_type"] = "subscription"
        viewer_id = viewer.id
        if op.register is not None:
            # An automatic persisted query's document, its hash verified (persisted.py).
            await services.persisted.register(*op.register)
        variables = op.variables
        found = _resumable(op.query, op.name)  # parsed once for both
        last_event_id = ex.headers.get("last-event-id")
        if last_event_id:
            variables = resumed(found, variables, last_event_id)
        payload = {"query": op.query, "variables": variables, "operationName": op.name}
        keys = event_id_keys(found)
        interval = settings.sse_keepalive_seconds
        ends = time.monotonic() + settings.sse_max_stream_seconds
        # Set at a graceful shutdown (gateway/connections.py); absent when no such protocol
        # serves the app (in-process tests).
        draining: asyncio.Event | None = request.scope.get(DRAINING_KEY)
        # A handoff, not a buffer: the producer takes the next frame from the subscription
        # only once the pump wrote the last, so a stream that ends holds at most one frame
        # it never began to write, and says so (Frame.sent; a tutor turn goes back to its
        # group at once instead of at its ack deadline).
        queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=1)

        async def put(item: Any) -> None:
            # The pump may be gone (the stream ended): a cancellation a read swallowed
            # must not leave this task waiting on the handoff for good.
            raise_if_cancelling()
            await queue.put(item)
            await queue.join()

        async def produce() -> None:
            stream = frames(self.schema, services, viewer, header, request_id, ip, payload)
            try:
                async with contextlib.aclosing(stream):
                    async for frame in stream:
                        await put(frame)
                        if frame.kind == "error":
                            break
                await put(_END)
            except Closed as exc:
                await put(exc)
            except Exception as exc:  # a bug: the stream says INTERNAL and ends
                log.exception("sse_stream_failed", error=type(exc).__name__)
                error = {
                    "message": f"Internal server error (request id {request_id}).",
                    "extensions": {"code": "INTERNAL", "requestId": request_id},
                }
                await put(Frame("error", [error]))

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
            # One wait on the shutdown for the whole stream, not one per frame.
            drained = asyncio.ensure_future(draining.wait()) if draining is not None else None
            try:
                return await pump_until(drained)
            finally:
                if drained is not None:
                    drained.cancel()

        async def pump_until(drained: asyncio.Future[Any] | None) -> tuple[str, bool]:
            await _open(send, {})
            await write(KEEPALIVE)
            while True:
                raise_if_cancelling()  # a wait below can swallow the stream's end
                left = ends - time.monotonic()
                if left <= 0:
                    # No `complete`: the client resumes (after, Last-Event-ID).
                    seconds = f"{settings.sse_max_stream_seconds:g}"
                    await write(f": stream open {seconds} s, the most; resume\n\n".encode())
                    return "max_duration", True
                if draining is not None and draining.is_set():
                    # The server is shutting down: no `complete`, the client resumes on
                    # another replica (after, Last-Event-ID).
                    await write(b": the server is shutting down; resume\n\n")
                    return "shutdown", True
                getter = asyncio.ensure_future(queue.get())
                waits: set[asyncio.Future[Any]] = {getter}
                if drained is not None:
                    waits.add(drained)
                try:
                    # Idle past the timeout: a keep-alive below.
                    await asyncio.wait(
                        waits, timeout=min(interval, left), return_when=asyncio.FIRST_COMPLETED
                    )
                finally:
                    if not getter.done():
                        getter.cancel()
                if not getter.done() or getter.cancelled():
                    if ends - time.monotonic() > 0 and not (draining and draining.is_set()):
                        await write(KEEPALIVE)
                    continue
                item = getter.result()
                try:
                    reason = await deliver(item)
                finally:
                    queue.task_done()
                if reason is not None:
                    return reason, True

        async def deliver(item: Any) -> str | None:
            """Write one item of the producer's; why the stream ends after it, if it does."""
            if item is _END:
                await write(COMPLETE)
                return "complete"
            if isinstance(item, Closed):
                if item.code == CLOSE_FORBIDDEN:  # the credential no longer holds
                    error = {
                        "message": item.reason,
                        "extensions": {"code": "UNAUTHENTICATED", "requestId": request_id},
                    }
                    await write(_event({"data": None, "errors": [error]}) + COMPLETE)
                    return "credential"
                # A slow consumer: no `complete`, so the client resumes with `after`.
                await write(f": {item.reason}; resubscribe with `after`\n\n".encode())
                return "slow_consumer"
            assert isinstance(item, Frame)
            item.sent = True  # from here on the client may have it
            if item.kind == "next":
                await write(_next(item.payload, keys))
                return None
            # With the request id, as every refusal carries it (the client quotes it).
            await write(_event({"errors": item.payload, "extensions": {"requestId": request_id}}))
            if item.kind == "error":
                await write(COMPLETE)
                return "error"
            return None

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
