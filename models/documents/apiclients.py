"""API clients (the tutor service's credentials)."""

from __future__ import annotations

from datetime import datetime

import pymongo
from pydantic import Field

from models.documents.base import DESC, BaseDoc, new_id, utcnow


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
