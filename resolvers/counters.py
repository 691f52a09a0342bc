"""Counter rows that count each message exactly once, at any volume, without transactions.

Every counter update carries the message id: it matches only while the row's `guard_ids`
does not hold that id, and pushes it in the same atomic update. Re-applying a message (a
client retry, the sweep, two attempts racing) is therefore a no-op on every row the message
already reached.

An id leaves `guard_ids` a grace period after its message was applied, and never while an
attempt's lease on it may still be used (`resolvers.lease`): every counter update of an
attempt carries the lease's deadline, checked by the server against its own clock
(`$$NOW`), so a write that reaches the server late (a frozen replica, a request cut off
with its write already sent) matches nothing instead of counting the message again once
its guard is gone. A row therefore holds roughly the last minute of messages, whatever the
volume. The server refuses `$expr` in an upsert's filter, so a row's first-ever write is
split in two: an upsert that only creates the row with zero counters (harmless however late
it lands), then the deadline-guarded update.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from pymongo import ReturnDocument, UpdateOne

from models.db import DuplicateKeyError
from resolvers.cancellation import raise_if_cancelling

log = structlog.get_logger("resolvers.counters")

GUARD_FIELD = "guard_ids"
# A safety net, not the mechanism: only reached if the settling sweep stopped for a long
# time on a very busy row (the oldest ids then lose their guard first).
GUARD_CAP = 10_000
# A first-ever upsert that collides with a concurrent insert of the same row retries once
# the row exists; more than two attempts only happen under pathological contention.
UPSERT_ATTEMPTS = 5
WITHOUT_GUARDS = {GUARD_FIELD: 0, "applied_ids": 0}


def guarded(
    key: Mapping[str, Any], message_id: str, until: datetime | None = None
) -> dict[str, Any]:
    query = {**key, GUARD_FIELD: {"$ne": message_id}}
    if until is not None:
        query["$expr"] = {"$lt": ["$$NOW", until]}
    return query


class LeaseExpired(RuntimeError):
    """An attempt's write reached the server after its lease ended: it counted nothing
    (another attempt finishes the message)."""


def empty_row(update: Mapping[str, Any]) -> dict[str, Any]:
    """What a row's first write sets before anything is counted in it: the update's
    `$setOnInsert` and a zero for every counter it increments, `$min`/`$max` fields left
    for the counting update."""
    row: dict[str, Any] = dict(update.get("$setOnInsert") or {})
    for name, value in (update.get("$inc") or {}).items():
        row[name] = 0.0 if isinstance(value, float) else 0
    row[GUARD_FIELD] = []
    return row


def remember(message_id: str) -> dict[str, Any]:
    return {GUARD_FIELD: {"$each": [message_id], "$slice": -GUARD_CAP}}


class CounterUpdateFailed(RuntimeError):
    pass


async def guarded_update(
    collection: Any,
    key: Mapping[str, Any],
    message_id: str,
    update: dict[str, Any],
    *,
    upsert: bool = True,
    return_after: bool = False,
    until: datetime | None = None,
) -> tuple[bool, dict[str, Any] | None]:
    """Add one message to one counter row, once.

    Returns (counted now, the row after the update when `return_after`). A
    DuplicateKeyError means either the row already holds this message (the guard excluded
    it and the upsert then collided with the row itself: done) or two first-ever upserts
    raced to insert the row; the retry then matches the row that won.

    `until`: the attempt's lease deadline (server time); past it the update matches nothing
    and LeaseExpired is raised.
    """
    if until is not None:
        return await _before_deadline(
            collection, key, message_id, update, upsert, return_after, until
        )
    body = {**update, "$push": remember(message_id)}
    for _ in range(UPSERT_ATTEMPTS):
        try:
            if return_after:
                after = await collection.find_one_and_update(
                    guarded(key, message_id),
                    body,
                    upsert=upsert,
                    return_document=ReturnDocument.AFTER,
                    projection=dict(WITHOUT_GUARDS),
                )
                return after is not None, after
            result = await collection.update_one(guarded(key, message_id), body, upsert=upsert)
            return bool(result.matched_count or result.upserted_id is not None), None
        except DuplicateKeyError:
            if await collection.find_one({**key, GUARD_FIELD: message_id}, {"_id": 1}):
                return False, None
    raise CounterUpdateFailed(f"could not count message {message_id} in {collection.name}")


async def _before_deadline(
    collection: Any,
    key: Mapping[str, Any],
    message_id: str,
    update: dict[str, Any],
    upsert: bool,
    return_after: bool,
    until: datetime,
) -> tuple[bool, dict[str, Any] | None]:
    body = {**update, "$push": remember(message_id)}
    body.pop("$setOnInsert", None)  # never an upsert: the row exists when this matches
    existed = False
    for _ in range(UPSERT_ATTEMPTS):
        if return_after:
            after = await collection.find_one_and_update(
                guarded(key, message_id, until),
                body,
                return_document=ReturnDocument.AFTER,
                projection=dict(WITHOUT_GUARDS),
            )
            if after is not None:
                return True, after
        else:
            result = await collection.update_one(guarded(key, message_id, until), body)
            if result.matched_count:
                return True, None
        if await collection.find_one({**key, GUARD_FIELD: message_id}, {"_id": 1}):
            return False, None  # counted by an earlier attempt
        if await collection.find_one(key, {"_id": 1}) is not None:
            if existed:  # it was there for the update too: only the deadline refused it
                raise LeaseExpired(f"message {message_id}: lease ended before {collection.name}")
            existed = True
            continue  # created by another writer after the update looked: count in it
        if not upsert:
            return False, None  # no such row (a session deleted meanwhile): nothing to count
        try:  # the first write of this row: creates it, counts nothing
            await collection.update_one(key, {"$setOnInsert": empty_row(update)}, upsert=True)
        except DuplicateKeyError:
            pass  # another writer created it: count in it
    raise CounterUpdateFailed(f"could not count message {message_id} in {collection.name}")


async def release(collection: Any, held: Mapping[str, list[dict[str, Any]]]) -> None:
    """Drop settled message ids from the rows that hold them: message id -> row keys."""
    by_row: dict[str, tuple[dict[str, Any], list[str]]] = {}
    for message_id, keys in held.items():
        for key in keys:
            row = by_row.setdefault(repr(sorted(key.items())), (key, []))
            row[1].append(message_id)
    if by_row:
        await collection.bulk_write(
            [
                UpdateOne(key, {"$pull": {GUARD_FIELD: {"$in": ids}}})
                for key, ids in by_row.values()
            ],
            ordered=False,
        )


async def settle_batches(
    one_batch: Callable[[], Awaitable[int]], batch: int, budget_s: float, what: str
) -> int:
    """Run `one_batch` (returns how many it released) until a short batch or the budget;
    logs `guards_settle_behind` when the budget stopped it with work left."""
    deadline = time.monotonic() + budget_s
    total = 0
    while True:
        raise_if_cancelling()  # a stopped maintenance pass ends here, not at its budget
        n = await one_batch()
        total += n
        if n < batch:
            return total
        if time.monotonic() >= deadline:
            log.warning("guards_settle_behind", collection=what, released=total, budget_s=budget_s)
            return total


# --- leases: how long an attempt may still write, on the server's clock -----------------

# How long one attempt may write counters after claiming its message: far longer than a
# request's operations take (MONGO_OPERATION_TIMEOUT_MS each); an attempt still running
# then fails with LeaseExpired having counted nothing more, and a retry (or the pass)
# finishes the message under a lease of its own.
LEASE = timedelta(seconds=30)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def request_lease(execution_timeout_ms: int) -> timedelta:
    """A request's attempt: twice its execution budget (the deadline cancels it before
    then), never less than LEASE."""
    return max(LEASE, timedelta(milliseconds=2 * execution_timeout_ms))


def _ms(span: timedelta) -> int:
    return int(span.total_seconds() * 1000)


async def claim(
    collection: Any, query: Mapping[str, Any], lease: timedelta = LEASE
) -> datetime | None:
    """Re-read a message (or annotation) and, if it is still unapplied, extend its lease to
    the server's now + `lease` and count this attempt in `attempts`; returns the lease's
    end, or None when it was applied meanwhile (nothing left to do, whatever an older read
    said). Only an attempt that finishes (`mark_applied`) leaves `attempts`: one that failed
    or was cancelled may still have a write on its way, so its lease must run out."""
    after = await collection.find_one_and_update(
        {**query, "applied": False},
        [
            {
                "$set": {
                    "lease_until": {
                        "$max": [
                            {"$ifNull": ["$lease_until", EPOCH]},
                            {"$add": ["$$NOW", _ms(lease)]},
                        ]
                    },
                    "attempts": {"$add": [{"$ifNull": ["$attempts", 0]}, 1]},
                }
            }
        ],
        projection={"lease_until": 1},
        return_document=ReturnDocument.AFTER,
    )
    return None if after is None else after["lease_until"]  # type: ignore[no-any-return]


def mark_applied(extra: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """The update of an attempt that finished: applied (at the server's time, the first
    time), and this attempt no longer running."""
    return [
        {
            "$set": {
                **(extra or {}),
                "applied": True,
                "applied_at": {"$ifNull": ["$applied_at", "$$NOW"]},
                "attempts": {"$subtract": [{"$ifNull": ["$attempts", 1]}, 1]},
            }
        }
    ]


def settled(grace: timedelta) -> dict[str, Any]:
    """Applied, and `grace` past its applied_at and, while an attempt that did not finish
    may still write, past the end of its lease, by the server's clock: no attempt can
    count it any more."""
    unfinished = {"$gt": [{"$ifNull": ["$attempts", 0]}, 0]}
    return {
        "guarded": True,
        "applied": True,
        "$expr": {
            "$lte": [
                {"$max": ["$applied_at", {"$cond": [unfinished, "$lease_until", "$applied_at"]}]},
                {"$subtract": ["$$NOW", _ms(grace)]},
            ]
        },
    }


def older_than(field: str, age: timedelta) -> dict[str, Any]:
    """`field` more than `age` before the server's now."""
    return {"$expr": {"$lt": [f"${field}", {"$subtract": ["$$NOW", _ms(age)]}]}}
