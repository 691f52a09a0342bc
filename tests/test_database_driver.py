"""The data layer on PyMongo's async driver (issue 27): no Motor anywhere, one facade, and
the embedded database as an adapter over sync mongomock."""

from __future__ import annotations

import importlib.metadata
import re
import sys

from models.db import Collection, connect
from models.embedded import EmbeddedClient


def test_the_package_depends_on_neither_motor_nor_mongomock_motor():
    """MongoDB deprecated Motor; mongomock-motor (which pinned the embedded mode to it)
    stopped with it. A fresh install pulls neither."""
    requires = importlib.metadata.requires("tutoring-gateway") or []
    names = {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower() for r in requires}
    assert "motor" not in names and "mongomock-motor" not in names
    assert "pymongo" in names
    assert importlib.metadata.version("beanie").startswith("2.")


async def test_the_gateway_runs_without_motor(api):
    """Started and answering: nothing imported Motor or mongomock-motor on the way."""
    _, token = await api.user()
    assert (await api.data("{ me { id } }", token=token))["me"]["id"]
    assert "motor" not in sys.modules and "mongomock_motor" not in sys.modules
    assert isinstance(api.services.db.client, EmbeddedClient)


async def test_every_collection_is_the_facade_and_aggregate_is_awaited():
    """Callers see PyMongo's async interface whatever is below: `aggregate` is a coroutine
    returning a cursor, `find` returns one directly."""
    db = await connect(None, "facade")
    try:
        await db.messages.insert_many(
            [{"_id": f"m{i}", "session_id": "s", "n": i} for i in range(3)]
        )
        assert isinstance(db.messages, Collection) and isinstance(db.rows("messages"), Collection)
        cursor = await db.messages.aggregate(
            [{"$match": {"session_id": "s"}}, {"$sort": {"n": -1}}]
        )
        assert [d["n"] async for d in cursor] == [2, 1, 0]
        found = await db.messages.find({"n": {"$gte": 1}}).sort("n", 1).limit(1).to_list(None)
        assert [d["_id"] for d in found] == ["m1"]
    finally:
        await db.close()
