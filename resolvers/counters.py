"""Counter rows that count each message exactly once, at any volume, without transactions.

Every counter update carries the message id: it matches only while the row's `guard_ids`
does not hold that id, and pushes it in the same atomic update. Re-applying a message (a
client retry, the sweep, two attempts racing) is therefore a no-op on every row the message
already reached. An id leaves `guard_ids` only a grace period after its message was marked
applied (`resolvers.messages.settle`), when no attempt that saw the message unapplied can
still be running, so a row holds the ids of roughly the last minute of messages, whatever
the volume, instead of a fixed number that a busy shared row overruns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pymongo import ReturnDocument, UpdateOne

from models.db import DuplicateKeyError

GUARD_FIELD = "guard_ids"
# A safety net, not the mechanism: only reached if the settling sweep stopped for a long
# time on a very busy row (the oldest ids then lose their guard first).
GUARD_CAP = 10_000
# A first-ever upsert that collides with a concurrent insert of the same row retries once
# the row exists; more than two attempts only happen under pathological contention.
UPSERT_ATTEMPTS = 5
WITHOUT_GUARDS = {GUARD_FIELD: 0, "applied_ids": 0}


def guarded(key: Mapping[str, Any], message_id: str) -> dict[str, Any]:
    return {**key, GUARD_FIELD: {"$ne": message_id}}


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
) -> tuple[bool, dict[str, Any] | None]:
    """Add one message to one counter row, once.

    Returns (counted now, the row after the update when `return_after`). A
    DuplicateKeyError means either the row already holds this message (the guard excluded
    it and the upsert then collided with the row itself: done) or two first-ever upserts
    raced to insert the row; the retry then matches the row that won.
    """
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
