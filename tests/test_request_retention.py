"""A finished request must not stay reachable from the schema.

Strawberry assigns each extension instance the request's execution context. An
instance shared by all requests therefore kept the last request's context alive, with
its DataLoaders and every row it read, until the next request replaced it. After a
large read that was tens of thousands of objects per process, held for nothing.
"""

from __future__ import annotations

import gc

from gateway.context import GatewayContext
from tests.conftest import make_settings, running_api


def live_contexts() -> list[GatewayContext]:
    gc.collect()
    return [o for o in gc.get_objects() if isinstance(o, GatewayContext)]


async def test_a_finished_request_leaves_no_context_behind():
    async with running_api(make_settings()) as api:
        _, token = await api.user()
        before = len(live_contexts())
        data = await api.data("{ me { id sessions { edges { node { id } } } } }", token=token)
        assert data["me"]["id"]
        assert len(live_contexts()) == before
