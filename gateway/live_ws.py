"""Subscriptions over WebSocket at /graphql: the `graphql-transport-ws` protocol only.

The legacy `graphql-ws` (subscriptions-transport-ws) subprotocol is refused at the upgrade:
Strawberry's handler for it had an authentication bypass (CVE-2026-35523), and nothing
here needs it. The handler is the gateway's own, like its HTTP path, so every bound is
explicit (settings `WS_*`):

- the upgrade is refused (HTTP 403) for a browser Origin the CORS rules do not allow;
- `connection_init` must arrive within WS_INIT_TIMEOUT_SECONDS (else close 4408), carry
  `{"Authorization": "Bearer ..."}` (else close 4403) and come once (else 4429);
- at most WS_MAX_CONNECTIONS_PER_USER sockets per caller (close 4008 on the next one) and
  WS_MAX_SUBSCRIPTIONS per socket (the next `subscribe` gets an `error`);
- a frame over WS_MAX_MESSAGE_BYTES closes 1009; anything not in the protocol 4400;
- the server pings every WS_PING_INTERVAL_SECONDS and closes 4504 when nothing (a pong or
  any message) came back within two intervals;
- a subscriber more than WS_BUFFER_EVENTS events behind is closed 4013 (slow consumer);
- every delivery authenticates the connection's credential again: a revoked API client or
  an expired token closes 4403 before the event goes out.

Each `subscribe` runs as gateway/live_stream.py runs every subscription, over this
transport or SSE (gateway/live_sse.py): admitted like a query (parsed, validated, priced
and charged by the schema's Admission extension), each event delivered after the
credential is checked again and charged the operation's price (it runs the selection again).

`connection_init`'s payload may name the client (`"consumer": "worker-1"`): a tutorTurns
subscription under that name gets the turns it held back when it reconnects
(resolvers/turns.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from gateway import jsonio
from gateway.clientaddr import client_key
from gateway.live_stream import (
    CLOSE_FORBIDDEN,
    Closed,
    Frame,
    LiveStats,
    authenticate,
    frames,
    origin_allowed,
)
from gateway.logging import get_logger
from gateway.services import Services, services_of
from resolvers.turns import CONSUMER_NAME
from resolvers.viewer import Viewer

log = get_logger("gateway.live")

PROTOCOL = "graphql-transport-ws"

# Close codes (graphql-transport-ws's own, plus the gateway's for its bounds).
CLOSE_INVALID = 4400
CLOSE_UNAUTHORIZED = 4401
CLOSE_INIT_TIMEOUT = 4408
CLOSE_DUPLICATE_ID = 4409
CLOSE_TOO_MANY_INITS = 4429
CLOSE_TOO_MANY_CONNECTIONS = 4008
CLOSE_KEEPALIVE = 4504
CLOSE_TOO_BIG = 1009
CLOSE_FLOOD = 1008  # policy violation: more messages than any client of the protocol sends
# Messages a client may send: a burst of this many, refilled at this many per second. A
# client sends connection_init, a subscribe and a complete per subscription (at most
# WS_MAX_SUBSCRIPTIONS open) and a ping every few seconds; nothing is charged for them,
# and each `ping` (or `subscribe` past the cap) is answered at once, so one socket
# echoed ~44,000 frames a second and four of them held other callers' requests at
# 0.2 s (p90), the budget of no caller spent.
WS_MESSAGE_BURST = 100
WS_MESSAGES_PER_SECOND = 20.0


class LiveEndpoint:
    def __init__(self, schema: Any, stats: LiveStats | None = None) -> None:
        self.schema = schema
        self.stats = stats or LiveStats()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        websocket = WebSocket(scope, receive, send)
        services = services_of(scope)
        offered = websocket.scope.get("subprotocols") or []
        peer = websocket.client.host if websocket.client else "unknown"
        if PROTOCOL not in offered:
            log.info("ws_refused", reason="subprotocol", offered=offered, client_ip=peer)
            await websocket.close(code=CLOSE_FORBIDDEN)  # before accept: HTTP 403
            return
        if not origin_allowed(websocket.headers, services.settings):
            log.info("ws_refused", reason="origin", origin=websocket.headers.get("origin"))
            await websocket.close(code=CLOSE_FORBIDDEN)
            return
        await websocket.accept(subprotocol=PROTOCOL)
        connection = Connection(self, services, websocket, peer)
        await connection.run()


class Connection:
    def __init__(
        self, endpoint: LiveEndpoint, services: Services, websocket: WebSocket, peer: str
    ) -> None:
        self.endpoint = endpoint
        self.services = services
        self.settings = services.settings
        self.ws = websocket
        self.client_ip = client_key(peer, self.settings.anonymous_ipv6_prefix_length)
        self.id = uuid.uuid4().hex[:16]
        self.viewer: Viewer | None = None
        self.authorization: str | None = None
        # The client's name for itself (tutorTurns: its unacknowledged turns follow it).
        self.consumer: str | None = None
        self.subscriptions: dict[str, asyncio.Task[None]] = {}
        self.last_seen = time.monotonic()
        self._allowance = float(WS_MESSAGE_BURST)  # messages left (a token bucket)
        self.send_lock = asyncio.Lock()
        self.closing: Closed | None = None
        # The keep-alive: a timer between pings, a task only while one is being sent (an
        # idle socket holds no task of its own: W5, memory per subscriber).
        self._ping_timer: asyncio.TimerHandle | None = None
        self._pinging: asyncio.Task[None] | None = None

    async def run(self) -> None:
        stats = self.endpoint.stats
        stats.connections += 1
        reason, code = "client", 1000
        try:
            await self._init()
            self._arm_ping()
            log.info("ws_connected", connection=self.id, user_id=self.viewer and self.viewer.id)
            while True:
                await self._dispatch(await self._receive())
        except Closed as exc:
            reason, code = exc.reason, exc.code
            await self._close(code, reason)
        except WebSocketDisconnect as exc:
            code = exc.code
            if self.closing is not None:  # closed by a delivery or the keep-alive
                reason, code = self.closing.reason, self.closing.code
        finally:
            if self._ping_timer is not None:
                self._ping_timer.cancel()
            if self._pinging is not None and self._pinging is not asyncio.current_task():
                self._pinging.cancel()
            for task in self.subscriptions.values():
                task.cancel()
            for task in list(self.subscriptions.values()):
                with contextlib.suppress(BaseException):
                    await task
            stats.connections -= 1
            if self.viewer is not None:
                stats.close(self.viewer.id)
            log.info(
                "ws_disconnected",
                connection=self.id,
                user_id=self.viewer and self.viewer.id,
                code=code,
                reason=reason,
            )

    async def _receive(self) -> dict[str, Any]:
        message = await self.ws.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        raw = message.get("text")
        if raw is None:
            raw = message.get("bytes") or b""
        if len(raw) > self.settings.ws_max_message_bytes:
            raise Closed(
                CLOSE_TOO_BIG, f"Message larger than {self.settings.ws_max_message_bytes} bytes"
            )
        now = time.monotonic()
        allowance = min(
            float(WS_MESSAGE_BURST),
            self._allowance + (now - self.last_seen) * WS_MESSAGES_PER_SECOND,
        )
        if allowance < 1:
            raise Closed(CLOSE_FLOOD, "Too many messages")
        self._allowance = allowance - 1
        self.last_seen = now
        try:
            parsed = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise Closed(CLOSE_INVALID, "Invalid message received") from None
        if not isinstance(parsed, dict) or not isinstance(parsed.get("type"), str):
            raise Closed(CLOSE_INVALID, "Invalid message received")
        return parsed

    async def _init(self) -> None:
        try:
            first = await asyncio.wait_for(
                self._receive(), timeout=self.settings.ws_init_timeout_seconds
            )
        except TimeoutError:
            raise Closed(CLOSE_INIT_TIMEOUT, "Connection initialisation timeout") from None
        if first["type"] != "connection_init":
            raise Closed(CLOSE_UNAUTHORIZED, "Unauthorized")
        payload = first.get("payload") or {}
        if not isinstance(payload, dict):
            raise Closed(CLOSE_INVALID, "Invalid message received")
        header = payload.get("Authorization") or payload.get("authorization")
        if not isinstance(header, str):
            raise Closed(CLOSE_FORBIDDEN, 'Forbidden: send {"Authorization": "Bearer …"}')
        consumer = payload.get("consumer")
        if consumer is not None and (
            not isinstance(consumer, str) or not CONSUMER_NAME.fullmatch(consumer)
        ):
            raise Closed(CLOSE_INVALID, "'consumer': 1 to 64 letters, digits or _.@-")
        viewer = await authenticate(self.services, header)
        if not self.endpoint.stats.open(viewer.id, self.settings.ws_max_connections_per_user):
            raise Closed(CLOSE_TOO_MANY_CONNECTIONS, "Too many connections for this caller")
        self.viewer, self.authorization, self.consumer = viewer, header, consumer
        await self._send({"type": "connection_ack"})

    async def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "ping":
            await self._send({"type": "pong"})
        elif kind == "pong":
            return
        elif kind == "connection_init":
            raise Closed(CLOSE_TOO_MANY_INITS, "Too many initialisation requests")
        elif kind == "subscribe":
            await self._subscribe(message)
        elif kind == "complete":
            task = self.subscriptions.pop(str(message.get("id")), None)
            if task is not None:
                task.cancel()
        else:
            raise Closed(CLOSE_INVALID, f"Invalid message type {kind!r}")

    async def _subscribe(self, message: dict[str, Any]) -> None:
        sid, payload = message.get("id"), message.get("payload")
        if not isinstance(sid, str) or not sid or len(sid) > 100 or not isinstance(payload, dict):
            raise Closed(CLOSE_INVALID, "Invalid message received")
        if sid in self.subscriptions:
            raise Closed(CLOSE_DUPLICATE_ID, f"Subscriber for {sid} already exists")
        limit = self.settings.ws_max_subscriptions
        if len(self.subscriptions) >= limit:
            await self._send(
                {
                    "id": sid,
                    "type": "error",
                    "payload": [
                        {
                            "message": f"At most {limit} subscriptions per connection.",
                            "extensions": {"code": "QUERY_TOO_COMPLEX", "maxSubscriptions": limit},
                        }
                    ],
                }
            )
            return
        self.subscriptions[sid] = asyncio.create_task(self._run(sid, payload))

    async def _run(self, sid: str, payload: dict[str, Any]) -> None:
        stats = self.endpoint.stats
        stats.subscriptions += 1
        assert self.viewer is not None and self.authorization is not None
        request_id = f"{self.id}-{sid}"[:64]
        stream = frames(
            self.endpoint.schema,
            self.services,
            self.viewer,
            self.authorization,
            request_id,
            self.client_ip,
            payload,
            consumer=self.consumer,
        )
        try:
            # Closed here, not whenever the generator is collected: a frame in hand that
            # never went out is handed back as the subscription ends (live_stream.py).
            async with contextlib.aclosing(stream):
                async for frame in stream:
                    if frame.kind == "error":
                        await self._send({"id": sid, "type": "error", "payload": frame.payload})
                        return
                    await self._send({"id": sid, "type": "next", "payload": frame.payload}, frame)
            await self._send({"id": sid, "type": "complete"})
        except Closed as exc:
            self.closing = exc
            await self._close(exc.code, exc.reason)
        except (WebSocketDisconnect, RuntimeError):
            return  # the socket is gone
        finally:
            stats.subscriptions -= 1
            if self.subscriptions.get(sid) is asyncio.current_task():
                del self.subscriptions[sid]

    def _arm_ping(self) -> None:
        loop = asyncio.get_running_loop()
        self._ping_timer = loop.call_later(self.settings.ws_ping_interval_seconds, self._tick)

    def _tick(self) -> None:
        self._ping_timer = None
        self._pinging = asyncio.create_task(self._keepalive())

    async def _keepalive(self) -> None:
        """One keep-alive round: close 4504 when nothing came back within two intervals,
        else ping and wait for the next round."""
        interval = self.settings.ws_ping_interval_seconds
        if time.monotonic() - self.last_seen > 2 * interval:
            self.closing = Closed(CLOSE_KEEPALIVE, "No pong within two ping intervals")
            await self._close(self.closing.code, self.closing.reason)
            return
        try:
            await self._send({"type": "ping"})
        except (WebSocketDisconnect, RuntimeError, OSError):
            return  # the socket is gone: the connection's loop ends it
        finally:
            self._pinging = None
        self._arm_ping()

    async def _send(self, message: dict[str, Any], frame: Frame | None = None) -> None:
        """`frame`: the subscription's frame `message` carries, marked sent as the write
        begins (not while it waits for the lock or finds the socket gone)."""
        async with self.send_lock:
            if self.ws.application_state != WebSocketState.CONNECTED:
                raise WebSocketDisconnect(1006)
            text = jsonio.dumps(message).decode()
            if frame is not None:
                frame.sent = True
            await self.ws.send_text(text)

    async def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            if self.ws.application_state == WebSocketState.CONNECTED:
                await self.ws.close(code=code, reason=reason[:120])
