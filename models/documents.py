"""Beanie documents: the stored shape of every collection and the indexes its queries need.

Ids are UUID strings (not ObjectIds) so they are stable across imports and readable in URLs.
All datetimes are timezone-aware UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pymongo
from beanie import Document
from pydantic import BaseModel, ConfigDict, Field

from models.enums import (
    ExerciseStatus,
    ExerciseType,
    MessageRole,
    Role,
    SessionStatus,
    SubscriptionTier,
)


def new_id() -> str:
    return str(uuid4())


def utcnow() -> datetime:
    """Now, at BSON's millisecond precision, so what a mutation returns is what a read returns."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


ASC, DESC = pymongo.ASCENDING, pymongo.DESCENDING


class BaseDoc(Document):
    """Stores enum members as their plain string values, identical on every driver."""

    model_config = ConfigDict(use_enum_values=True, populate_by_name=True, validate_default=True)

    def to_mongo(self) -> dict[str, Any]:
        # Unset optional fields are left out rather than stored as null: $min/$max updates
        # then start from the first real value on every backend.
        return self.model_dump(by_alias=True, exclude={"revision_id"}, exclude_none=True)


class UserDoc(BaseDoc):
    id: str = Field(default_factory=new_id)  # type: ignore[assignment]
    email: str
    name: str
    role: Role = Role.USER
    subscription_tier: SubscriptionTier = SubscriptionTier.FREE
    native_language: str | None = None
    target_language: str | None = None
    level: str | None = None
    learning_preferences: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime = Field(default_factory=utcnow)
    last_active: datetime | None = None
    total_sessions: int = 0
    # Daily practice streak, kept by exercise completion.
    streak_days: int = 0
    streak_last_day: str | None = None
    # IANA zone name ("Europe/Berlin"); None means UTC. Sets the learner's day boundaries.
    time_zone: str | None = None

    class Settings:
        name = "users"
        indexes = [
            pymongo.IndexModel([("email", ASC)], name="email_unique", unique=True),
            pymongo.IndexModel(
                [("subscription_tier", ASC), ("created_at", DESC), ("_id", DESC)],
                name="tier_created",
            ),
            pymongo.IndexModel([("created_at", DESC), ("_id", DESC)], name="created"),
        ]


class SessionDoc(BaseDoc):
    id: str = Field(default_factory=new_id)  # type: ignore[assignment]
    user_id: str
    started_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = None
    topic: str | None = None
    provider: str | None = None
    status: SessionStatus = SessionStatus.ACTIVE
    total_messages: int = 0
    total_tokens: int = 0
    total_cost: float = 0.0
    # Running mean; kept exact by storing the sum and count of timed replies.
    avg_response_time_ms: float | None = None
    response_time_sum_ms: int = 0
    response_time_count: int = 0

    class Settings:
        name = "sessions"
        indexes = [
            pymongo.IndexModel(
                [("user_id", ASC), ("started_at", DESC), ("_id", DESC)], name="user_started"
            ),
            # Ends whose SESSION_ENDED event a killed process did not record (maintenance).
            pymongo.IndexModel(
                [("ended_at", ASC)],
                name="end_event_pending",
                partialFilterExpression={"end_event_pending": True},
            ),
        ]


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


