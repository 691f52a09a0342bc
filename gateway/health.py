"""Liveness (/health) and readiness (/health/ready) for load balancers and orchestrators."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse

from gateway.services import services_of


async def liveness(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readiness(request: Request) -> JSONResponse:
    services = services_of(request.scope)
    checks: dict[str, dict[str, object]] = {}

    async def probe(name: str, fn: Callable[[], Awaitable[object]]) -> None:
        started = time.perf_counter()
        try:
            await asyncio.wait_for(fn(), timeout=2.0)
            checks[name] = {"status": "ok"}
        except Exception as exc:  # any failure means "not ready"; the reason is logged
            checks[name] = {"status": "failing", "error": type(exc).__name__}
        checks[name]["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)

    probes = [probe("mongodb", services.db.ping)]
    if services.settings.redis_url:
        probes.append(probe("redis", services.limiter.ping))
    await asyncio.gather(*probes)
    ok = all(c["status"] == "ok" for c in checks.values())
    failing = [name for name, c in checks.items() if c["status"] != "ok"]
    body: dict[str, object] = {"status": "ok" if ok else "unavailable", "checks": checks}
    if failing:
        body["failing"] = failing
    return JSONResponse(body, status_code=200 if ok else 503)
