"""The base of every stored document: ids, timestamps and the enum storage rule."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pymongo
from beanie import Document
from pydantic import ConfigDict


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