class ExerciseDoc(BaseDoc):
    id: str = Field(default_factory=new_id)  # type: ignore[assignment]
    user_id: str
    # Canonical language name ("English", "Spanish", "German"): the learner's target language.
    language: str = "English"
    category: str
    subcategory: str
    type: ExerciseType
    difficulty: int = 1
    prompt: str
    choices: list[str] = Field(default_factory=list)
    answer: str
    accepted_answers: list[str] = Field(default_factory=list)
    explanation: str | None = None
    hints: list[str] = Field(default_factory=list)
    status: ExerciseStatus = ExerciseStatus.PENDING
    # "correct" / "incorrect" / "skipped" once finished; None while pending.
    outcome: str | None = None
    attempts: int = 0
    hints_used: int = 0
    correct: bool | None = None
    source: str = "bank"
    bank_id: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    completed_at: datetime | None = None
    due_at: datetime | None = None
    # Spaced review (resolvers/practice/schedule.py): a review is a PENDING exercise of a
    # skill whose FSRS card is due at `due_at`; `review_of` names the answer that scheduled it.
    review_of: str | None = None
    # An own-sentence exercise: every correction its answer applies (excerpt, correction,
    # category, subcategory), so a partial fix is told which ones are still missing.
    corrections: list[dict[str, str]] = Field(default_factory=list)
    # The last wrong answer, so an answer evaluator can tailor the next hint to it.
    last_answer: str | None = None
    # The learner-local date (YYYY-MM-DD) of the daily set this exercise was made for.
    daily: str | None = None

    class Settings:
        name = "exercises"
        indexes = [
            pymongo.IndexModel(
                [("user_id", ASC), ("status", ASC), ("created_at", DESC), ("_id", DESC)],
                name="user_status_created",
            ),
            pymongo.IndexModel(
                [("user_id", ASC), ("created_at", DESC), ("_id", DESC)], name="user_created"
            ),
            # The review queue: a learner's pending exercises by due time.
            pymongo.IndexModel(
                [("user_id", ASC), ("status", ASC), ("due_at", ASC), ("_id", ASC)],
                name="user_status_due",
            ),
            # Progress and skills: finished exercises by status and completion time (it
            # replaces `user_completed`, without the status: progress's buckets and bests
            # read every skipped exercise of the year to throw it away).
            pymongo.IndexModel(
                [("user_id", ASC), ("status", ASC), ("completed_at", ASC)],
                name="user_status_completed",
                partialFilterExpression={"completed_at": {"$exists": True}},
            ),
        ]


class DailySetDoc(BaseDoc):
    """One learner's practice set for one local day; _id "<user_id>:<YYYY-MM-DD>" makes the
    first writer win when two requests generate the same day's set at once."""

    id: str  # type: ignore[assignment]
    user_id: str
    date: str
    exercise_ids: list[str]
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "daily_sets"


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

    class Settings:
        name = "skill_cards"
        indexes = [pymongo.IndexModel([("user_id", ASC), ("due_at", ASC)], name="user_due")]


class AiUsageDoc(BaseDoc):
    """One AI call that is not a conversation reply (the answer evaluator), kept with the
    tokens and cost it added to the cost rows (resolvers/practice/evaluator.py)."""

    id: str  # type: ignore[assignment]
    kind: str
    user_id: str
    exercise_id: str | None = None
    timestamp: datetime
    provider: str
    model: str
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    response_time_ms: float | None = None
    topic: str | None = None
    tier: str | None = None

    class Settings:
        name = "ai_usage"
        indexes = [pymongo.IndexModel([("user_id", ASC), ("timestamp", DESC)], name="user_time")]


class ProviderDailyDoc(BaseDoc):
    """Per (UTC date, provider, model), _id "<date>|<provider>|<model>": replies, tokens,
    cost, a latency histogram and rating counters.

    Traffic and latencies (`rt_hist`: counts per log-spaced bucket, see
    resolvers/costs/providers.py) are $inc'd as replies are recorded. Ratings are recounted
    from that day's rated messages under a version guard (resolvers/ratings.py).
    """

    id: str  # type: ignore[assignment]
    date: str
    provider: str
    model: str
    requests: int = 0
    tokens: int = 0
    cost: float = 0.0
    rt_count: int = 0
    rt_sum_ms: int = 0
    rt_hist: dict[str, int] = Field(default_factory=dict)
    rated: int = 0
    rating_sum: int = 0
    helpful_yes: int = 0
    helpful_answered: int = 0
    rating_version: int = 0

    class Settings:
        name = "provider_daily"
        indexes = [pymongo.IndexModel([("date", ASC)], name="date")]


class CostDimDoc(BaseDoc):
    """Spend per UTC date and session topic or learner tier, _id "<date>|<dim>|<key>"
    (resolvers/costs/breakdown.py)."""

    id: str  # type: ignore[assignment]
    date: str
    dim: str  # "topic" | "tier"
    key: str
    cost: float = 0.0
    tokens: int = 0
    requests: int = 0

    class Settings:
        name = "cost_dims"
        indexes = [pymongo.IndexModel([("date", ASC)], name="date")]


class CostDailyDoc(BaseDoc):
    """One row per (UTC date, provider, model, user), kept current by $inc upserts."""

    id: str = Field(default_factory=new_id)  # type: ignore[assignment]
    date: str  # YYYY-MM-DD, UTC
    provider: str
    model: str
    user_id: str
    requests: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0

    class Settings:
        name = "cost_daily"
        indexes = [
            pymongo.IndexModel(
                [("date", ASC), ("provider", ASC), ("model", ASC), ("user_id", ASC)],
                name="date_provider_model_user_unique",
                unique=True,
            ),
            pymongo.IndexModel([("user_id", ASC), ("date", ASC)], name="user_date"),
        ]


