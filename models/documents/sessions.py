"""Tutoring sessions and their event log (the outbox live subscribers read)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pymongo
from pydantic import Field

from models.documents.base import ASC, DESC, BaseDoc, new_id, utcnow
from models.enums import (
    SessionStatus,
)


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
