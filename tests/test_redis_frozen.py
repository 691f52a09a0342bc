"""A Redis that accepts connections and never answers (issue 28): readiness stays up while
the tiers fail open, and the requests do not each wait a socket timeout on it."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator

import pytest

from gateway.redisbreaker import RedisBreaker, RedisUnavailable
from tests.conftest import make_settings, running_api

TIMEOUT_MS = 300


@pytest.fixture
async def frozen_redis() -> AsyncIterator[str]:
    """A local TCP server that reads whatever it is sent and never writes a byte."""
    peers: list[asyncio.StreamWriter] = []

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peers.append(writer)
        while await reader.read(65536):
            pass

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        for writer in peers:
            writer.close()
        server.close()
        await server.wait_closed()


def frozen_settings(url: str, **overrides: object):  # type: ignore[no-untyped-def]
    return make_settings(
        redis_url=url,
        redis_socket_timeout_ms=TIMEOUT_MS,
        redis_connect_timeout_ms=TIMEOUT_MS,
        redis_breaker_cooldown_ms=60_000,  # no probe during the test: Redis stays frozen
        redis_breaker_max_cooldown_ms=60_000,
        **overrides,
    )


@pytest.mark.slow
async def test_a_frozen_redis_adds_its_timeout_once_not_to_every_request(frozen_redis):
    """Before: every request waited REDIS_SOCKET_TIMEOUT_MS on the frozen Redis (here
    300 ms; 1 s by default) before failing open. Now the first one does, the breaker opens,
    and the others do not touch Redis."""
    async with running_api(frozen_settings(frozen_redis)) as api:
        _, token = await api.user(tier="free")
        started = time.perf_counter()
        first = await api.gql("{ me { id } }", token=token)
        first_ms = (time.perf_counter() - started) * 1000
        assert first.status_code == 200  # free fails open
        assert first.json()["extensions"]["rateLimit"]["degraded"] is True
        durations = []
        for _ in range(10):
            started = time.perf_counter()
            response = await api.gql("{ me { id } }", token=token)
            durations.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
            assert response.json()["extensions"]["rateLimit"]["degraded"] is True
        print(f"first {first_ms:.0f} ms, then median {statistics.median(durations):.1f} ms")
        assert first_ms >= TIMEOUT_MS * 0.9  # the one request that found out
        assert statistics.median(durations) < TIMEOUT_MS / 3
        assert max(durations) < TIMEOUT_MS * 0.9
        # Anonymous callers fail closed, at once too.
        started = time.perf_counter()
        anonymous = await api.gql("{ __typename }")
        assert anonymous.status_code == 503
        assert (time.perf_counter() - started) * 1000 < TIMEOUT_MS * 0.9
        # Ready, degraded: every replica shares this Redis, draining them all helps nobody.
        ready = await api.client.get("/health/ready")
        assert ready.status_code == 200, ready.json()
        body = ready.json()
        assert body["status"] == "degraded" and body["degraded"] == ["redis"]
        assert body["checks"]["mongodb"]["status"] == "ok"


@pytest.mark.slow
async def test_a_frozen_redis_does_not_hold_every_write_on_its_event(frozen_redis):
    """Before: the live relay's publish (and the tutor turn's append) had no breaker, so
    every recordMessage waited 2 s on the frozen Redis before answering, and so did every
    ackTurn. Now the relay and the turn queue share the rate limits' breaker: once it is
    open a write answers at once, its event left unpublished in MongoDB for the
    maintenance pass (not lost)."""
    async with running_api(frozen_settings(frozen_redis)) as api:
        _, token = await api.user(tier="premium")
        # startSession: the limiter finds Redis frozen (one socket timeout), the breaker
        # opens; its SESSION_STARTED event, if any, is then refused at once.
        sid = (
            await api.data(
                'mutation { startSession(input: {topic: "Travel"}) { id } }', token=token
            )
        )["startSession"]["id"]
        assert api.services.limiter.breaker is not None and api.services.limiter.breaker.is_open
        durations = []
        for i in range(5):
            started = time.perf_counter()
            await api.data(
                """mutation($s: ID!, $c: String!) { recordMessage(input:
                  {sessionId: $s, role: USER, content: $c}) { id } }""",
                {"s": sid, "c": f"I goes to school {i}"},
                token=token,
            )
            durations.append((time.perf_counter() - started) * 1000)
        print(f"recordMessage on a frozen Redis: {[round(d) for d in durations]} ms")
        assert max(durations) < TIMEOUT_MS, durations  # was > 2,000 ms each
        db = api.services.db
        recorded = {"session_id": sid, "type": "message_recorded"}
        assert await db.session_events.count_documents(recorded) == 5
        assert await db.session_events.count_documents({**recorded, "published": False}) == 5
        # ackTurn, the tutor's write: before, each waited the turn stream's 2 s command
        # bound (2,013 ms) before answering SERVICE_UNAVAILABLE; now it says so at once
        # (the tutor service sends the same ack again later).
        tutor = await api.tutor()
        started = time.perf_counter()
        body = (await api.gql('mutation { ackTurn(id: "tutors:1-1") }', token=tutor)).json()
        took_ms = (time.perf_counter() - started) * 1000
        assert body["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE", body
        assert took_ms < TIMEOUT_MS, took_ms


@pytest.mark.slow
async def test_readiness_fails_on_redis_when_no_tier_fails_open(frozen_redis):
    async with running_api(frozen_settings(frozen_redis, rate_limit_fail_open_tiers="")) as api:
        ready = await api.client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json()["failing"] == ["redis"]


async def test_the_breaker_probes_in_the_background_and_closes_when_redis_answers():
    now = [0.0]
    answers = [False, True]  # the first probe finds Redis still down
    probes = 0

    async def probe() -> None:
        nonlocal probes
        probes += 1
        if not answers.pop(0):
            raise ConnectionError("still down")

    breaker = RedisBreaker(probe, 1.0, 4.0, clock=lambda: now[0])
    calls = 0

    async def work() -> str:
        nonlocal calls
        calls += 1
        return "ok"

    async def failing() -> str:
        raise TimeoutError

    with pytest.raises(TimeoutError):
        await breaker.call(failing)
    assert breaker.is_open
    with pytest.raises(RedisUnavailable):  # within the cool-down: Redis is not called
        await breaker.call(work)
    assert calls == 0 and probes == 0
    now[0] = 1.5
    with pytest.raises(RedisUnavailable):  # starts the probe, does not wait for it
        await breaker.call(work)
    await asyncio.sleep(0)
    assert probes == 1 and breaker.is_open and breaker.cooldown == 2.0  # backed off
    now[0] = 2.0
    with pytest.raises(RedisUnavailable):  # still cooling down: no second probe
        await breaker.call(work)
    now[0] = 3.6
    with pytest.raises(RedisUnavailable):
        await breaker.call(work)
    await asyncio.sleep(0)
    assert probes == 2 and not breaker.is_open and breaker.cooldown == 1.0
    assert await breaker.call(work) == "ok" and calls == 1
    await breaker.close()
