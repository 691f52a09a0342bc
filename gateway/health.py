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
    """503 only for what this replica cannot serve without. MongoDB always; Redis only
    when `Settings.ready_needs_redis`: with tiers failing open a Redis outage degrades
    every replica alike (reported here as `degraded`), and draining them all for it would
    take the whole service down (issue 28)."""
    services = services_of(request.scope)
    settings = services.settings
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
    breaker = services.limiter.breaker
    if settings.redis_url:
        if breaker is not None and breaker.is_open:
            # Known down: no probe of our own (the breaker's background probe is under way).
            checks["redis"] = {"status": "failing", "error": "CircuitOpen", "latency_ms": 0}
        else:
            probes.append(probe("redis", services.limiter.ping))
    await asyncio.gather(*probes)
    if "redis" in checks and checks["redis"]["status"] != "ok":
        if breaker is not None and checks["redis"].get("error") != "CircuitOpen":
            breaker.trip(ConnectionError("readiness probe"))  # spare the next requests
        if not settings.ready_needs_redis:
            checks["redis"]["status"] = "degraded"  # rate limits fail open meanwhile
    failing = [name for name, c in checks.items() if c["status"] == "failing"]
    degraded = [name for name, c in checks.items() if c["status"] == "degraded"]
    status = "unavailable" if failing else ("degraded" if degraded else "ok")
    body: dict[str, object] = {"status": status, "checks": checks}
    if failing:
        body["failing"] = failing
    if degraded:
        body["degraded"] = degraded
    return JSONResponse(body, status_code=503 if failing else 200)
