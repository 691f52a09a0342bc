"""Recompute the derived collections from messages (seeding, imports and repair).

The incremental path (resolvers/messages.py) keeps these current message by message; this
module derives the same numbers in bulk with aggregation pipelines, so the two can be
checked against each other.

Rows are rewritten in place (one upsert per derived row, then the rows nothing derives any
more are deleted), never deleted and re-inserted: a live recordMessage that upserts a row
while a rebuild runs neither collides with a re-insert (DuplicateKeyError) nor sees its row
vanish. The `guard_ids` of a row are left alone: they protect messages still in flight.
Every id list sent to the server is chunked (`models.db.IN_CHUNK`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

from pymongo import UpdateOne

from models.db import Database, chunks, pages_by_id
from resolvers.costs.breakdown import dims_rows
from resolvers.costs.providers import provider_key, provider_update
from resolvers.decay import EPOCH, error_group_stages

COUNTED_ASSISTANT = {
    "role": "assistant",
    "$or": [{"tokens_in": {"$gt": 0}}, {"tokens_out": {"$gt": 0}}, {"cost": {"$gt": 0}}],
}


async def _rewrite(
    collection: Any,
    key_fields: tuple[str, ...],
    scope: dict[str, Any],
    rows: list[dict[str, Any]],
) -> int:
    """Make the rows in `scope` equal `rows` (matched on `key_fields`), updating in place."""
    for batch in chunks(rows):
        ops = []
        for r in batch:
            update: dict[str, Any] = {
                "$set": {k: v for k, v in r.items() if k not in key_fields},
                "$unset": {"applied_ids": ""},  # the guard of earlier releases
            }
            if "_id" not in key_fields:
                update["$setOnInsert"] = {"_id": str(uuid4())}
            ops.append(UpdateOne({f: r[f] for f in key_fields}, update, upsert=True))
        await collection.bulk_write(ops, ordered=False)
    keep = {tuple(r[f] for f in key_fields) for r in rows}
    stale = [
        d["_id"]
        async for d in pages_by_id(collection, scope, dict.fromkeys(key_fields, 1))
        if tuple(d.get(f) for f in key_fields) not in keep
    ]
    for ids in chunks(stale):
        await collection.delete_many({"_id": {"$in": ids}})
    return len(rows)


def _summed(
    rows: list[dict[str, Any]], key_fields: tuple[str, ...], fields: tuple[str, ...]
) -> list[dict[str, Any]]:
    """Rows with the same key added up: messages and ai_usage (answer evaluator calls,
    resolvers/practice/evaluator.py) count in the same cost rows."""
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        key = tuple(row[k] for k in key_fields)
        if key in out:
            for f in fields:
                out[key][f] += row[f]
        else:
            out[key] = dict(row)
    return list(out.values())


def _scopes(user_ids: list[str] | None) -> list[dict[str, Any]]:
    if user_ids is None:
        return [{}]
    return [{"user_id": {"$in": ids}} for ids in chunks(user_ids)]


ERROR_KEY = ("user_id", "category", "subcategory")
COST_DAILY_KEY = ("date", "provider", "model", "user_id")


async def rebuild_error_stats(
    db: Database, half_life_days: float, user_ids: list[str] | None = None
) -> int:
    done = 0
    for scope in _scopes(user_ids):
        pipeline = [
            {"$match": {**scope, "role": "user", "errors": {"$ne": []}}},
            *error_group_stages(half_life_days, EPOCH),
        ]
        rows = [
            {
                "user_id": r["_id"]["u"],
                "category": r["_id"]["c"],
                "subcategory": r["_id"]["s"],
                "count": r["count"],
                "first_seen": r["first_seen"],
                "last_seen": r["last_seen"],
                "decay_sum": r["decayed"],
            }
            async for r in await db.messages.aggregate(pipeline)
        ]
        done += await _rewrite(db.error_stats, ERROR_KEY, scope, rows)
    return done


async def rebuild_cost_daily(db: Database, user_ids: list[str] | None = None) -> int:
    done = 0
    for scope in _scopes(user_ids):
        pipeline = [
            {"$match": {**scope, **COUNTED_ASSISTANT}},
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
                "date": r["_id"]["d"],
                "provider": r["_id"]["p"],
                "model": r["_id"]["m"],
                "user_id": r["_id"]["u"],
                "requests": r["requests"],
                "tokens_in": r["tokens_in"],
                "tokens_out": r["tokens_out"],
                "cost": r["cost"],
            }
            for source, match in ((db.messages, COUNTED_ASSISTANT), (db.ai_usage, {}))
            async for r in await source.aggregate([{"$match": {**scope, **match}}, *pipeline[1:]])
        ]
        rows = _summed(rows, COST_DAILY_KEY, ("requests", "tokens_in", "tokens_out", "cost"))
        done += await _rewrite(db.cost_daily, COST_DAILY_KEY, scope, rows)
    return done


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
            }
            for source, match in ((db.messages, COUNTED_ASSISTANT), (db.ai_usage, {}))
            async for r in await source.aggregate([{"$match": match}, *pipeline[1:]])
        ]
    rows = _summed(rows, ("_id",), ("cost", "tokens", "requests"))
    return await _rewrite(db.cost_totals, ("_id",), {}, rows)


async def rebuild_session_totals(db: Database, session_ids: list[str]) -> int:
    """Session counters (messages, tokens, cost, reply latency) recomputed from messages."""
    for ids in chunks(session_ids):
        pipeline = [
            {"$match": {"session_id": {"$in": ids}}},
            {
                "$group": {
                    "_id": "$session_id",
                    "total_messages": {"$sum": 1},
                    "total_tokens": {
                        "$sum": {
                            "$add": [
                                {"$ifNull": ["$tokens_in", 0]},
                                {"$ifNull": ["$tokens_out", 0]},
                            ]
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
        found = {r["_id"]: r async for r in await db.messages.aggregate(pipeline)}
        # Each session is addressed with its shard key (user_id) too: docs/scaling.md.
        owners = {
            s["_id"]: s["user_id"]
            async for s in db.sessions.find({"_id": {"$in": ids}}, {"user_id": 1})
        }
        ops = [
            UpdateOne(
                {"_id": sid, "user_id": owners[sid]},
                {
                    "$set": {
                        "total_messages": found.get(sid, {}).get("total_messages", 0),
                        "total_tokens": found.get(sid, {}).get("total_tokens", 0),
                        "total_cost": found.get(sid, {}).get("total_cost", 0.0),
                        "response_time_sum_ms": found.get(sid, {}).get("response_time_sum_ms", 0),
                        "response_time_count": found.get(sid, {}).get("response_time_count", 0),
                    },
                    "$unset": {"applied_ids": ""},
                },
            )
            for sid in ids
            if sid in owners
        ]
        if ops:
            await db.sessions.bulk_write(ops, ordered=False)
    return len(session_ids)


PROVIDER_ZERO: dict[str, Any] = {
    "requests": 0,
    "tokens": 0,
    "cost": 0.0,
    "rt_count": 0,
    "rt_sum_ms": 0,
    "rated": 0,
    "rating_sum": 0,
    "helpful_yes": 0,
    "helpful_answered": 0,
}


async def rebuild_user_totals(db: Database, user_ids: list[str]) -> int:
    """`users.total_sessions` recounted from `sessions`: what `startSession` increments, so
    a restore whose collections came from different times, or an import, leaves it right
    again."""
    done = 0
    for ids in chunks(user_ids):
        counts = {
            r["_id"]: r["n"]
            async for r in await db.sessions.aggregate(
                [
                    {"$match": {"user_id": {"$in": ids}}},
                    {"$group": {"_id": "$user_id", "n": {"$sum": 1}}},
                ]
            )
        }
        ops = [
            UpdateOne({"_id": user_id}, {"$set": {"total_sessions": counts.get(user_id, 0)}})
            for user_id in ids
        ]
        if ops:
            done += (await db.users.bulk_write(ops, ordered=False)).matched_count
    return done


async def _chain(*cursors: Any) -> AsyncIterator[dict[str, Any]]:
    for cursor in cursors:
        async for doc in cursor:
            yield doc


async def rebuild_provider_daily(db: Database) -> int:
    """provider_daily (traffic, latency histogram, ratings) from every assistant message."""
    rows: dict[str, dict[str, Any]] = {}
    async for m in _chain(db.messages.find({"role": "assistant"}), db.ai_usage.find({})):
        key = provider_key(m)["_id"]
        update = provider_update(m)
        row = rows.setdefault(
            key, {"_id": key, **update["$setOnInsert"], **PROVIDER_ZERO, "rt_hist": {}}
        )
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
    return await _rewrite(db.provider_daily, ("_id",), {}, list(rows.values()))


async def rebuild_cost_dims(db: Database) -> int:
    """cost_dims (spend by topic and tier) from costed replies; messages recorded before
    they carried topic and tier take them from their session and learner."""
    topics = {s["_id"]: s.get("topic") async for s in db.sessions.find({}, {"topic": 1})}
    tiers = {
        u["_id"]: u.get("subscription_tier")
        async for u in db.users.find({}, {"subscription_tier": 1})
    }
    rows: dict[str, dict[str, Any]] = {}
    async for m in _chain(db.messages.find(COUNTED_ASSISTANT), db.ai_usage.find({})):
        m.setdefault("topic", topics.get(m.get("session_id")))
        m.setdefault("tier", tiers.get(m["user_id"]))
        for key, update in dims_rows(m):
            row = rows.setdefault(
                key["_id"],
                {
                    "_id": key["_id"],
                    **update["$setOnInsert"],
                    "cost": 0.0,
                    "tokens": 0,
                    "requests": 0,
                },
            )
            for f, n in update["$inc"].items():
                row[f] = row.get(f, 0) + n
    return await _rewrite(db.cost_dims, ("_id",), {}, list(rows.values()))
