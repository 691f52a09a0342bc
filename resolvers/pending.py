"""Finishing what a cut-off request left half-done, and releasing the guards it counted
with: one mechanism for every kind of row written in steps without a transaction
(messages, annotations, answer-evaluator calls, finished exercises, ratings, session
ends).

A request stores such a row marked unfinished (`applied: false`, `finish_pending`,
`rating_event`, `end_event_pending`), then
writes the rest. If it dies in between (a 503 during a stepdown, a process killed), the
maintenance pass of any replica finds the rows unfinished for longer than a live request
takes (`PENDING_AFTER`, on the server's clock, `$$NOW`: a replica whose clock runs ahead
does not take rows a live request is still writing) and finishes them. The batch read only
nominates: each kind's `finish` re-reads the row as it starts (`resolvers.counters.claim`
for the counted kinds), so a row a retry or another replica finished meanwhile is skipped,
however long this pass took to reach it. An attempt whose lease ended before one of its
writes (`LeaseExpired`) counted nothing there; the next pass takes the row again.

Kinds counted with guarded updates (`resolvers.counters`) leave their id in the counter
rows' `guard_ids`; `settle` removes it once no attempt can write any more
(`counters.settled`: a grace period after the row was applied and after every unfinished
attempt's lease), batch after batch until none is left or the time budget is spent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog

from models.db import Database
from resolvers.costs.rollup import Thresholds
from resolvers.counters import LeaseExpired, older_than, release, settle_batches, settled

log = structlog.get_logger("resolvers.pending")

# Rows the pass finishes: unfinished for longer than any live request takes (a request's
# lease is at least 30 s too, resolvers.counters.LEASE).
PENDING_AFTER = timedelta(seconds=30)
# How long after `applied_at` (and after the lease of an attempt that did not finish) an
# id stays in its rows' guards: a margin for a write the server accepted just before the
# lease ended; the bound itself is the lease.
SETTLE_AFTER = timedelta(seconds=60)
SWEEP_BATCH = 500
# How long one settle pass keeps releasing, batch after batch, while settled rows are left
# (the maintenance pass gives it half of MAINTENANCE_INTERVAL_SECONDS). A bound in time,
# not in batches: a fixed count let a busy shared row (an hour's cost_totals, a provider's
# day) gather ids faster than passes removed them, up to GUARD_CAP. One batch of 500 takes
# milliseconds on a server.
SETTLE_BUDGET_SECONDS = 7.5

GuardRows = Mapping[str, list[dict[str, Any]]]  # counter collection -> keys of its rows


@dataclass(frozen=True, slots=True)
class Upkeep:
    """What finishing a row may need besides the database (the maintenance pass's own
    settings)."""

    half_life_days: float = 14.0
    alerts: Thresholds | None = None


@dataclass(frozen=True, slots=True)
class Steps:
    """One kind of row written in steps: where it is, how an unfinished one is told, how
    to finish it, and (for counted kinds) which counter rows hold its id."""

    name: str  # in the log: pending_<name>_completed
    collection: str
    unfinished: Mapping[str, Any]
    since: str  # the field its age is measured from
    # Finishes the row; True when this call did the work (False: already finished).
    finish: Callable[[Database, dict[str, Any], Upkeep], Awaitable[bool]]
    # The counter rows a finished row's id is guarded in; None: nothing to release.
    guards: Callable[[dict[str, Any]], GuardRows] | None = None
    # What reading a batch to settle may leave out (a message's text).
    settle_projection: Mapping[str, Any] | None = None
    # What the nominating read returns, for a `finish` that re-reads the row itself
    # (None: whole rows).
    nominate: Mapping[str, Any] | None = None


async def finish_pending(
    db: Database,
    steps: Steps,
    upkeep: Upkeep | None = None,
    older: timedelta = PENDING_AFTER,
    batch: int = SWEEP_BATCH,
) -> int:
    """Finish up to `batch` rows of `steps` left unfinished for longer than `older`
    (oldest first); returns how many were found."""
    pending = await (
        db.collection(steps.collection)
        .find(
            {**steps.unfinished, **older_than(steps.since, older)},
            dict(steps.nominate) if steps.nominate else None,
        )
        .sort([(steps.since, 1)])
        .limit(batch)
        .to_list(None)
    )
    done = 0
    for doc in pending:
        try:
            done += await steps.finish(db, doc, upkeep or Upkeep())
        except LeaseExpired:
            log.warning(f"pending_{steps.name}_lease_expired", id=doc["_id"])
    if pending:
        log.warning(f"pending_{steps.name}_completed", count=len(pending), counted=done)
    return len(pending)


async def settle(
    db: Database,
    steps: Steps,
    grace: timedelta = SETTLE_AFTER,
    batch: int = SWEEP_BATCH,
    budget_s: float = SETTLE_BUDGET_SECONDS,
) -> int:
    """Remove the ids of settled rows of `steps` from the guards of the counter rows they
    were counted in: batch after batch until none is left or `budget_s` is spent, so the
    guards keep up with any traffic the database itself keeps up with."""
    guards = steps.guards
    if guards is None:
        return 0
    coll = db.collection(steps.collection)
    projection = dict(steps.settle_projection) if steps.settle_projection else None

    async def one_batch() -> int:
        docs = await coll.find(settled(grace), projection).limit(batch).to_list(None)
        if not docs:
            return 0
        held: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for doc in docs:
            for name, keys in guards(doc).items():
                held.setdefault(name, {})[doc["_id"]] = keys
        await asyncio.gather(*(release(db.collection(c), rows) for c, rows in held.items()))
        await coll.update_many(
            {"_id": {"$in": [d["_id"] for d in docs]}}, {"$unset": {"guarded": ""}}
        )
        return len(docs)

    return await settle_batches(one_batch, batch, budget_s, steps.collection)
