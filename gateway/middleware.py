"""Everything the gateway does around each HTTP request, as one ASGI layer.

In the order a request meets them (the order the separate middlewares had):

1. security headers on every response (gateway/security_headers.py);
2. CORS (gateway/cors.py): a preflight is answered here, with the security headers
   only; every other response gets the CORS headers of Starlette's CORSMiddleware, whose
   configuration and decisions this uses;
3. the request id (a valid incoming `X-Request-ID`, else a new one) and one structured
   `request_completed` line per request; a request slower than `SLOW_REQUEST_MS` also
   logs `slow_request`. An exception that escapes the app is logged here, as JSON with the
   request id, and answered with a JSON 500 carrying that id (with the CORS and security
   headers), instead of reaching the server's plain-text handler;
4. metrics for /graphql (gateway/metrics.py), counted as the last body message leaves.

One layer instead of a stack of four: each of them wrapped `send` in its own closure and
re-scanned the headers, which cost a small request (W4) a third of its CPU. A /graphql
request the /graphql route accepts goes straight to that route, as Starlette's router
would send it (past the exception middleware, which only renders HTTPException: the
endpoint, a plain ASGI app, raises none); so does a WebSocket to /graphql, to the live
endpoint (gateway/live_ws.py, which raises no HTTPException or WebSocketException
either); everything else goes through the router.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import MutableMapping
from typing import Any

from opentelemetry.trace import format_trace_id, get_current_span
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route, WebSocketRoute

from gateway.logging import bind_request_id, get_logger
from gateway.metrics import Metrics
from gateway.security_headers import add_security_headers

log = get_logger("gateway.request")
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
_LOGGED_STATE = (
    "operation",
    "operation_type",
    "user_id",
    "client",
    "tier",
    "cost",
    "unmetered",
)


class GatewayMiddleware:
    def __init__(
        self,
        app: Any,
        *,
        html_policy: str,
        cors: dict[str, Any] | None = None,
        request_log: bool = True,
        slow_request_ms: int = 1000,
        metrics: Metrics | None = None,
        metrics_path: str = "/graphql",
        route: Route | None = None,
        router: Any = None,
        live_route: WebSocketRoute | None = None,
        traced: bool = False,
    ) -> None:
        self.app = app
        self.traced = traced
        self.html_policy = html_policy.encode()
        # Starlette's own CORS middleware holds the configuration and makes the decisions;
        # it is never called as a layer.
        self.cors = CORSMiddleware(None, **cors) if cors is not None else None  # type: ignore[arg-type]
        self.request_log = request_log
        self.slow_request_ms = slow_request_ms
        self.metrics = metrics
        self.metrics_path = metrics_path
        # The /graphql route: its requests skip matching every route before it.
        self.route = route
        self.router = router
        # The /graphql WebSocket route: its sockets skip the router and the exception
        # middleware too, whose frames each socket held for its whole life (W5).
        self.live_route = live_route

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            live = self.live_route
            if (
                live is not None
                and scope["type"] == "websocket"
                and scope.get("path") == live.path
                and not scope.get("root_path")
            ):
                await live.handle(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        incoming = origin = None
        preflight = False
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                if incoming is None:
                    incoming = value.decode("latin-1")
            elif name == b"origin":
                if origin is None:
                    origin = value.decode("latin-1")
            elif name == b"access-control-request-method":
                preflight = True
        cors = self.cors
        if cors is not None and origin is not None and preflight and scope["method"] == "OPTIONS":
            await self._preflight(cors, scope, receive, send)
            return

        html_policy = self.html_policy
        request_log = self.request_log
        metrics = self.metrics if scope.get("path") == self.metrics_path else None
        state = scope.setdefault("state", {}) if request_log else None
        request_id = ""
        if state is not None:
            if incoming and REQUEST_ID_RE.match(incoming):
                request_id = incoming
            else:
                # uuid4().hex's 32 hex characters without building a UUID (~5 us here).
                request_id = os.urandom(16).hex()
            state["request_id"] = request_id
            bind_request_id(request_id)
        started = time.perf_counter()
        status = 500  # what the log says if no response starts
        metrics_status = 500
        started_response = False
        observed = False

        def observe() -> None:
            nonlocal observed
            if metrics is not None and not observed:
                observed = True
                metrics.observe_request(
                    scope.get("state") or {}, metrics_status, time.perf_counter() - started
                )

        async def edge_send(message: dict[str, Any], *, inner: bool = True) -> None:
            nonlocal status, metrics_status, started_response
            kind = message["type"]
            if kind == "http.response.start":
                if inner:  # what the app sent (the metrics layer never saw our own 500)
                    metrics_status = message["status"]
                headers = list(message.get("headers", []))
                if state is not None:
                    started_response = True
                    status = message["status"]
                    headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
                if cors is not None:
                    _cors_headers(cors, message, origin)
                add_security_headers(message["headers"], html_policy)
            elif inner and kind == "http.response.body" and not message.get("more_body"):
                # Counted before the last byte leaves: a client that has its answer
                # (and then scrapes /metrics) always finds its request counted.
                observe()
            await send(message)

        try:
            try:
                await self._dispatch(scope, receive, edge_send)
            finally:
                observe()  # no complete response was sent (e.g. the app raised)
        except Exception:
            if state is None:
                raise
            log.exception("unhandled_exception", path=scope.get("path"))
            if started_response:
                raise  # half a response is out: the server can only drop the connection
            await _internal_error(edge_send, request_id)
        finally:
            if state is not None:
                self._log_completed(scope, state, status, started)

    async def _dispatch(self, scope: Any, receive: Any, send: Any) -> None:
        route = self.route
        if (
            route is not None
            and scope.get("path") == route.path
            and not scope.get("root_path")
            and scope["method"] in (route.methods or ())
        ):
            # What the router does when this route matches (Router.app, Route.matches).
            if "router" not in scope:
                scope["router"] = self.router
            scope["route"] = route
            scope["endpoint"] = route.endpoint
            scope["path_params"] = dict(scope.get("path_params", {}))
            await route.handle(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _preflight(self, cors: CORSMiddleware, scope: Any, receive: Any, send: Any) -> None:
        html_policy = self.html_policy

        async def secured(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                add_security_headers(headers, html_policy)
                message["headers"] = headers
            await send(message)

        headers = Headers(scope=scope)
        response = cors.preflight_response(request_headers=headers)
        if response.status_code != 200:
            # The browser only says "Failed to fetch": the gateway says what it refused.
            # Starlette's body is "Disallowed CORS origin, method, headers" (what failed).
            refused = bytes(response.body).decode("latin-1").removeprefix("Disallowed CORS ")
            reasons = [r.strip() for r in refused.split(",") if r.strip()]
            log.warning(
                "cors_preflight_refused",
                path=scope.get("path"),
                origin=headers.get("origin"),
                method=headers.get("access-control-request-method"),
                headers=headers.get("access-control-request-headers"),
                refused=reasons,
            )
            if self.metrics is not None:
                for reason in reasons:
                    self.metrics.preflights_refused.labels(reason).inc()
        await response(scope, receive, secured)

    def _log_completed(
        self, scope: Any, state: dict[str, Any], status: int, started: float
    ) -> None:
        fields = {
            "method": scope.get("method"),
            "path": scope.get("path"),
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        }
        for key in _LOGGED_STATE:
            if state.get(key) is not None:
                fields[key] = state[key]
        if self.traced:
            # The request's trace, to find it in the tracing backend from the log line.
            context = get_current_span().get_span_context()
            if context.is_valid:
                fields["trace_id"] = format_trace_id(context.trace_id)
        log.info("request_completed", **fields)
        if fields["duration_ms"] > self.slow_request_ms:
            log.warning("slow_request", slow_request_ms=self.slow_request_ms, **fields)
        bind_request_id(None)


def _cors_headers(cors: CORSMiddleware, message: dict[str, Any], origin: str | None) -> None:
    """What CORSMiddleware.send does to a response's headers, in its order."""
    if origin is None:
        # The common case (no browser): only `Vary: Origin` is added.
        _append_vary_origin(message["headers"])
        return
    headers = MutableHeaders(scope=message)
    headers.update(cors.simple_headers)
    if (cors.allow_all_origins and cors.allow_credentials) or (
        not cors.allow_all_origins and cors.is_allowed_origin(origin=origin)
    ):
        cors.allow_explicit_origin(headers, origin)
    else:
        headers["Vary"] = ", ".join([*headers.getlist("Vary"), "Origin"])


def _append_vary_origin(headers: list[tuple[bytes, bytes]]) -> None:
    """MutableHeaders' `headers["Vary"] = ", ".join([*getlist("Vary"), "Origin"])`: one
    Vary entry, in the place of the first one (or last when there was none)."""
    found = [i for i, (name, _) in enumerate(headers) if name == b"vary"]
    if not found:
        headers.append((b"vary", b"Origin"))
        return
    value = b", ".join([*(headers[i][1] for i in found), b"Origin"])
    for i in reversed(found[1:]):
        del headers[i]
    headers[found[0]] = (b"vary", value)


async def _internal_error(send: Any, request_id: str) -> None:
    body = json.dumps(
        {
            "data": None,
            "errors": [
                {
                    "message": f"Internal server error (request id {request_id}).",
                    "extensions": {"code": "INTERNAL", "requestId": request_id},
                }
            ],
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
            ],
        },
        inner=False,
    )
    await send({"type": "http.response.body", "body": body}, inner=False)
