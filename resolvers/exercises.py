"""Exercise reads (generation and the lifecycle live in resolvers/practice/)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from models.rows import Row
from resolvers import validation as v
from resolvers.context import RequestContext
from resolvers.dataloaders import PageKey, Range
from resolvers.errors import BadUserInput, NotFound
from resolvers.pagination import Connection, Window
from resolvers.permissions import can_access_user, require_viewer
from resolvers.taxonomy import CATEGORIES


def utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def category_name(value: str) -> str:
    """A category as the taxonomy spells it (case-insensitive), or BAD_USER_INPUT."""
    for name in CATEGORIES:
        if name.casefold() == value.strip().casefold():
            return name
    raise BadUserInput(
        f"Unknown category {value!r}. Valid categories: {', '.join(CATEGORIES)}.",
        field="category",
        validCategories=list(CATEGORIES),
    )


async def get_exercise(ctx: RequestContext, exercise_id: str) -> Row:
    viewer = require_viewer(ctx)
    exercise = await ctx.loaders.exercise.load(v.plain_id(exercise_id, "id"))
    if exercise is None or not can_access_user(viewer, exercise["user_id"]):
        raise NotFound("Exercise not found.")
    return exercise


@dataclass(frozen=True, slots=True)
class ExerciseFilter:
    status: str | None = None
    category: str | None = None
    type: str | None = None
    outcome: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None

    def pairs(self) -> tuple[tuple[str, Any], ...]:
        out: list[tuple[str, Any]] = [
            (f, val)
            for f, val in (("status", self.status), ("type", self.type), ("outcome", self.outcome))
            if val is not None
        ]
        if self.category is not None:
            out.append(("category", category_name(self.category)))
        if self.created_from is not None or self.created_to is not None:
            start, end = utc(self.created_from), utc(self.created_to)
            if start is not None and end is not None and start >= end:
                raise BadUserInput("'from' must be before 'to'.", field="from")
            out.append(("created_at", Range(start, end)))
        return tuple(out)


async def exercises_of(
    ctx: RequestContext,
    user_id: str,
    window: Window,
    where: ExerciseFilter | None = None,
    count: bool = True,
) -> Connection:
    filters = where.pairs() if where else ()
    return await ctx.loaders.exercises_by_user.load(
        PageKey(user_id, window.size, window.cursor, filters, count, backward=window.backward)
    )
