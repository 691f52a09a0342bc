"""Messages and the language errors found in them."""

from __future__ import annotations

from datetime import datetime

import pymongo
from pydantic import BaseModel, Field

from models.documents.base import ASC, DESC, BaseDoc, new_id, utcnow
from models.enums import (
    MessageRole,
)


class LanguageErrorDoc(BaseModel):
    category: str
    subcategory: str
    excerpt: str | None = None
    correction: str | None = None
    explanation: str | None = None


class MessageDoc(BaseDoc):
    id: str = Field(default_factory=new_id)  # type: ignore[assignment]
    session_id: str
    user_id: str
    role: MessageRole
    content: str
    timestamp: datetime = Field(default_factory=utcnow)
    provider: str | None = None
    model: str | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    cost: float | None = None
    # True when the server priced `cost` from the tokens (the caller sent none): a retry
    # that again sends none is the same call whatever the price list says by then.
    priced: bool | None = None
    response_time_ms: int | None = None
    errors: list[LanguageErrorDoc] = Field(default_factory=list)
    # The learner's target language when the errors were found (canonical name), so an
    # own-sentence exercise keeps the sentence's language after the learner switches.
    language: str | None = None
    # Client-supplied retry key; the message _id is derived from (user_id, key), so a
    # retried write collides on _id instead of needing a (partial) unique index.
    idempotency_key: str | None = None
    # Set once every derived counter has been applied (see resolvers/messages.py).
    applied: bool = True
    # The session's topic and the learner's tier when it was recorded (cost breakdowns).
    topic: str | None = None
    tier: str | None = None
    # While true, counter rows may still hold this id in their `guard_ids`; the sweep pulls
    # it a grace period after `applied_at` and unsets this flag.
    guarded: bool | None = None
    applied_at: datetime | None = None
    # The learner's rating of an assistant reply (resolvers/ratings.py); re-rating replaces.
    rating: int | None = None
    helpful: bool | None = None
    rating_comment: str | None = None
    rated_at: datetime | None = None
    # Who wrote it: "learner", "tutor" (an API client or a token with the tutor scope) or
    # "admin", and their id. Messages from before API clients existed have neither; that
    # is how scripts.forged_usage finds replies a learner's browser may have made up.
    author_kind: str | None = None
    author_id: str | None = None
    # The annotation (resolvers/annotations.py) that holds the right to change `errors`
    # while its statistics are applied; unset again when it has finished.
    annotating: str | None = None
    annotated_at: datetime | None = None

    class Settings:
        name = "messages"
        indexes = [
            pymongo.IndexModel(
                [("session_id", ASC), ("timestamp", ASC), ("_id", ASC)], name="session_time"
            ),
            # (timestamp, _id) both: export's sort and keyset pages need the tie-breaker.
            pymongo.IndexModel(
                [("user_id", ASC), ("timestamp", ASC), ("_id", ASC)], name="user_time_id"
            ),
            # progress's counts of the learner's own utterances per window: the role is in
            # the index, so replies are not read to be thrown away.
            pymongo.IndexModel(
                [("user_id", ASC), ("role", ASC), ("timestamp", ASC)], name="user_role_time"
            ),
            # Skills' conversation evidence: only utterances with errors, read newest first (a
            # learner with 100k messages and few errors had every one of them read).
            pymongo.IndexModel(
                [("user_id", ASC), ("timestamp", ASC)],  # user_corrections has DESC
                name="user_errors",
                partialFilterExpression={"role": "user", "errors.0": {"$exists": True}},
            ),
            # generateExercise's own-sentence lookup: only corrected learner utterances.
            pymongo.IndexModel(
                [("user_id", ASC), ("timestamp", DESC)],
                name="user_corrections",
                partialFilterExpression={"role": "user", "errors.correction": {"$exists": True}},
            ),
            pymongo.IndexModel(
                [("applied", ASC)], name="unapplied", partialFilterExpression={"applied": False}
            ),
            pymongo.IndexModel(
                [("applied_at", ASC)], name="guarded", partialFilterExpression={"guarded": True}
            ),
            # Ratings whose counters and event a killed process did not finish (maintenance).
            pymongo.IndexModel(
                [("rated_at", ASC)],
                name="rating_pending",
                partialFilterExpression={"rating_event": {"$exists": True}},
            ),
            # Rated replies of one provider/model and day: what a rating recount reads.
            pymongo.IndexModel(
                [("provider", ASC), ("model", ASC), ("timestamp", ASC)],
                name="rated_provider_model_time",
                partialFilterExpression={"rating": {"$exists": True}},
            ),
        ]
