"""Stored enum values: lower-case strings in MongoDB; GraphQL exposes the UPPER_CASE names."""

from enum import StrEnum


class Role(StrEnum):
    USER = "user"
    ADMIN = "admin"


class SubscriptionTier(StrEnum):
    FREE = "free"
    PRO = "pro"
    PREMIUM = "premium"


class ApiScope(StrEnum):
    TUTOR = "tutor"


class SessionStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    ABANDONED = "abandoned"


class SessionEventType(StrEnum):
    MESSAGE_RECORDED = "message_recorded"
    MESSAGE_ANNOTATED = "message_annotated"
    MESSAGE_RATED = "message_rated"
    SESSION_ENDED = "session_ended"


class MessageRole(StrEnum):
    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"


class ExerciseStatus(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    SKIPPED = "skipped"
    # Left unanswered past PENDING_TTL_DAYS (resolvers/practice/generate.py); reviews never.
    EXPIRED = "expired"


class ExerciseOutcome(StrEnum):
    CORRECT = "correct"
    INCORRECT = "incorrect"
    SKIPPED = "skipped"


class ProgressBucket(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class ExerciseType(StrEnum):
    FILL_IN_THE_BLANK = "fill_in_the_blank"
    MULTIPLE_CHOICE = "multiple_choice"
    ERROR_CORRECTION = "error_correction"
    SENTENCE_REORDER = "sentence_reorder"


CEFR_LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2")
