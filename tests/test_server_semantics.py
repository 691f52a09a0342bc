"""What a MongoDB server does that mongomock did not, taught to the embedded database so the
suite fails where a replica set would: conflicting update paths, index signatures (and the
millisecond filter values it already compared); and the rebuild's rows, which left counters out that costReport adds."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pymongo
import pytest
from pymongo.errors import OperationFailure

from models.db import connect
from models.embedded.collection import CONFLICTING_UPDATE_OPERATORS
from resolvers.rebuild import rebuild_cost_daily
from tests.test_costs import REPORT


async def _db():
    return await connect(None, f"t_{uuid.uuid4().hex[:8]}")


@pytest.mark.parametrize(
    "update",
    [
        # The server refuses these whether or not the upsert inserts (SERVER-10711).
        {"$inc": {"count": 1}, "$setOnInsert": {"count": 0}},
        {"$set": {"rt_hist": {}}, "$inc": {"rt_hist.12": 1}},
        {"$set": {"a.b": 1, "a": 2}},
    ],
)
async def test_overlapping_update_paths_are_refused_as_on_a_server(update):
    db = await _db()
    await db.cost_totals.insert_one({"_id": "H:x", "count": 1, "a": {"b": 0}})
    for upsert in (False, True):
        with pytest.raises(OperationFailure) as err:
            await db.cost_totals.update_one({"_id": "H:x"}, update, upsert=upsert)
        assert err.value.code == CONFLICTING_UPDATE_OPERATORS
    with pytest.raises(OperationFailure):
        await db.cost_totals.find_one_and_update({"_id": "H:y"}, update, upsert=True)
    # Sibling paths and pipelines are fine.
    await db.cost_totals.update_one({"_id": "H:x"}, {"$inc": {"a.b": 1, "a.c": 1}})
    await db.cost_totals.update_one({"_id": "H:x"}, [{"$set": {"a": 1, "count": 2}}])


async def test_a_filter_compares_the_millisecond_a_server_receives():
    """BSON dates are milliseconds: a server never sees a filter's microseconds. An
    errorStats window starting at 10:00:00.000900 includes a 10:00:00.000 message there
    (mongomock already compares so; this holds it)."""
    db = await _db()
    stored = datetime(2026, 12, 1, 10, 0, 0, tzinfo=UTC)
    await db.messages.insert_one({"_id": "m", "user_id": "u", "timestamp": stored})
    since = stored.replace(microsecond=900)
    assert await db.messages.count_documents({"timestamp": {"$gte": since}}) == 1
    assert await db.messages.count_documents({"timestamp": {"$lt": since}}) == 0
    pipeline = [{"$match": {"user_id": "u", "timestamp": {"$gte": since}}}]
    assert len([d async for d in await db.messages.aggregate(pipeline)]) == 1


async def test_same_keys_with_another_partial_filter_are_another_index_on_a_server():
    """An upgraded deployment still holding the retired full `messages.user_time`
    (user_id 1, timestamp -1) builds `user_corrections` (the same keys, partial) beside it:
    the index signature includes the partial filter since MongoDB 5.0. The same keys with
    the same options under another name are still a conflict (code 85)."""
    db = await connect(None, f"t_{uuid.uuid4().hex[:8]}", create_indexes=False)
    keys = [("user_id", 1), ("timestamp", -1)]
    await db.messages.create_indexes([pymongo.IndexModel(keys, name="user_time")])
    partial = {"role": "user", "errors.correction": {"$exists": True}}
    await db.messages.create_indexes(
        [pymongo.IndexModel(keys, name="user_corrections", partialFilterExpression=partial)]
    )
    assert {"user_time", "user_corrections"} <= set(await db.messages.index_information())
    with pytest.raises(OperationFailure) as err:
        await db.messages.create_indexes([pymongo.IndexModel(keys, name="again")])
    assert err.value.code == 85


async def test_a_rebuilt_row_holds_every_counter_and_the_report_counts_its_tokens(api):
    """A day of calls with input tokens only: the rebuild created its cost_daily row with
    `$inc` of the non-zero counters alone, so `tokens_out` was missing and costReport's
    `$add` of it was null, dropping the row's 50 tokens from every total."""
    db = api.services.db
    user, _ = await api.user()
    _, admin = await api.admin()
    ts = datetime(2026, 3, 9, 12, tzinfo=UTC)
    await db.messages.insert_one(
        {
            "_id": str(uuid.uuid4()),
            "session_id": "s",
            "user_id": user["_id"],
            "role": "user",
            "content": "spoken",
            "timestamp": ts,
            "provider": "openai",
            "model": "whisper",
            "tokens_in": 50,
            "tokens_out": 0,
            "cost": 0.01,
            "applied": True,
        }
    )
    await rebuild_cost_daily(db)
    [row] = await db.cost_daily.find({"user_id": user["_id"]}).to_list(None)
    assert (row["tokens_in"], row["tokens_out"], row["requests"]) == (50, 0, 1)
    # A row an earlier rebuild left without the field still counts in the report.
    await db.cost_daily.update_one({"_id": row["_id"]}, {"$unset": {"tokens_out": ""}})
    window = {"from": "2026-03-09T00:00:00Z", "to": "2026-03-10T00:00:00Z"}
    report = (await api.data(REPORT, window, token=admin))["costReport"]
    assert report["totalTokens"] == 50
    assert [b["tokens"] for b in report["byDay"]] == [50]