class CostTotalDoc(BaseDoc):
    """Cost rollup of one UTC hour ("H:YYYY-MM-DDTHH") or day ("D:YYYY-MM-DD"), all users.

    Not in DESIGN.md: it makes hourly numbers and exactly-once threshold alerts O(1) per
    message (see resolvers/costs/rollup.py). Looked up by _id only.
    """

    id: str  # type: ignore[assignment]
    cost: float = 0.0
    tokens: int = 0
    requests: int = 0

    class Settings:
        name = "cost_totals"


class ApiClientDoc(BaseDoc):
    """A service caller (the AI tutor). Only a hash of its secret is stored: the secret is
    shown once, when the client is created (resolvers/apiclients.py)."""

    id: str = Field(default_factory=new_id)  # type: ignore[assignment]
    name: str
    scopes: list[str]
    secret_hash: str
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str | None = None
    # Refreshed at most once a minute per replica, never by every request.
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    class Settings:
        name = "api_clients"
        indexes = [pymongo.IndexModel([("created_at", DESC), ("_id", DESC)], name="created")]


class AnnotationDoc(BaseDoc):
    """One `annotateMessage` call: the errors it sets on a message and, once it holds the
    message, the errors it replaced, so its statistics move by the difference exactly once
    (the same insert -> apply -> mark applied -> settle steps as a message)."""

    id: str = Field(default_factory=new_id)  # type: ignore[assignment]
    message_id: str
    user_id: str
    errors: list[LanguageErrorDoc] = Field(default_factory=list)
    previous: list[LanguageErrorDoc] | None = None
    idempotency_key: str | None = None
    author_kind: str | None = None
    author_id: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    applied: bool = False
    applied_at: datetime | None = None
    guarded: bool | None = None

    class Settings:
        name = "annotations"
        indexes = [
            pymongo.IndexModel(
                [("created_at", ASC)],
                name="unapplied",
                partialFilterExpression={"applied": False},
            ),
            pymongo.IndexModel(
                [("applied_at", ASC)], name="guarded", partialFilterExpression={"guarded": True}
            ),
        ]


# How long session events stay replayable (`sessionEvents(after:)`): 24 hours.
EVENT_RETENTION_SECONDS = 86_400


class SessionEventDoc(BaseDoc):
    """One change of a session a subscriber sees (`sessionEvents`): the outbox row written
    by the step that makes the change, with the rows as that step left them, so any
    replica can deliver it without reading the database again. `seq` orders a session's
    events (allocated from the session row); `published` is false until the event went
    to the live subscribers (the maintenance pass publishes what a crash left behind)."""

    id: str = Field(default_factory=new_id)  # type: ignore[assignment]
    session_id: str
    user_id: str
    seq: int
    type: str
    at: datetime = Field(default_factory=utcnow)
    session: dict[str, Any]
    message: dict[str, Any] | None = None
    published: bool = False

    class Settings:
        name = "session_events"
        indexes = [
            pymongo.IndexModel(
                [("session_id", ASC), ("seq", ASC)], name="session_seq", unique=True
            ),
            # Retention: EVENT_RETENTION_SECONDS is the maintenance pass's bound; the TTL
            # index is the server's backstop at the same age (scripts.init_db builds it).
            pymongo.IndexModel(
                [("at", ASC)], name="retention", expireAfterSeconds=EVENT_RETENTION_SECONDS
            ),
            pymongo.IndexModel(
                [("at", ASC), ("seq", ASC)],
                name="unpublished",
                partialFilterExpression={"published": False},
            ),
        ]


# Indexes an earlier release created that nothing uses any more: `scripts.init_db --drop-retired`
# drops them once their replacements exist.
RETIRED_INDEXES: dict[str, list[str]] = {
    "messages": ["user_time"],
    "exercises": ["user_completed"],
}

DOCUMENT_MODELS: list[type[BaseDoc]] = [
    SessionEventDoc,
    UserDoc,
    SessionDoc,
    MessageDoc,
    ErrorStatDoc,
    ExerciseDoc,
    CostDailyDoc,
    CostTotalDoc,
    DailySetDoc,
    SkillCardDoc,
    AiUsageDoc,
    ProviderDailyDoc,
    CostDimDoc,
    ApiClientDoc,
    AnnotationDoc,
]
