"""Annotations: the tutor service's corrections of a message's errors."""

from __future__ import annotations

from datetime import datetime

import pymongo
from pydantic import Field

from models.documents.base import ASC, BaseDoc, new_id, utcnow
from models.documents.messages import LanguageErrorDoc


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
    # The language the errors were checked in, written onto a message that had none, so an
    # own-sentence exercise knows the sentence's language after a switch of target.
    language: str | None = None

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
