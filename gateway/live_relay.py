"""Session events across replicas: Redis pub/sub, when REDIS_URL is set.

Each published event goes to one channel (`<REDIS_KEY_PREFIX>:live:events`) as BSON (it
keeps the rows' datetimes), tagged with this process's origin id; every replica's
listener hands the others' events to its hub. Pub/sub is at-most-once: an event a replica
missed while Redis was away is still in MongoDB, and a subscriber that reconnects with
`after` gets it from there. A failed publish leaves the event unpublished, and the
maintenance pass publishes it again.

Publishing is on the write path (`recordMessage` publishes its event before it answers),
so it goes through the Redis breaker the rate limits use (gateway/redisbreaker.py): a
frozen Redis costs one publish its `REDIS_SOCKET_TIMEOUT_MS`, then publishes fail at once
(the events wait in MongoDB for the pass) until the breaker's probe finds Redis back.
Before, each write waited 2 s on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

import bson
import redis.asyncio as aioredis
from bson.codec_options import CodecOptions

from gateway.logging import get_logger
from gateway.redisbreaker import RedisBreaker
from resolvers.outbox import LiveHub

log = get_logger("gateway.live_relay")
CODEC: CodecOptions[dict[str, Any]] = CodecOptions(tz_aware=True)


class RedisRelay:
    def __init__(
        self,
        url: str,
        prefix: str,
        hub: LiveHub,
        breaker: RedisBreaker | None = None,
        timeout_s: float = 2.0,
    ) -> None:
        """`breaker`: the one shared with the rate limits (one Redis, one verdict);
        `timeout_s`: the bound on one publish (REDIS_SOCKET_TIMEOUT_MS in the gateway)."""
        self.url = url
        self.channel = f"{prefix}:live:events"
        self.hub = hub
        self.origin = uuid.uuid4().hex
        self.breaker = breaker
        self.timeout_s = timeout_s
        # No socket timeout: the listener's reads block on purpose; a publish has its own.
        self.client: Any = aioredis.from_url(url, socket_connect_timeout=timeout_s)
        self._task: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    async def publish(self, event: dict[str, Any]) -> None:
        body = bson.encode({"o": self.origin, "e": event})

        async def send() -> None:
            await asyncio.wait_for(self.client.publish(self.channel, body), self.timeout_s)

        await (send() if self.breaker is None else self.breaker.call(send))

    async def start(self) -> None:
        self.hub.relay = self.publish
        self._task = asyncio.create_task(self._listen(), name="live-relay")
        # Up to a second for the first subscription, so events published right after
        # start-up reach this replica; Redis being down does not stop the gateway.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), 1.0)

    async def _listen(self) -> None:
        while True:
            pubsub = self.client.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                self._subscribed.set()
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
                    if message is None or message.get("type") != "message":
                        continue
                    data = bson.decode(message["data"], codec_options=CODEC)
                    if data.get("o") != self.origin:
                        self.hub.deliver(data["e"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis away: retry; the outbox keeps the events
                log.warning("live_relay_disconnected", error=type(exc).__name__)
                await asyncio.sleep(1)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    async def stop(self) -> None:
        self.hub.relay = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.client.aclose()
