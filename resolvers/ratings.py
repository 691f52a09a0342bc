"""rateMessage: the session's learner rates a tutor reply; provider rating counters.

The rating lives on the message (the source of truth; re-rating replaces it). The
counters in the reply's provider_daily row are then recounted from that day's rated
replies of the same provider and model, and written only if no other recount wrote in
between (`rating_version`); a recount that loses the race reads again. So the last write
always reflects every rating stored before it began: the counters stay exact however
ratings interleave, and a re-rating can never be counted twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ReturnDocument

from models.db import Database, DuplicateKeyError
from models.documents import utcnow
from models.rows import Row
from resolvers import validation as v
from resolvers.context import RequestContext
from resolvers.costs.providers import provider_key
from resolvers.dataloaders import MESSAGE_HIDDEN, exclude
from resolvers.errors import BadUserInput, Forbidden, NotFound
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
    doc = await ctx.db.messages.find_one_and_update(
        {"_id": message["_id"], "user_id": viewer.id},
        {
            "$set": {
                "rating": data.rating,
                "helpful": data.helpful,
                "rating_comment": comment,
                "rated_at": utcnow(),
            }
        },
        projection=exclude(MESSAGE_HIDDEN),
        return_document=ReturnDocument.AFTER,
    )
    if doc is None:
        raise NotFound("Message not found.")
    await recount_ratings(ctx.db, doc)
    row = Row(doc)
    ctx.loaders.message.prime(doc["_id"], row, force=True)
    return row


async def recount_ratings(db: Database, message: dict[str, Any]) -> None:
    """Recount the rating counters of the provider_daily row `message` belongs to."""
    key = provider_key(message)
    day, provider, model = key["_id"].split("|", 2)
    start = datetime.fromisoformat(day).replace(tzinfo=UTC)
    match = {
        "provider": None if provider == "unknown" else provider,
        "model": None if model == "unknown" else model,
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
        row = await db.provider_daily.find_one(key, {"rating_version": 1})
        version = (row or {}).get("rating_version", 0)
        counts = [r async for r in db.messages.aggregate(pipeline)]
        found = counts[0] if counts else {}
        values = {
            f: found.get(f, 0) for f in ("rated", "rating_sum", "helpful_yes", "helpful_answered")
        }
        versioned = row is not None and "rating_version" in row
        guard = {**key, "rating_version": version if versioned else {"$exists": False}}
        try:
            result = await db.provider_daily.update_one(
                guard,
                {
                    "$set": values,
                    "$inc": {"rating_version": 1},
                    "$setOnInsert": {"date": day, "provider": provider, "model": model},
                },
                upsert=True,
            )
        except DuplicateKeyError:
            continue  # the row was created meanwhile: count again against it
        if result.matched_count or result.upserted_id is not None:
            return
    raise RuntimeError(f"rating counters of {key['_id']} kept changing; gave up")
