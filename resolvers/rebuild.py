"""Recompute the derived collections from messages (seeding, imports and repair).

The incremental path (resolvers/messages.py) keeps these current message by message; this
module derives the same numbers in bulk with aggregation pipelines, so the two can be
checked against each other.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from models.db import Database
from resolvers.costs.breakdown import dims_rows
from resolvers.costs.providers import provider_key, provider_update
from resolvers.decay import EPOCH, error_group_stages

COUNTED_ASSISTANT = {
    "role": "assistant",
    "$or": [{"tokens_in": {"$gt": 0}}, {"tokens_out": {"$gt": 0}}, {"cost": {"$gt": 0}}],
}


async def _replace(collection: Any, scope: dict[str, Any], rows: list[dict[str, Any]]) -> int:
    """Swap the rows in `scope` for freshly derived ones."""
    await collection.delete_many(scope)
    if rows:
        await collection.insert_many(rows)
    return len(rows)


def _scope(user_ids: list[str] | None) -> dict[str, Any]:
    return {"user_id": {"$in": user_ids}} if user_ids is not None else {}


async def rebuild_error_stats(
    db: Database, half_life_days: float, user_ids: list[str] | None = None
) -> int:
    pipeline = [
        {"$match": {**_scope(user_ids), "role": "user", "errors": {"$ne": []}}},
        *error_group_stages(half_life_days, EPOCH),
    ]
    rows = [
        {
            "_id": str(uuid4()),
            "user_id": r["_id"]["u"],
            "category": r["_id"]["c"],
            "subcategory": r["_id"]["s"],
            "count": r["count"],
            "first_seen": r["first_seen"],
            "last_seen": r["last_seen"],
            "decay_sum": r["decayed"],
            "applied_ids": [],
        }
        async for r in db.messages.aggregate(pipeline)
    ]
    return await _replace(db.error_stats, _scope(user_ids), rows)


async def rebuild_cost_daily(db: Database, user_ids: list[str] | None = None) -> int:
    pipeline = [
        {"$match": {**_scope(user_ids), **COUNTED_ASSISTANT}},
        {
            "$group": {
                "_id": {
                    "d": {"$dateToString": {"format": "%Y-%m-%d", "date": "$timestamp"}},
                    "p": {"$ifNull": ["$provider", "unknown"]},
                    "m": {"$ifNull": ["$model", "unknown"]},
                    "u": "$user_id",
                },
                "requests": {"$sum": 1},
                "tokens_in": {"$sum": {"$ifNull": ["$tokens_in", 0]}},
                "tokens_out": {"$sum": {"$ifNull": ["$tokens_out", 0]}},
                "cost": {"$sum": {"$ifNull": ["$cost", 0]}},
            }
        },
    ]
    rows = [
        {
            "_id": str(uuid4()),
            "date": r["_id"]["d"],
            "provider": r["_id"]["p"],
            "model": r["_id"]["m"],
            "user_id": r["_id"]["u"],
            "requests": r["requests"],
            "tokens_in": r["tokens_in"],
            "tokens_out": r["tokens_out"],
            "cost": r["cost"],
            "applied_ids": [],
        }
        async for r in db.messages.aggregate(pipeline)
    ]
    return await _replace(db.cost_daily, _scope(user_ids), rows)


async def rebuild_cost_totals(db: Database) -> int:
    """The hour and day rollups of resolvers/costs/rollup.py, from messages."""
    rows: list[dict[str, Any]] = []
    for prefix, fmt in (("H:", "%Y-%m-%dT%H"), ("D:", "%Y-%m-%d")):
        pipeline = [
            {"$match": COUNTED_ASSISTANT},
            {
                "$group": {
                    "_id": {"$dateToString": {"format": fmt, "date": "$timestamp"}},
                    "cost": {"$sum": {"$ifNull": ["$cost", 0]}},
                    "tokens": {
                        "$sum": {
                            "$add": [
                                {"$ifNull": ["$tokens_in", 0]},
                                {"$ifNull": ["$tokens_out", 0]},
                            ]
                        }
                    },
                    "requests": {"$sum": 1},
                }
            },
        ]
        rows += [
            {
                "_id": prefix + r["_id"],
                "cost": r["cost"],
                "tokens": r["tokens"],
                "requests": r["requests"],
                "applied_ids": [],
            }
            async for r in db.messages.aggregate(pipeline)
        ]
    return await _replace(db.cost_totals, {}, rows)


async def rebuild_session_totals(db: Database, session_ids: list[str]) -> int:
    """Session counters (messages, tokens, cost, reply latency) recomputed from messages."""
    pipeline = [
        {"$match": {"session_id": {"$in": session_ids}}},
        {
            "$group": {
                "_id": "$session_id",
                "total_messages": {"$sum": 1},
                "total_tokens": {
                    "$sum": {
                        "$add": [{"$ifNull": ["$tokens_in", 0]}, {"$ifNull": ["$tokens_out", 0]}]
                    }
                },
                "total_cost": {"$sum": {"$ifNull": ["$cost", 0]}},
                "response_time_sum_ms": {"$sum": {"$ifNull": ["$response_time_ms", 0]}},
                "response_time_count": {
                    "$sum": {"$cond": [{"$gt": ["$response_time_ms", None]}, 1, 0]}
                },
            }
        },
    ]
    found = {r["_id"]: r async for r in db.messages.aggregate(pipeline)}
    for sid in session_ids:
        r = found.get(sid, {})
        await db.sessions.update_one(
            {"_id": sid},
            {
                "$set": {
                    "total_messages": r.get("total_messages", 0),
                    "total_tokens": r.get("total_tokens", 0),
                    "total_cost": r.get("total_cost", 0.0),
                    "response_time_sum_ms": r.get("response_time_sum_ms", 0),
                    "response_time_count": r.get("response_time_count", 0),
                    "applied_ids": [],
                }
            },
        )
    return len(session_ids)


async def rebuild_provider_daily(db: Database) -> int:
    """provider_daily (traffic, latency histogram, ratings) from every assistant message."""
    rows: dict[str, dict[str, Any]] = {}
    async for m in db.messages.find({"role": "assistant"}):
        key = provider_key(m)["_id"]
        update = provider_update(m)
        row = rows.setdefault(key, {"_id": key, **update["$setOnInsert"], "rt_hist": {}})
        for f, n in update["$inc"].items():
            if f.startswith("rt_hist."):
                bucket = f.split(".", 1)[1]
                row["rt_hist"][bucket] = row["rt_hist"].get(bucket, 0) + n
            else:
                row[f] = row.get(f, 0) + n
        if m.get("rating") is not None:
            row["rated"] = row.get("rated", 0) + 1
            row["rating_sum"] = row.get("rating_sum", 0) + m["rating"]
            if m.get("helpful") is not None:
                row["helpful_answered"] = row.get("helpful_answered", 0) + 1
                row["helpful_yes"] = row.get("helpful_yes", 0) + (1 if m["helpful"] else 0)
    for row in rows.values():
        row["rating_version"] = 0
    return await _replace(db.provider_daily, {}, list(rows.values()))


async def rebuild_cost_dims(db: Database) -> int:
    """cost_dims (spend by topic and tier) from costed replies; messages recorded before
    they carried topic and tier take them from their session and learner."""
    topics = {s["_id"]: s.get("topic") async for s in db.sessions.find({}, {"topic": 1})}
    tiers = {
        u["_id"]: u.get("subscription_tier")
        async for u in db.users.find({}, {"subscription_tier": 1})
    }
    rows: dict[str, dict[str, Any]] = {}
    async for m in db.messages.find(COUNTED_ASSISTANT):
        m.setdefault("topic", topics.get(m["session_id"]))
        m.setdefault("tier", tiers.get(m["user_id"]))
        for key, update in dims_rows(m):
            row = rows.setdefault(key["_id"], {"_id": key["_id"], **update["$setOnInsert"]})
            for f, n in update["$inc"].items():
                row[f] = row.get(f, 0) + n
    return await _replace(db.cost_dims, {}, list(rows.values()))
