"""A circuit breaker in front of Redis, so an unreachable or frozen Redis costs one
request its timeout, not every request.

Without it each request's first Redis call waited `REDIS_SOCKET_TIMEOUT_MS` (1 s) on a
Redis that accepts connections and never answers, then failed open: a second of latency
added to every request of every replica for as long as Redis stayed frozen (issue 28).
After a storage error the breaker opens: for `REDIS_BREAKER_COOLDOWN_MS` calls fail at
once (the callers fail open or closed as they already do on a storage error) and no
request touches Redis. Once the cool-down is over the next call starts one background
probe (a PING, bounded by the socket timeouts) and still fails at once; the probe closes
the breaker when Redis answers, or doubles the cool-down up to
`REDIS_BREAKER_MAX_COOLDOWN_MS`. So a request never waits on a Redis known to be down,
and recovery is noticed within one cool-down.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from gateway.logging import get_logger

log = get_logger("gateway.redisbreaker")
T = TypeVar("T")


class RedisUnavailable(ConnectionError):
    """Raised instead of calling Redis while the breaker is open."""


try:  # the storage errors that mean "Redis is unreachable"
    from redis.exceptions import RedisError

    STORAGE_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)
except ImportError:  # pragma: no cover
    STORAGE_ERRORS = (OSError, TimeoutError)


class RedisBreaker:
    def __init__(
        self,
        probe: Callable[[], Awaitable[object]],
        cooldown_s: float,
        max_cooldown_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._probe_call = probe
        self.base_cooldown = cooldown_s
        self.max_cooldown = max(cooldown_s, max_cooldown_s)
        self.cooldown = cooldown_s
        self.clock = clock
        self.open_until: float | None = None
        self.trips = 0  # how many times it opened (for tests and the readiness body)
        self._probe: asyncio.Task[None] | None = None

    @property
    def is_open(self) -> bool:
        return self.open_until is not None

    async def call(self, work: Callable[[], Awaitable[T]]) -> T:
        """`await work()`, unless Redis is known to be down (raises RedisUnavailable)."""
        if self.open_until is not None:
            if self.clock() >= self.open_until and self._probe is None:
                self._probe = asyncio.ensure_future(self._run_probe())
            raise RedisUnavailable("Redis circuit open")
        try:
            return await work()
        except STORAGE_ERRORS as exc:
            self.trip(exc)
            raise

    def trip(self, exc: BaseException) -> None:
        if self.open_until is not None:
            return
        self.open_until = self.clock() + self.cooldown
        self.trips += 1
        log.warning(
            "redis_circuit_opened", error=type(exc).__name__, cooldown_ms=int(self.cooldown * 1000)
        )

    async def _run_probe(self) -> None:
        try:
            await self._probe_call()
        except Exception as exc:  # any failure: stay open, wait longer
            self.cooldown = min(self.max_cooldown, self.cooldown * 2)
            self.open_until = self.clock() + self.cooldown
            log.info(
                "redis_circuit_probe_failed",
                error=type(exc).__name__,
                cooldown_ms=int(self.cooldown * 1000),
            )
        else:
            self.open_until = None
            self.cooldown = self.base_cooldown
            log.info("redis_circuit_closed")
        finally:
            self._probe = None

    async def close(self) -> None:
        probe, self._probe = self._probe, None
        if probe is not None:
            probe.cancel()
            await asyncio.gather(probe, return_exceptions=True)
