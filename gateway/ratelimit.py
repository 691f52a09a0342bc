"""Per-caller budgets: a request count per minute and a leaky bucket of query-cost points.

Both live in memory by default and in Redis when REDIS_URL is set, so every gateway replica
draws on one shared budget per user. Request windows are moving windows, so "60/minute"
means no more than 60 in any 60 s: in Redis through the `limits` library (the engine under
slowapi), in memory through MemoryWindow below.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, parse
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter

from gateway.logging import get_logger
from gateway.redisbreaker import STORAGE_ERRORS, RedisBreaker
from gateway.settings import Settings

log = get_logger("gateway.ratelimit")

__all__ = ["STORAGE_ERRORS", "RateLimiter"]


@dataclass(slots=True)
class RequestBudget:
    allowed: bool
    limit: int
    remaining: int
    reset_at: float  # epoch seconds
    window_seconds: int

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.reset_at - time.time()))


@dataclass(slots=True)
class PointsBudget:
    allowed: bool
    capacity: int
    remaining: float
    refill_per_second: float
    cost: int

    @property
    def retry_after(self) -> int:
        missing = max(0.0, self.cost - self.remaining)
        return max(1, math.ceil(missing / self.refill_per_second))


# KEYS[1] bucket; ARGV: capacity, refill/s, cost, charge(0|1). Time comes from the Redis server
# so replicas with skewed clocks agree. Returns {allowed, remaining-as-string}.
_BUCKET_LUA = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local charge = tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local b = redis.call('HMGET', KEYS[1], 'level', 'ts')
local level = tonumber(b[1])
local ts = tonumber(b[2])
if level == nil then level = capacity; ts = now end
level = math.min(capacity, level + math.max(0, now - ts) * rate)
local allowed = 0
if cost <= level then
  allowed = 1
  if charge == 1 then level = level - cost end
end
if charge == 1 then
  redis.call('HSET', KEYS[1], 'level', tostring(level), 'ts', tostring(now))
  redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 1)
end
return {allowed, tostring(level)}
"""


