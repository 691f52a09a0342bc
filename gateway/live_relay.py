"""Session events across replicas: Redis pub/sub, when REDIS_URL is set.

Each published event goes to one channel (`<REDIS_KEY_PREFIX>:live:events`) as BSON (it
keeps the rows' datetimes), tagged with this process's origin id; every replica's
listener hands the others' events to its hub. Pub/sub is at-most-once: an event a replica
missed while Redis was away is still in MongoDB, and a subscriber that reconnects with
`after` gets it from there. A failed publish leaves the event unpublished, and the
maintenance pass publishes it again.

The listener's subscription can die without a word (Redis restarted, a NAT or load
balancer dropping an idle connection, `CLIENT KILL TYPE pubsub`); before, a replica whose
subscription died that way stayed blind to the others' events until it restarted. Now
the listener pings its connection when it heard nothing for RELAY_PING_SECONDS and gives
it up when nothing came back within the publish bound (`timeout_s`) more; a closed
connection fails at once. It then subscribes again, backing off from BACKOFF_MIN_S to
BACKOFF_MAX_S while Redis refuses, and replays from MongoDB (`resolvers/outbox.py`
`catch_up`) what was recorded since it last heard from Redis, less
RELAY_CATCH_UP_MARGIN_SECONDS: its subscribers miss nothing. The connection is named
`<REDIS_KEY_PREFIX>:relay` (`CLIENT LIST`).

Publishing is on the write path (`recordMessage` publishes its event before it answers),
so it goes through the Redis breaker the rate limits use (gateway/redisbreaker.py): a
frozen Redis costs one publish its `REDIS_SOCKET_TIMEOUT_MS`, then publishes fail at once
(the events wait in MongoDB for the pass) until the breaker's probe finds Redis back.
Before, each write waited 2 s on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import bson
import redis.asyncio as aioredis
from bson.codec_options import CodecOptions
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from gateway.logging import get_logger
from gateway.redisbreaker import RedisBreaker
from resolvers.cancellation import raise_if_cancelling
from resolvers.outbox import LiveHub

log = get_logger("gateway.live_relay")
CODEC: CodecOptions[dict[str, Any]] = CodecOptions(tz_aware=True)
# Waits between failed subscriptions: doubling from the first to the last.
BACKOFF_MIN_S = 0.1
BACKOFF_MAX_S = 5.0


class RedisRelay:
    def __init__(
        self,
        url: str,
        prefix: str,
        hub: LiveHub,
        breaker: RedisBreaker | None = None,
        timeout_s: float = 2.0,
        catch_up: Callable[[datetime], Awaitable[int]] | None = None,
        ping_every_s: float = 5.0,
        catch_up_margin_s: float = 10.0,
    ) -> None:
        """`breaker`: the one shared with the rate limits (one Redis, one verdict);
        `timeout_s`: the bound on one publish (REDIS_SOCKET_TIMEOUT_MS in the gateway), and
        on the listener's ping; `catch_up`: hands the hub's subscribers the events stored
        since a time (`resolvers.outbox.catch_up`), run after a lost subscription is back;
        `ping_every_s`: the silence after which the listener pings (RELAY_PING_SECONDS);
        `catch_up_margin_s`: how long before the listener last heard from Redis the replay
        starts, since an event's `at` is taken before its write finishes and is published,
        on another replica's clock (RELAY_CATCH_UP_MARGIN_SECONDS)."""
        self.url = url
        self.channel = f"{prefix}:live:events"
        self.client_name = f"{prefix}:relay"
        self.hub = hub
        self.origin = uuid.uuid4().hex
        self.breaker = breaker
        self.timeout_s = timeout_s
        self.catch_up = catch_up
        self.ping_every_s = ping_every_s
        self.catch_up_margin = timedelta(seconds=catch_up_margin_s)
        self.client: Any = aioredis.from_url(url, socket_connect_timeout=timeout_s)
        # The listener's own connection: named, so an operator (or a test) can find it; no
        # socket timeout (its reads wait for events on purpose; its pings bound them); no
        # retries inside redis-py, which would resubscribe without the replay below.
        self.listener: Any = aioredis.from_url(
            url,
            socket_connect_timeout=timeout_s,
            client_name=self.client_name,
            retry=Retry(NoBackoff(), 0),
        )
        self._task: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        # When the listener last heard from Redis (None: never subscribed, and no
        # subscriber here predates the first subscription; `start` sets it when it stops
        # waiting for that subscription).
        self._heard_at: datetime | None = None

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
        started_at = datetime.now(UTC)
        try:
            await asyncio.wait_for(self._subscribed.wait(), 1.0)
        except TimeoutError:
            # The gateway serves without the subscription: subscribers can come before it,
            # so the first subscription replays from here, as a lost one is replayed.
            if self._heard_at is None:
                self._heard_at = started_at

    async def _listen(self) -> None:
        backoff = BACKOFF_MIN_S
        while True:
            raise_if_cancelling()  # stop() waits on this task: it must end
            pubsub = self.listener.pubsub()
            try:
                await asyncio.wait_for(pubsub.subscribe(self.channel), self.timeout_s)
                lost = self._heard_at
                if lost is not None:
                    since = lost - self.catch_up_margin
                    replayed = await self.catch_up(since) if self.catch_up else 0
                    log.warning(
                        "event_relay_reconnected",
                        down_s=round((datetime.now(UTC) - lost).total_seconds(), 3),
                        replayed=replayed,
                    )
                self._subscribed.set()
                backoff = BACKOFF_MIN_S
                self._heard_at = datetime.now(UTC)
                await self._receive(pubsub)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis away or the connection dead: subscribe again
                log.warning(
                    "event_relay_listen_failed", error=type(exc).__name__, retry_in_s=backoff
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX_S)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    async def _receive(self, pubsub: Any) -> None:
        """Hand the others' events to the hub until the connection fails or falls silent:
        after `ping_every_s` without a message it pings, and raises TimeoutError when
        nothing (an event or the pong) came within `timeout_s` after that."""
        every = self.ping_every_s
        last = time.monotonic()
        pinged = False
        while True:
            raise_if_cancelling()  # get_message's timeout can swallow stop()'s cancel
            silent = time.monotonic() - last
            if pinged and silent >= every + self.timeout_s:
                raise TimeoutError(f"no answer to a ping within {self.timeout_s} s")
            if not pinged and silent >= every:
                await asyncio.wait_for(pubsub.ping(), self.timeout_s)
                pinged = True
            wait = (every + (self.timeout_s if pinged else 0.0)) - silent
            message = await pubsub.get_message(
                ignore_subscribe_messages=True, timeout=max(wait, 0.01)
            )
            if message is None:
                continue
            last, pinged = time.monotonic(), False
            self._heard_at = datetime.now(UTC)
            if message.get("type") != "message":
                continue  # the pong, or a subscription notice
            data = bson.decode(message["data"], codec_options=CODEC)
            if data.get("o") != self.origin:
                self.hub.deliver(data["e"])

    async def stop(self) -> None:
        self.hub.relay = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.client.aclose()
        await self.listener.aclose()
