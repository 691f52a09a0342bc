"""The users collection."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pymongo
from pydantic import Field

from models.documents.base import ASC, DESC, BaseDoc, new_id, utcnow
from models.enums import (
    Role,
    SubscriptionTier,
)


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
