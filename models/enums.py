"""Stored enum values (lower-case strings in MongoDB; the GraphQL layer exposes UPPER_CASE names)."""

from enum import Enum


class Role(str, Enum):
    USER = "user"
    ADMIN = "admin"


class SubscriptionTier(str, Enum):
    FREE = "free"
    PRO = "pro"
    PREMIUM = "premium"


class SessionStatus(str, Enum):
    ACTIVE = "active"
    COMPLETED = "completed"
    ABANDONED = "abandoned"


class MessageRole(str, Enum):
    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"


class ExerciseStatus(str, Enum):
    PENDING = "pending"
    COMPLETED = "completed"
    SKIPPED = "skipped"


class ExerciseType(str, Enum):
    FILL_IN_THE_BLANK = "fill_in_the_blank"
    MULTIPLE_CHOICE = "multiple_choice"
    ERROR_CORRECTION = "error_correction"
    SENTENCE_REORDER = "sentence_reorder"


CEFR_LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2")
