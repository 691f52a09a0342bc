"""rateMessage: the session's learner rates a tutor reply; provider rating counters.

The rating lives on the message (the source of truth; re-rating replaces it). Then:
1. the reply's provider_daily row gets `rating_writes += 1`; this rating is write n;
2. the row's rating counters are recounted from that day's rated replies of the same
   provider and model, and written (with `rating_counted` = the `rating_writes` read
   before counting) only if no other recount wrote in between (`rating_version`).
A recount that loses the race is done if the winner had already seen write n
(`rating_counted >= n`: it read the row after step 1, so it counted after this rating was
stored); else it counts again. The last write therefore reflects every stored rating:
the counters stay exact however ratings interleave, and a re-rating is never counted
twice.
A call repeating the stored rating (a retry whose answer was lost) writes nothing new: it
finishes the stored rating's pending counters and event, if any (`_repeated`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from pymongo import ReturnDocument

from models.db import Database, DuplicateKeyError
from models.documents import utcnow
from models.enums import SessionEventType
from models.rows import Row
from resolvers import validation as v
from resolvers.context import RequestContext
from resolvers.costs.providers import provider_key, provider_names
from resolvers.counters import WITHOUT_GUARDS
from resolvers.dataloaders import MESSAGE_HIDDEN, exclude
from resolvers.errors import BadUserInput, Forbidden, NotFound
from resolvers.outbox import hub_of, publish, record_change
from resolvers.pending import Steps, Upkeep
from resolvers.permissions import can_access_user, require_viewer

MAX_COMMENT_CHARS = 1_000
RECOUNT_ATTEMPTS = 8


@dataclass(slots=True)
class RatingInput:
    rating: int
    helpful: bool | None = None
    comment: str | None = None


async def rate_message(ctx: RequestContext, message_id: str, data: RatingInput) -> Row:
    viewer = require_viewer(ctx)
    message = await ctx.loaders.message.load(v.plain_id(message_id, "id"))
    if message is None or not can_access_user(viewer, message["user_id"]):
        raise NotFound("Message not found.")
    if message["user_id"] != viewer.id:
        raise Forbidden("Only the session's learner rates its replies.")
    if message["role"] != "assistant":
        raise BadUserInput("Only ASSISTANT messages can be rated.", field="id")
    if not isinstance(data.rating, int) or not 1 <= data.rating <= 5:
        raise BadUserInput("'rating' must be between 1 and 5.", field="input.rating")
    comment = v.text(data.comment, "input.comment", max_len=MAX_COMMENT_CHARS)
    repeat = await _repeated(ctx.db, message["_id"], viewer.id, data, comment)
    if repeat is not None:
        return await _answer_repeat(ctx, repeat)
    # `rating_event` (the event's cause) is written with the rating: a process killed
    # before the counters and the event are done leaves it set, and the maintenance pass
    # finishes them (`RATINGS`).
    doc = await ctx.db.messages.find_one_and_update(
        {"_id": message["_id"], "user_id": viewer.id},
        {
            "$set": {
                "rating": data.rating,
                "helpful": data.helpful,
                "rating_comment": comment,
                "rated_at": utcnow(),
                "rating_event": str(uuid4()),
            }
        },
        projection=exclude(MESSAGE_HIDDEN),
        return_document=ReturnDocument.AFTER,
    )
    if doc is None:
        raise NotFound("Message not found.")
    return await _settled(ctx, doc)


async def _repeated(
    db: Database, message_id: str, user_id: str, data: RatingInput, comment: str | None
) -> dict[str, Any] | None:
    """The message as stored when it already holds exactly this rating, else None.

    A learner's app retries a rateMessage whose answer was lost (a stepdown after the
    event was stored or the pending mark cleared). Written again, the retry was a new
    cause with an event of its own: MESSAGE_RATED twice for one tap. The same rating
    changes nothing, so it finishes the pending cause, if any, instead of a new one."""
    stored: dict[str, Any] | None = await db.messages.find_one(
        {
            "_id": message_id,
            "user_id": user_id,
            "rating": data.rating,
            "helpful": data.helpful,
            "rating_comment": comment,
        },
        exclude(MESSAGE_HIDDEN),
    )
    return stored


async def _answer_repeat(ctx: RequestContext, doc: dict[str, Any]) -> Row:
    if doc.get("rating_event") is not None:  # the earlier call stopped before its end
        return await _settled(ctx, doc)
    return _answered(ctx, doc)


async def _settled(ctx: RequestContext, doc: dict[str, Any]) -> Row:
    """The stored rating's counters and event finished, then the message as answered."""
    event = await _finish_rating(ctx.db, doc)
    await publish(ctx.db, hub_of(ctx), [event] if event else [])
    doc.pop("rating_event", None)
    return _answered(ctx, doc)


