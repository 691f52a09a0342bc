"""Deadlines on slow clients, and a cap on connections per client IP, at the socket.

Uvicorn closes a keep-alive connection idle for HTTP_KEEP_ALIVE_TIMEOUT_SECONDS after a
response (its `timeout_keep_alive`), and nothing else: a TCP connection that never sends
a byte, request headers trickled one line per second, or `Content-Length: 1000` with one
body byte per second each held a connection (and, for the body, a request task) forever.
This protocol is Uvicorn's own (`uvicorn.protocols.http.auto`, httptools or h11) with
three checks, made every CHECK_INTERVAL_SECONDS per connection:

- between requests (from the connection's start, or the end of the last response),
  a request's headers must be complete within HTTP_HEADER_TIMEOUT_SECONDS, and may not
  exceed MAX_HEADER_BYTES;
- once they are, its body must be complete within HTTP_BODY_TIMEOUT_SECONDS;
- at most MAX_CONNECTIONS_PER_IP connections are open per client (counted as anonymous
  budgets are: an IPv6 /64 is one client); one more is answered 503 and closed. Peers
  listed in FORWARDED_ALLOW_IPS are proxies carrying many clients and are not capped
  (the proxy must cap its own clients).

A connection over a deadline is closed; a request whose body was cut off that way sees
the disconnect and is answered (and charged) as a refusal (gateway/graphql_http.py).
A connection upgraded to a WebSocket leaves these deadlines (the live endpoint has its
own, gateway/live_ws.py) and keeps its place in the per-IP count until it closes.
Nothing here runs per byte beyond a counter, or per request.

At a graceful shutdown (SIGTERM) Uvicorn lets each response in flight finish and waits,
with no bound, for every connection to close. Each request's scope carries its
connection's DRAINING_KEY event, set when the shutdown begins, so an endless response
(an SSE stream, gateway/live_sse.py) ends and the process can exit.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections import Counter
from typing import Any

from uvicorn.protocols.http.auto import AutoHTTPProtocol

from gateway.clientaddr import client_key
from gateway.logging import get_logger
from gateway.settings import Settings

log = get_logger("gateway.connections")

CHECK_INTERVAL_SECONDS = 0.5
# scope[DRAINING_KEY]: an asyncio.Event set when the server begins a graceful shutdown.
DRAINING_KEY = "gateway.draining"
MAX_HEADER_BYTES = 65_536
# Refused before a request is read, so no request id and no CORS headers (no Origin yet).
# retryAfter as on every RATE_LIMITED error: a client's handler reads the extensions.
_BUSY_BODY = (
    b'{"data": null, "errors": [{"message": "Too many connections from this client.", '
    b'"extensions": {"code": "RATE_LIMITED", "retryAfter": 1}}]}'
)
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
    b"retry-after: 1\r\nconnection: close\r\ncontent-length: %d\r\n\r\n%s"
    % (len(_BUSY_BODY), _BUSY_BODY)
)


def _release(key: str) -> None:
    ConnectionLimits.open[key] -= 1
    if ConnectionLimits.open[key] <= 0:
        del ConnectionLimits.open[key]


class ConnectionLimits:
    """The bounds in force in this process (set by the app factory from the settings)."""

    header_timeout = 10.0
    body_timeout = 30.0
    max_per_ip = 64
    ipv6_prefix = 64
    proxies: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    trust_all = False
    open: Counter[str] = Counter()

    @classmethod
    def configure(cls, settings: Settings) -> None:
        cls.header_timeout = settings.http_header_timeout_seconds
        cls.body_timeout = settings.http_body_timeout_seconds
        cls.max_per_ip = settings.max_connections_per_ip
        cls.ipv6_prefix = settings.anonymous_ipv6_prefix_length
        items = [i.strip() for i in settings.forwarded_allow_ips.split(",") if i.strip()]
        cls.trust_all = "*" in items
        cls.proxies = [
            ipaddress.ip_network(i, strict=False)
            for i in items
            if i != "*" and not i.startswith("unix:")
        ]

    @classmethod
    def is_proxy(cls, host: str) -> bool:
        if cls.trust_all:
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in cls.proxies)


class GuardedHTTPProtocol(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    """Uvicorn's HTTP protocol with the deadlines and the per-IP cap described above."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._draining = asyncio.Event()
        limits = ConnectionLimits
        self._guard_key: str | None = None
        self._between_since = time.monotonic()  # waiting for a request's headers since
        self._request_since: float | None = None
        self._header_bytes = 0
        # The request cycle last seen. Uvicorn makes a new cycle per request; a keep-alive
        # client can start and finish several between two checks, so the check compares
        # cycles rather than sampling "in a request now" (which missed them all and cut a
        # busy connection at the header deadline).
        self._seen_cycle: object | None = None
        self._new_request = False
        peer = self.client[0] if self.client else None
        if peer is not None and limits.max_per_ip > 0 and not limits.is_proxy(peer):
            key = client_key(peer, limits.ipv6_prefix)
            if limits.open[key] >= limits.max_per_ip:
                log.warning("connection_refused", client=key, open=limits.open[key])
                transport.write(_BUSY)
                transport.close()
                self._guard_timer: asyncio.TimerHandle | None = None
                return
            limits.open[key] += 1
            self._guard_key = key
        self._guard_timer = self.loop.call_later(CHECK_INTERVAL_SECONDS, self._guard)

    def connection_lost(self, exc: Exception | None) -> None:
        timer = getattr(self, "_guard_timer", None)
        if timer is not None:
            timer.cancel()
            self._guard_timer = None
        key = getattr(self, "_guard_key", None)
        if key is not None:
            _release(key)
            self._guard_key = None
        super().connection_lost(exc)

    def handle_websocket_upgrade(self, *args: Any) -> None:
        """The connection becomes a WebSocket's, served by another protocol object from
        here on: this one never hears of it again, so its request deadlines stop (they
        cut every WebSocket at HTTP_HEADER_TIMEOUT_SECONDS; the live endpoint has its own
        bounds: WS_INIT_TIMEOUT_SECONDS, pings) and its place in the per-IP count is given
        back when the WebSocket's connection is lost (it stayed taken forever)."""
        timer = getattr(self, "_guard_timer", None)
        if timer is not None:
            timer.cancel()
            self._guard_timer = None
        super().handle_websocket_upgrade(*args)
        key, self._guard_key = self._guard_key, None
        if key is None:
            return
        protocol = self.transport.get_protocol()
        lost = protocol.connection_lost

        def connection_lost(exc: Exception | None) -> None:
            try:
                lost(exc)
            finally:
                _release(key)

        protocol.connection_lost = connection_lost

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        cycle = self.cycle
        if cycle is not self._seen_cycle:  # a request's headers arrived: new waits
            self._seen_cycle = cycle
            if cycle is not None:  # its app task has not run yet: it will see this
                cycle.scope[DRAINING_KEY] = self._draining
            self._new_request = True
            self._header_bytes = 0
        elif not self._in_request():  # still no headers
            self._header_bytes += len(data)
            if self._header_bytes > MAX_HEADER_BYTES:
                self._expire("headers_too_large")

    def shutdown(self) -> None:
        """Uvicorn's graceful shutdown: a response in flight may finish, but an SSE stream
        never would, and the process waited for its client to hang up (up to
        SSE_MAX_STREAM_SECONDS) before it exited."""
        self._draining.set()
        super().shutdown()

    def _in_request(self) -> bool:
        cycle: Any = self.cycle
        return cycle is not None and not cycle.response_complete

    def _guard(self) -> None:
        self._guard_timer = None
        if self.transport.is_closing():
            return
        now = time.monotonic()
        limits = ConnectionLimits
        if self._new_request:  # requests began since the last check
            self._new_request = False
            self._request_since = now
            self._between_since = now
        if self._in_request():
            if self._request_since is None:
                self._request_since = now
            if self.cycle.more_body and now - self._request_since > limits.body_timeout:
                self._expire("body_timeout")
                return
        else:
            if self._request_since is not None:  # a response completed: a new wait
                self._request_since = None
                self._between_since = now
            if now - self._between_since > limits.header_timeout:
                self._expire("header_timeout")
                return
        self._guard_timer = self.loop.call_later(CHECK_INTERVAL_SECONDS, self._guard)

    def _expire(self, reason: str) -> None:
        log.info("connection_closed", reason=reason, client=self._guard_key or "-")
        self.transport.close()
