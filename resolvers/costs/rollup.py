"""Hour and day cost totals, kept per AI call, and the threshold alerts.

`cost_totals` holds one tiny document per UTC hour ("H:2026-11-22T14") and per UTC day
("D:2026-11-22"). Each AI call (resolvers/costs/calls.py: a message of any role carrying
usage, or an answer-evaluator call) $incs both with find_one_and_update, which returns the
new total: the one write whose total goes from below a threshold to at or above it logs
`cost_threshold_exceeded`, so the alert fires exactly once per hour or day, whichever
replica records the message. Reads of "this hour", "today" and "this week" are
one lookup by _id instead of an aggregation over messages.

These rows are shared by every user, so two messages often open a new hour at once: the
losing upsert gets DuplicateKeyError on a real server and is retried
(`resolvers.counters.guarded_update`), never dropped.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog

from models.db import Database
from resolvers.counters import guarded_update

log = structlog.get_logger("resolvers.costs")


@dataclass(frozen=True, slots=True)
class Thresholds:
    hourly: float
    daily: float


def hour_key(ts: datetime) -> str:
    return "H:" + ts.strftime("%Y-%m-%dT%H")


def day_key(ts: datetime) -> str:
    return "D:" + ts.strftime("%Y-%m-%d")


def total_keys(ts: datetime) -> list[dict[str, Any]]:
    return [{"_id": hour_key(ts)}, {"_id": day_key(ts)}]


async def add_to_totals(
    db: Database,
    doc: dict[str, Any],
    thresholds: Thresholds | None,
    until: datetime | None = None,
) -> None:
    ts: datetime = doc["timestamp"]
    cost = float(doc.get("cost") or 0.0)
    tokens = (doc.get("tokens_in") or 0) + (doc.get("tokens_out") or 0)
    update = {"$inc": {"cost": cost, "tokens": tokens, "requests": 1}}
    windows = (
        (hour_key(ts), "hour", thresholds.hourly if thresholds else None),
        (day_key(ts), "day", thresholds.daily if thresholds else None),
    )
    results = await asyncio.gather(
        *(
            guarded_update(
                db.cost_totals, {"_id": key}, doc["_id"], update, return_after=True, until=until
            )
            for key, _, _ in windows
        )
    )
    for (key, window, limit), (counted, after) in zip(windows, results, strict=True):
        if not counted or limit is None or after is None or cost <= 0:
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
