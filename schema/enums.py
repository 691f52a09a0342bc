"""GraphQL enums: UPPER_CASE names over the lower-case values stored in MongoDB.

strawberry.enum registers the model enums in place, so the same classes serve both layers.
"""

import strawberry

from models.enums import (
    ApiScope,
    ExerciseOutcome,
    ExerciseStatus,
    ExerciseType,
    MessageRole,
    ProgressBucket,
    Role,
    SessionEventType,
    SessionStatus,
    SubscriptionTier,
)

for _enum in (
    ApiScope,
    Role,
    SubscriptionTier,
    SessionStatus,
    SessionEventType,
    MessageRole,
    ExerciseStatus,
    ExerciseType,
    ExerciseOutcome,
    ProgressBucket,
):
    strawberry.enum(_enum, name=_enum.__name__)

__all__ = [
    "ExerciseOutcome",
    "ExerciseStatus",
    "ExerciseType",
    "MessageRole",
    "ProgressBucket",
    "Role",
    "SessionEventType",
    "SessionStatus",
    "SubscriptionTier",
    "value",
]


def value(member: object | None) -> str | None:
    """The stored string for an enum argument (None stays None)."""
    return None if member is None else str(getattr(member, "value", member))
