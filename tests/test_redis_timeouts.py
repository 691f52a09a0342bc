"""Redis socket timeouts are settings (issue 27, item 6): 0.5 s was hard-coded in three
clients and a healthy Redis on a loaded machine missed it (a persisted-query test got 503)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gateway.persisted import PersistedQueries
from gateway.ratelimit import RateLimiter
from tests.conftest import make_settings, redis_url


def _timeouts(client) -> tuple[float, float]:
    kwargs = client.connection_pool.connection_kwargs
    return kwargs["socket_timeout"], kwargs["socket_connect_timeout"]


async def test_every_redis_client_of_a_request_uses_the_configured_timeouts():
    settings = make_settings(
        redis_url=redis_url(), redis_socket_timeout_ms=1234, redis_connect_timeout_ms=2345
    )
    limiter = RateLimiter(settings)
    persisted = PersistedQueries.from_settings(settings)
    try:
        assert _timeouts(limiter.buckets.client) == (1.234, 2.345)  # token buckets
        assert _timeouts(limiter.storage.bridge.storage) == (1.234, 2.345)  # moving windows
        assert _timeouts(persisted.redis) == (1.234, 2.345)  # persisted queries
    finally:
        await limiter.close()
        await persisted.close()


def test_the_defaults_leave_room_for_a_loaded_redis():
    settings = make_settings()
    assert settings.redis_timeouts == {"socket_timeout": 1.0, "socket_connect_timeout": 1.0}


@pytest.mark.parametrize("ms", [0, 10, 120_000])
def test_timeouts_outside_sane_bounds_are_refused(ms):
    with pytest.raises(ValidationError):
        make_settings(redis_socket_timeout_ms=ms)
