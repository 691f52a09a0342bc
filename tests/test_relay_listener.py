"""The live relay's listener notices a pub/sub connection that died without a word (a NAT
or load balancer that dropped it: no close, no reset, nothing more arrives) and subscribes
again, replaying what it missed. Before, it waited on that connection forever: the
replica never received another replica's event until it restarted."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from redis.asyncio.client import PubSub

from gateway.live_relay import RedisRelay
from resolvers.outbox import LiveHub
from tests.conftest import redis_url


class SilentProxy:
    """A TCP proxy to the test Redis whose open connections can go silent: they stay open
    and carry nothing either way from then on, while new connections work."""

    def __init__(self) -> None:
        self.dead: list[dict[str, bool]] = []
        self.server: asyncio.Server | None = None
        self.refusing = False  # new connections are closed at once (Redis down)

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"redis://127.0.0.1:{port}{urlsplit(redis_url()).path}"

    async def __aexit__(self, *exc: Any) -> None:
        assert self.server is not None
        self.server.close()

    def go_silent(self) -> None:
        for state in self.dead:
            state["dead"] = True

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.refusing:
            writer.close()
            return
        target = urlsplit(redis_url())
        up_reader, up_writer = await asyncio.open_connection(target.hostname, target.port)
        state = {"dead": False}
        self.dead.append(state)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    if not state["dead"]:
                        dst.write(data)
                        await dst.drain()
            except OSError:
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


def event(session_id: str, seq: int) -> dict[str, Any]:
    return {"_id": f"{session_id}:{seq}", "session_id": session_id, "seq": seq}


def recorded_catch_up() -> tuple[list[datetime], asyncio.Event, Any]:
    """A relay's catch_up that records each `since` it is asked for (and hands back
    nothing), with an event set at the first."""
    replays: list[datetime] = []
    replayed = asyncio.Event()

    async def catch_up(since: datetime) -> int:
        replays.append(since)
        replayed.set()
        return 0

    return replays, replayed, catch_up


@pytest.mark.redis
async def test_a_silently_dead_subscription_is_noticed_and_replaced() -> None:
    prefix = f"t{uuid.uuid4().hex[:8]}"
    replays, replayed, catch_up = recorded_catch_up()
    hub = LiveHub()
    sub = hub.subscribe("s1")
    other = RedisRelay(redis_url(), prefix, LiveHub(), timeout_s=0.2)  # another replica
    proxy = SilentProxy()
    async with proxy as proxied:
        relay = RedisRelay(proxied, prefix, hub, timeout_s=0.2, catch_up=catch_up, ping_every_s=0.2)
        await relay.start()
        try:
            await other.publish(event("s1", 1))
            assert (await asyncio.wait_for(sub.get(), 2))["seq"] == 1
            silent_at = datetime.now(UTC)
            proxy.go_silent()
            await other.publish(event("s1", 2))  # lost on the dead connection
            await asyncio.wait_for(replayed.wait(), 3)
            # The replay covers the silence, from before the listener last heard.
            assert replays == [replays[0]]
            assert replays[0] <= silent_at - relay.catch_up_margin
            await other.publish(event("s1", 3))
            assert (await asyncio.wait_for(sub.get(), 2))["seq"] == 3
        finally:
            await relay.stop()
            await other.stop()


@pytest.mark.redis
async def test_subscribers_that_came_while_redis_was_down_at_start_up_get_the_missed_events() -> (
    None
):
    """A replica that starts with Redis down serves anyway: a learner subscribed before
    its first subscription gets what other replicas published meanwhile, replayed."""
    prefix = f"t{uuid.uuid4().hex[:8]}"
    replays, replayed, catch_up = recorded_catch_up()
    hub = LiveHub()
    proxy = SilentProxy()
    async with proxy as proxied:
        proxy.refusing = True
        relay = RedisRelay(proxied, prefix, hub, timeout_s=0.2, catch_up=catch_up, ping_every_s=0.2)
        started_at = datetime.now(UTC)
        await relay.start()  # gives up waiting after a second; the gateway serves
        try:
            hub.subscribe("s1")  # a learner's stream, before the relay is subscribed
            proxy.refusing = False
            await asyncio.wait_for(replayed.wait(), 5)
            assert len(replays) == 1
            assert replays[0] <= started_at + timedelta(seconds=1) - relay.catch_up_margin
        finally:
            await relay.stop()


@pytest.mark.redis
async def test_stop_ends_the_listener_even_when_a_read_swallows_the_cancellation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """redis-py's get_message(timeout=...) can return as stop()'s cancellation lands
    (Python 3.11's timeouts swallow it): before, the listener went on listening and
    stop(), and with it the gateway's shutdown, waited on it for good."""
    swallowed: list[int] = []
    original = PubSub.get_message

    async def get_message(self: PubSub, *a: Any, **k: Any) -> Any:
        try:
            return await original(self, *a, **k)
        except asyncio.CancelledError:
            if swallowed:
                raise
            swallowed.append(1)
            return None

    monkeypatch.setattr(PubSub, "get_message", get_message)
    relay = RedisRelay(redis_url(), f"t{uuid.uuid4().hex[:8]}", LiveHub(), timeout_s=0.2)
    await relay.start()
    await asyncio.sleep(0.1)  # listening
    stopping = asyncio.create_task(relay.stop())
    done, _ = await asyncio.wait({stopping}, timeout=3)
    try:
        assert swallowed, "the cancellation did not land in a read"
        assert stopping in done, "stop() is still waiting on the listener"
    finally:
        if not stopping.done():
            stopping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stopping
