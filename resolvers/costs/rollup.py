"""Hour and day cost totals, kept per assistant message, and the threshold alerts.

`cost_totals` holds one tiny document per UTC hour ("H:2026-11-22T14") and per UTC day
("D:2026-11-22"). Each counted assistant message $incs both with find_one_and_update, which
returns the new total: the one write whose total goes from below a threshold to at or
above it logs `cost_threshold_exceeded`, so the alert fires exactly once per hour or day,
whichever replica records the message. Reads of "this hour", "today" and "this week" are
one lookup by _id instead of an aggregation over messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from pymongo import ReturnDocument

from models.db import Database, DuplicateKeyError

log = structlog.get_logger("resolvers.costs")
APPLIED_IDS_KEPT = 200


@dataclass(frozen=True, slots=True)
class Thresholds:
    hourly: float
    daily: float


def hour_key(ts: datetime) -> str:
    return "H:" + ts.strftime("%Y-%m-%dT%H")


def day_key(ts: datetime) -> str:
    return "D:" + ts.strftime("%Y-%m-%d")


async def add_to_totals(db: Database, doc: dict[str, Any], thresholds: Thresholds | None) -> None:
    ts: datetime = doc["timestamp"]
    cost = float(doc.get("cost") or 0.0)
    tokens = (doc.get("tokens_in") or 0) + (doc.get("tokens_out") or 0)
    for key, window, limit in (
        (hour_key(ts), "hour", thresholds.hourly if thresholds else None),
        (day_key(ts), "day", thresholds.daily if thresholds else None),
    ):
        try:
            after = await db.cost_totals.find_one_and_update(
                {"_id": key, "applied_ids": {"$ne": doc["_id"]}},
                {
                    "$inc": {"cost": cost, "tokens": tokens, "requests": 1},
                    "$push": {"applied_ids": {"$each": [doc["_id"]], "$slice": -APPLIED_IDS_KEPT}},
                },
                upsert=True,
                return_document=ReturnDocument.AFTER,
                projection={"cost": 1},
            )
        except DuplicateKeyError:
            continue  # already counted by an earlier attempt at this message
        if limit is None or after is None or cost <= 0:
            continue
        total = float(after["cost"])
        if total - cost < limit <= total:
            log.warning(
                "cost_threshold_exceeded",
                window=window,
                bucket=key[2:],
                threshold=limit,
                value=round(total, 6),
                message_id=doc["_id"],
                provider=doc.get("provider"),
                model=doc.get("model"),
            )
