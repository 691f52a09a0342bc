"""Spend by session topic and by the learner's subscription tier (CostReport.byTopic/byTier).

Each AI call (resolvers/costs/calls.py) adds to two `cost_dims` rows for its UTC day, _id
"<date>|topic|<topic>" and "<date>|tier|<tier>", with the topic and tier the message
carried when it was recorded (a later tier change does not move past spend).
"""

from __future__ import annotations

from typing import Any

NO_TOPIC = "(none)"


def dims_rows(doc: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    day = doc["timestamp"].strftime("%Y-%m-%d")
    inc = {
        "cost": doc.get("cost") or 0.0,
        "tokens": (doc.get("tokens_in") or 0) + (doc.get("tokens_out") or 0),
        "requests": 1,
    }
    rows = []
    for dim, value in (("topic", doc.get("topic") or NO_TOPIC), ("tier", doc.get("tier"))):
        value = value or "unknown"
        rows.append(
            (
                {"_id": f"{day}|{dim}|{value}"},
                {"$inc": inc, "$setOnInsert": {"date": day, "dim": dim, "key": value}},
            )
        )
    return rows


async def by_dimension(db: Any, first_day: str, last_day: str) -> dict[str, list[dict[str, Any]]]:
    """dim -> [{key, cost, tokens, requests}], most expensive first (one aggregation)."""
    pipeline = [
        {"$match": {"date": {"$gte": first_day, "$lte": last_day}}},
        {
            "$group": {
                "_id": {"d": "$dim", "k": "$key"},
                "cost": {"$sum": "$cost"},
                "tokens": {"$sum": "$tokens"},
                "requests": {"$sum": "$requests"},
            }
        },
        {"$sort": {"cost": -1, "_id.k": 1}},
    ]
    out: dict[str, list[dict[str, Any]]] = {"topic": [], "tier": []}
    async for r in await db.cost_dims.aggregate(pipeline):
        out.setdefault(r["_id"]["d"], []).append(
            {
                "_id": r["_id"]["k"],
                "cost": r["cost"],
                "tokens": r["tokens"],
                "requests": r["requests"],
            }
        )
    return out