class MemoryWindow:
    """In-process moving window: the timestamps of the last `limit` hits per key.

    Used instead of limits' async MemoryStorage, whose expiry sweep re-runs after every
    hit and hops to a thread once per key (with a few hundred active callers that cost a
    quarter of a small request's time in the benchmarks). Same semantics: at most `limit`
    hits in any `window` seconds; reset = when the oldest remembered hit leaves the window.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.hits: dict[str, deque[float]] = {}
        self._ops = 0

    def _trim(self, key: str, window: float, now: float) -> deque[float]:
        events = self.hits.get(key)
        if events is None:
            events = self.hits[key] = deque()
        while events and events[0] <= now - window:
            events.popleft()
        return events

    def hit(self, key: str, limit: int, window: float) -> tuple[bool, int, float]:
        now = self.clock()
        events = self._trim(key, window, now)
        allowed = len(events) < limit
        if allowed:
            events.append(now)
        self._ops += 1
        if self._ops % 10_000 == 0:
            self._sweep(window, now)
        return allowed, limit - len(events), (events[0] + window) if events else now + window

    def peek(self, key: str, limit: int, window: float) -> tuple[int, float]:
        now = self.clock()
        events = self._trim(key, window, now)
        return limit - len(events), (events[0] + window) if events else now + window

    def _sweep(self, window: float, now: float) -> None:
        """Forget callers idle for a whole window, so memory follows the active set."""
        for key in [k for k, ev in self.hits.items() if not ev or ev[-1] <= now - window]:
            del self.hits[key]


class MemoryBucketStore:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    async def take(
        self, key: str, capacity: int, rate: float, cost: int, charge: bool
    ) -> tuple[bool, float]:
        # No await between read and write: atomic on the event loop.
        now = self.clock()
        level, ts = self._buckets.get(key, (float(capacity), now))
        level = min(float(capacity), level + max(0.0, now - ts) * rate)
        allowed = cost <= level
        if charge:
            if allowed:
                level -= cost
            self._buckets[key] = (level, now)
        return allowed, level

    async def close(self) -> None:
        self._buckets.clear()


class RedisBucketStore:
    def __init__(self, url: str, timeouts: dict[str, float]) -> None:
        import redis.asyncio as redis

        self.client = redis.from_url(url, **timeouts)
        self.script = self.client.register_script(_BUCKET_LUA)

    async def take(
        self, key: str, capacity: int, rate: float, cost: int, charge: bool
    ) -> tuple[bool, float]:
        allowed, level = await self.script(keys=[key], args=[capacity, rate, cost, int(charge)])
        return bool(int(allowed)), float(level)

    async def close(self) -> None:
        await self.client.aclose()


class RateLimiter:
    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.prefix = settings.redis_key_prefix
        self._items: dict[str, RateLimitItem] = {}
        self.storage: Any
        self.buckets: MemoryBucketStore | RedisBucketStore
        # Every Redis call of a request goes through it (gateway/redisbreaker.py); the
        # persisted-query store shares it: one Redis, one verdict.
        self.breaker: RedisBreaker | None = None
        if settings.redis_url:
            uri = settings.redis_url
            if not uri.startswith("async+"):
                uri = "async+" + uri
            self.storage = RedisStorage(
                uri,
                implementation="redispy",
                key_prefix=f"{self.prefix}:req",
                socket_timeout=settings.redis_timeouts["socket_timeout"],
                socket_connect_timeout=settings.redis_timeouts["socket_connect_timeout"],
            )
            self.buckets = RedisBucketStore(settings.redis_url, settings.redis_timeouts)
            self.breaker = RedisBreaker(
                self.ping,
                settings.redis_breaker_cooldown_ms / 1000,
                settings.redis_breaker_max_cooldown_ms / 1000,
            )
            self.window: MovingWindowRateLimiter | None = MovingWindowRateLimiter(self.storage)
            self.memory: MemoryWindow | None = None
        else:
            self.storage = None
            self.window = None
            self.memory = MemoryWindow()
            self.buckets = MemoryBucketStore(clock)

    @property
    def backend(self) -> str:
        return "redis" if self.settings.redis_url else "memory"

    def item(self, tier: str) -> RateLimitItem:
        item = self._items.get(tier)
        if item is None:
            item = parse(self.settings.request_limit(tier))
            self._items[tier] = item
        return item

    async def hit_request(self, tier: str, key: str) -> RequestBudget:
        item = self.item(tier)
        window = item.get_expiry()
        if self.memory is not None:
            allowed, remaining, reset = self.memory.hit(f"{tier}:{key}", item.amount, window)
            return RequestBudget(allowed, item.amount, max(0, remaining), reset, window)
        assert self.window is not None and self.breaker is not None
        window_limiter = self.window
        allowed = await self.breaker.call(lambda: window_limiter.hit(item, tier, key))
        return await self._request_stats(item, tier, key, allowed)

    async def peek_request(self, tier: str, key: str) -> RequestBudget:
        item = self.item(tier)
        window = item.get_expiry()
        if self.memory is not None:
            remaining, reset = self.memory.peek(f"{tier}:{key}", item.amount, window)
            return RequestBudget(True, item.amount, max(0, remaining), reset, window)
        return await self._request_stats(item, tier, key, True)

    async def _request_stats(
        self, item: RateLimitItem, tier: str, key: str, allowed: bool
    ) -> RequestBudget:
        assert self.window is not None and self.breaker is not None
        window_limiter = self.window
        stats = await self.breaker.call(lambda: window_limiter.get_window_stats(item, tier, key))
        return RequestBudget(
            allowed=allowed,
            limit=item.amount,
            remaining=max(0, stats.remaining),
            reset_at=stats.reset_time,
            window_seconds=item.get_expiry(),
        )

    async def charge_points(
        self, tier: str, key: str, cost: int, charge: bool = True
    ) -> PointsBudget:
        capacity, rate = self.settings.cost_bucket(tier)
        buckets, bucket = self.buckets, f"{self.prefix}:pts:{tier}:{key}"
        if self.breaker is None:
            allowed, level = await buckets.take(bucket, capacity, rate, cost, charge)
        else:
            allowed, level = await self.breaker.call(
                lambda: buckets.take(bucket, capacity, rate, cost, charge)
            )
        return PointsBudget(
            allowed=allowed, capacity=capacity, remaining=level, refill_per_second=rate, cost=cost
        )

    async def ping(self) -> None:
        """Straight to Redis, past the breaker: the breaker's own probe."""
        if isinstance(self.buckets, RedisBucketStore):
            await self.buckets.client.ping()

    async def close(self) -> None:
        if self.breaker is not None:
            await self.breaker.close()
        await self.buckets.close()
