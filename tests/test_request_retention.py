"""A finished request must not stay reachable from the schema.

Strawberry assigns each extension instance the request's execution context. An
instance shared by all requests therefore kept the last request's context alive, with
its DataLoaders and every row it read, until the next request replaced it. After a
large read that was tens of thousands of objects per process, held for nothing.
"""

from __future__ import annotations

import gc

from gateway.context import GatewayContext
from models.rows import Row
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


def live_rows() -> int:
    return sum(1 for o in gc.get_objects() if isinstance(o, Row))


async def test_rows_a_request_read_are_freed_with_its_response():
    """graphql-core's executor and its resolve-info helpers form a reference cycle that
    holds the request's context. Until the loaders are released, every row the request
    read (and its pages and edges) waited for the next garbage collection, which then had
    to scan them: on W1, ~3,000 tracked objects per request and one collection every few
    requests. With the collector off, nothing may be left once the response is out."""
    async with running_api(make_settings()) as api:
        _, token = await api.user()
        for _ in range(3):
            session = await api.data(
                'mutation { startSession(input: {topic: "t"}) { id } }', token=token
            )
            assert session["startSession"]["id"]
        query = "{ me { id sessions { edges { node { id topic messages { edges { node { id } } } } } } } }"
        await api.data(query, token=token)  # warm: plans, caches
        gc.collect()
        gc.disable()
        try:
            before = live_rows()
            data = await api.data(query, token=token)
            assert len(data["me"]["sessions"]["edges"]) == 3
            assert live_rows() == before
        finally:
            gc.enable()


async def test_a_repeated_request_is_freed_without_the_collector():
    """A document seen before runs through the compiled pipeline (gateway/pipeline.py),
    which breaks graphql-core's executor cycle once the operation is done: with the
    collector off, the request's context is gone once its response is out. Every request
    used to leave its context, loaders and meter in that cycle for the next young
    collection, which made collections frequent and each one long (the latency tail)."""
    async with running_api(make_settings()) as api:
        _, token = await api.user()
        query = "{ me { id name sessions(first: 2) { edges { node { id } } } } }"
        await api.data(query, token=token)  # the full path once; the pipeline from now on
        await api.data(query, token=token)
        gc.collect()
        gc.disable()
        try:
            # Contexts of other tests' apps in this process (their background work) are
            # not this test's business: only the three requests' contexts must be gone.
            before = {id(o) for o in gc.get_objects() if isinstance(o, GatewayContext)}
            for _ in range(3):
                data = await api.data(query, token=token)
                assert data["me"]["id"]
            left = [
                o for o in gc.get_objects() if isinstance(o, GatewayContext) and id(o) not in before
            ]
            assert left == []
        finally:
            gc.enable()
