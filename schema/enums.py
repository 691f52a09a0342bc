"""GraphQL enums: UPPER_CASE names over the lower-case values stored in MongoDB."""

import strawberry

from models import enums

Role = strawberry.enum(enums.Role, name="Role")
SubscriptionTier = strawberry.enum(enums.SubscriptionTier, name="SubscriptionTier")
SessionStatus = strawberry.enum(enums.SessionStatus, name="SessionStatus")
MessageRole = strawberry.enum(enums.MessageRole, name="MessageRole")
ExerciseStatus = strawberry.enum(enums.ExerciseStatus, name="ExerciseStatus")
ExerciseType = strawberry.enum(enums.ExerciseType, name="ExerciseType")


def value(member: object | None) -> str | None:
    """The stored string for an enum argument (None stays None)."""
    return None if member is None else str(getattr(member, "value", member))