def _answered(ctx: RequestContext, doc: dict[str, Any]) -> Row:
    row = Row(doc)
    ctx.loaders.message.prime(doc["_id"], row, force=True)
    return row


async def _finish_rating(db: Database, doc: dict[str, Any]) -> dict[str, Any] | None:
    """The rating's counters and its MESSAGE_RATED event (once: its id is the cause
    written with the rating), then the mark cleared unless a newer rating replaced it."""
    cause = doc["rating_event"]
    await recount_ratings(db, doc, await _count_write(db, doc))
    event = await record_change(
        db,
        SessionEventType.MESSAGE_RATED,
        cause,
        doc["session_id"],
        doc["user_id"],
        {k: val for k, val in doc.items() if k != "rating_event"},
    )
    await db.messages.update_one(
        {"_id": doc["_id"], "user_id": doc["user_id"], "rating_event": cause},
        {"$unset": {"rating_event": ""}},
    )
    return event


async def _finish_pending(db: Database, doc: dict[str, Any], _upkeep: Upkeep) -> bool:
    """The maintenance pass's finish: the message re-read (its rating as it is now)."""
    current = await db.messages.find_one(
        {"_id": doc["_id"], "user_id": doc["user_id"], "rating_event": {"$exists": True}},
        exclude(MESSAGE_HIDDEN),
    )
    if current is None:
        return False  # finished meanwhile
    await _finish_rating(db, current)
    return True


# Ratings a process killed right after rateMessage's write left without counters or
# event: the maintenance pass finishes them (resolvers/pending.py) and publishes the
# events next.
RATINGS = Steps(
    "ratings",
    "messages",
    {"rating_event": {"$exists": True}},
    "rated_at",
    _finish_pending,
    nominate={"_id": 1, "user_id": 1},
)


async def _count_write(db: Database, message: dict[str, Any]) -> int:
    key = provider_key(message)
    day, provider, model = provider_names(message)
    for _ in range(RECOUNT_ATTEMPTS):
        try:
            row = await db.provider_daily.find_one_and_update(
                key,
                {
                    "$inc": {"rating_writes": 1},
                    "$setOnInsert": {"date": day, "provider": provider, "model": model},
                },
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
            return int(row["rating_writes"])
        except DuplicateKeyError:
            continue  # two first writes raced to create the row: it exists now
    raise RuntimeError(f"could not count a rating in {key['_id']}")


async def recount_ratings(db: Database, message: dict[str, Any], write: int) -> None:
    """Recount the rating counters of the provider_daily row `message` belongs to, until
    a stored recount has seen rating write number `write`."""
    key = provider_key(message)
    day = provider_names(message)[0]
    provider, model = message.get("provider"), message.get("model")
    start = datetime.fromisoformat(day).replace(tzinfo=UTC)
    match = {
        "provider": provider,
        "model": model,
        "timestamp": {"$gte": start, "$lt": start + timedelta(days=1)},
        "rating": {"$exists": True},
        "role": "assistant",
    }
    pipeline = [
        {"$match": match},
        {"$match": {"rating": {"$ne": None}}},
        {
            "$group": {
                "_id": None,
                "rated": {"$sum": 1},
                "rating_sum": {"$sum": "$rating"},
                "helpful_yes": {"$sum": {"$cond": [{"$eq": ["$helpful", True]}, 1, 0]}},
                "helpful_answered": {
                    "$sum": {"$cond": [{"$in": ["$helpful", [True, False]]}, 1, 0]}
                },
            }
        },
    ]
    for _ in range(RECOUNT_ATTEMPTS):
        row = await db.provider_daily.find_one(key, dict(WITHOUT_GUARDS)) or {}
        if row.get("rating_counted", 0) >= write:
            return  # a recount that started after this rating was stored has been written
        counts = [r async for r in await db.messages.aggregate(pipeline)]
        found = counts[0] if counts else {}
        values = {
            f: found.get(f, 0) for f in ("rated", "rating_sum", "helpful_yes", "helpful_answered")
        }
        values["rating_counted"] = row.get("rating_writes", 0)
        version = row.get("rating_version")
        guard = {**key, "rating_version": version if version is not None else {"$exists": False}}
        result = await db.provider_daily.update_one(
            guard, {"$set": values, "$inc": {"rating_version": 1}}
        )
        if result.matched_count:
            return
    raise RuntimeError(f"rating counters of {key['_id']} kept changing; gave up")
