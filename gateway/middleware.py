"""Request id + one structured `request_completed` line per request (pure ASGI, no buffering).

A request slower than `SLOW_REQUEST_MS` also logs `slow_request`. An exception that
escapes the app is logged here, as JSON with the request id, and answered with a JSON
500 carrying that id, instead of reaching the server's plain-text handler.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import structlog

from gateway.logging import get_logger

log = get_logger("gateway.request")
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


class RequestLogMiddleware:
    def __init__(self, app: Any, slow_request_ms: int = 1000) -> None:
        self.app = app
        self.slow_request_ms = slow_request_ms

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = incoming if incoming and REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500
        started_response = False

        async def send_wrapper(message: dict[str, Any]) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                started_response = True
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            log.exception("unhandled_exception", path=scope.get("path"))
            if started_response:
                raise  # half a response is out: the server can only drop the connection
            await _internal_error(send_wrapper, request_id)
        finally:
            fields = {
                "method": scope.get("method"),
                "path": scope.get("path"),
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            }
            for key in ("operation", "operation_type", "user_id", "tier", "cost"):
                if state.get(key) is not None:
                    fields[key] = state[key]
            log.info("request_completed", **fields)
            if fields["duration_ms"] > self.slow_request_ms:
                log.warning("slow_request", slow_request_ms=self.slow_request_ms, **fields)
            structlog.contextvars.clear_contextvars()


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
        }
    )
    await send({"type": "http.response.body", "body": body})
