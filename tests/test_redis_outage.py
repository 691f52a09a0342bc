"""Rate limiting while a real Redis is stopped and started again.

The test runs its own redis-server on a free port (never the machine's shared one, which
other tests, other test processes and other work on the machine use at the same time)."""

# ruff: noqa: ASYNC221 - stopping and starting the server is meant to block the test.

from __future__ import annotations

import asyncio
import shutil
import subprocess

import pytest

from tests.conftest import make_settings, running_api
from tests.servers import free_port

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (shutil.which("redis-server") and shutil.which("redis-cli")),
        reason="needs redis-server and redis-cli (apt-get install redis-server)",
    ),
]


def start(port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def redis_alive(port: int) -> bool:
    return (
        subprocess.run(
            ["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True
        ).stdout.strip()
        == "PONG"
    )


async def wait_for(predicate, seconds=10.0):
    for _ in range(int(seconds * 10)):
        if predicate():
            return True
        await asyncio.sleep(0.1)
    return False


async def test_redis_outage_fails_open_for_paying_tiers_and_closed_for_anonymous(capsys):
    port = free_port()
    servers = [start(port)]
    try:
        assert await wait_for(lambda: redis_alive(port))
        await check_outage(port, servers, capsys)
    finally:
        for server in servers:
            server.terminate()
            server.wait(5)


async def check_outage(
    port: int, servers: list[subprocess.Popen[bytes]], capsys: pytest.CaptureFixture[str]
) -> None:
    async with running_api(make_settings(redis_url=f"redis://127.0.0.1:{port}/0")) as api:
        _, token = await api.user(tier="free")
        first = await api.gql("{ me { id } }", token=token)
        assert first.status_code == 200 and first.headers["X-RateLimit-Remaining"] == "59"
        subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], capture_output=True)
        try:
            assert await wait_for(lambda: not redis_alive(port))
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
            if not redis_alive(port):
                servers.append(start(port))
            assert await wait_for(lambda: redis_alive(port))
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
