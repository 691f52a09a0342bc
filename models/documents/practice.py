"""Practice bookkeeping: error statistics, daily sets and spaced-repetition cards."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pymongo
from pydantic import Field

from models.documents.base import ASC, BaseDoc, new_id, utcnow


class ErrorStatDoc(BaseDoc):
    """One row per (user, category, subcategory), maintained by $inc upserts.

    `decay_sum` holds sum(exp(ln2 * (t_i - epoch) / half_life)) so the recency-weighted
    score at time T is decay_sum * exp(-ln2 * (T - epoch) / half_life): one $inc per
    error keeps it exact without rescanning messages.
    """

    id: str = Field(default_factory=new_id)  # type: ignore[assignment]
    user_id: str
    category: str
    subcategory: str
    occurrences: int = Field(default=0, alias="count")
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    decay_sum: float = 0.0

    class Settings:
        name = "error_stats"
        indexes = [
            pymongo.IndexModel(
                [("user_id", ASC), ("category", ASC), ("subcategory", ASC)],
                name="user_category_unique",
                unique=True,
            ),
        ]


# Default of DAILY_SET_RETENTION_DAYS: how long a day's set is kept (its TTL index; the
# setting overrides it through `connect(index_ttl=...)`).
DAILY_SET_RETENTION_DAYS = 30
DAILY_SET_TTL_INDEX = "daily_sets.expiry"


class DailySetDoc(BaseDoc):
    """One learner's practice set for one local day; _id "<user_id>:<YYYY-MM-DD>" makes the
    first writer win when two requests generate the same day's set at once (a set in
    another target language the same day, after a switch, adds ":<language>"). Only
    today's sets are read; older ones expire (TTL on `created_at`), or the collection grew
    by one document per learner-day forever (issue 28)."""

    id: str  # type: ignore[assignment]
    user_id: str
    date: str
    exercise_ids: list[str]
    # The target language it was built in (None: built before sets named theirs, counted
    # as the learner's current one).
    language: str | None = None
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "daily_sets"
        indexes = [
            pymongo.IndexModel(
                [("created_at", ASC)],
                name="expiry",
                expireAfterSeconds=DAILY_SET_RETENTION_DAYS * 86_400,
            )
        ]


class SkillCardDoc(BaseDoc):
    """One learner's FSRS memory card for one skill, _id "<user>|<category>|<subcategory>"
    (resolvers/practice/schedule.py); `reps` guards concurrent reviews."""

    id: str  # type: ignore[assignment]
    user_id: str
    category: str
    subcategory: str
    card: dict[str, Any]
    due_at: datetime
    reps: int = 0
    updated_at: datetime = Field(default_factory=utcnow)
    # The last exercises this card reviewed (REVIEWED_KEPT): a replayed finish counts once.
    reviewed: list[str] | None = None

    class Settings:
        name = "skill_cards"
        indexes = [pymongo.IndexModel([("user_id", ASC), ("due_at", ASC)], name="user_due")]
