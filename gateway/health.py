"""Liveness (/health) and readiness (/health/ready) for load balancers and orchestrators."""

from __future__ import annotations

import asyncio
import time

from starlette.requests import Request
from starlette.responses import JSONResponse

from gateway.services import Services


async def liveness(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def readiness(services: Services):  # type: ignore[no-untyped-def]
    async def ready(_request: Request) -> JSONResponse:
        checks: dict[str, dict[str, object]] = {}

        async def probe(name: str, fn) -> None:  # type: ignore[no-untyped-def]
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

    return ready
