"""AI usage that is not a conversation reply (answer-evaluator calls, `ai_usage`), counted
in the cost rows exactly once, by the same mechanism as `recordMessage` (issue 28).

Before, the evaluator's call was inserted and its counter updates sent with no lease and
no `applied` mark: a write cut off by the request's deadline and landing late, or an
update the driver retried after the row's guard was gone, counted the call again, and
the guards it pushed were never released (only messages were settled). Now each call is
the same steps as a message: the `ai_usage` row is inserted unapplied, every attempt
claims it (a compare-and-set on the server's clock, `resolvers.counters.claim`), each
counter update carries the lease's end (`$$NOW`), the row is marked applied, and the
maintenance pass finishes rows a request left half-applied and releases their guards
once no attempt can write any more.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial
from typing import Any
from uuid import uuid4

from models.db import Database
from resolvers.costs.breakdown import dims_rows
from resolvers.costs.providers import provider_key, provider_update
from resolvers.costs.rollup import Thresholds, add_to_totals, total_keys
from resolvers.counters import LEASE, claim, guarded_update, mark_applied
from resolvers.pending import Steps, Upkeep


def _day_key(usage: dict[str, Any]) -> dict[str, Any]:
    return {
        "date": usage["timestamp"].strftime("%Y-%m-%d"),
        "provider": usage["provider"],
        "model": usage["model"],
        "user_id": usage["user_id"],
    }


def usage_rows(usage: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Collection -> keys of every counter row the call is counted in (its guards)."""
    return {
        "cost_daily": [_day_key(usage)],
        "cost_totals": total_keys(usage["timestamp"]),
        "provider_daily": [provider_key(usage)],
        "cost_dims": [key for key, _ in dims_rows(usage)],
    }


async def apply_usage(
    db: Database,
    usage: dict[str, Any],
    alerts: Thresholds | None = None,
    *,
    lease: timedelta = LEASE,
) -> bool:
    """Count one stored `ai_usage` row in the cost rows, each at most once, and mark it
    applied; False when another attempt had already finished it."""
    uid = usage["_id"]
    until = await claim(db.ai_usage, {"_id": uid, "user_id": usage["user_id"]}, lease)
    if until is None:
        return False
    daily = {
        "$inc": {
            "requests": 1,
            "tokens_in": usage.get("tokens_in") or 0,
            "tokens_out": usage.get("tokens_out") or 0,
            "cost": usage.get("cost") or 0.0,
        },
        "$setOnInsert": {"_id": str(uuid4())},
    }
    steps: list[Callable[[], Awaitable[Any]]] = [
        partial(guarded_update, db.cost_daily, _day_key(usage), uid, daily, until=until),
        partial(add_to_totals, db, usage, alerts, until),
        partial(
            guarded_update,
            db.provider_daily,
            provider_key(usage),
            uid,
            provider_update(usage),
            until=until,
        ),
        *(
            partial(guarded_update, db.cost_dims, key, uid, update, until=until)
            for key, update in dims_rows(usage)
        ),
    ]
    # Every step runs to its end before a failure is reported (nothing left running).
    results = await asyncio.gather(*(step() for step in steps), return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        raise failed[0]
    await db.ai_usage.update_one({"_id": uid, "user_id": usage["user_id"]}, mark_applied())
    usage["applied"] = True
    return True


async def _finish(db: Database, usage: dict[str, Any], upkeep: Upkeep) -> bool:
    return await apply_usage(db, usage, upkeep.alerts)


# What the maintenance pass finishes and settles (resolvers/pending.py).
USAGE = Steps("usage", "ai_usage", {"applied": False}, "timestamp", _finish, guards=usage_rows)
