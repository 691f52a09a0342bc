"""Rate limiting while the real Redis on this machine is stopped and started again."""

# ruff: noqa: ASYNC221 - stopping and starting the server is meant to block the test.

from __future__ import annotations

import asyncio
import shutil
import subprocess

import pytest

from tests.conftest import make_settings, redis_url, running_api

# It stops the machine's shared Redis: never in `make test-fast`, which may run beside other
# work on the same machine.
pytestmark = pytest.mark.slow

START = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
]


def redis_alive() -> bool:
    return (
        subprocess.run(
            ["redis-cli", "-p", "6379", "ping"], capture_output=True, text=True
        ).stdout.strip()
        == "PONG"
    )


pytestmark = pytest.mark.skipif(
    not (
        shutil.which("redis-server")
        and shutil.which("redis-cli")
        and redis_url().startswith("redis://127.0.0.1:6379")
    ),
    reason="needs the local redis-server on 127.0.0.1:6379 to stop and restart",
)


async def wait_for(predicate, seconds=10.0):
    for _ in range(int(seconds * 10)):
        if predicate():
            return True
        await asyncio.sleep(0.1)
    return False


async def test_redis_outage_fails_open_for_paying_tiers_and_closed_for_anonymous(capsys):
    if not redis_alive():
        pytest.skip("Redis is not running")
    async with running_api(make_settings(redis_url=redis_url())) as api:
        _, token = await api.user(tier="free")
        first = await api.gql("{ me { id } }", token=token)
        assert first.status_code == 200 and first.headers["X-RateLimit-Remaining"] == "59"
        subprocess.run(["redis-cli", "-p", "6379", "shutdown", "nosave"], capture_output=True)
        try:
            assert await wait_for(lambda: not redis_alive())
            ready = await api.client.get("/health/ready")
            # Degraded, still ready: the tiers fail open, and every replica shares Redis.
            assert ready.status_code == 200 and ready.json()["degraded"] == ["redis"]
            during = await api.gql("{ me { id } }", token=token)
            assert during.status_code == 200  # free is fail-open by default
            anonymous = await api.gql("{ __typename __schema { queryType { name } } }")
            assert anonymous.status_code == 503
            assert anonymous.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
            assert "rate_limit_storage_unavailable" in capsys.readouterr().out
        finally:
            if not redis_alive():
                subprocess.run(START, check=True, capture_output=True)
            assert await wait_for(redis_alive)
        # Recovers by itself: counting resumes against Redis (the restarted server is empty).
        # Within the Redis breaker's pause (it backs off while the server restarts).
        for _ in range(200):
            response = await api.gql("{ me { id } }", token=token)
            if response.headers.get("X-RateLimit-Remaining") == "59":
                break
            await asyncio.sleep(0.1)
        assert response.status_code == 200 and response.headers["X-RateLimit-Remaining"] == "59"
        again = await api.gql("{ me { id } }", token=token)
        assert again.headers["X-RateLimit-Remaining"] == "58"
        assert (await api.client.get("/health/ready")).status_code == 200
