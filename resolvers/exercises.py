"""Exercise reads (generation and the lifecycle live in resolvers/practice.py)."""

from __future__ import annotations

from models.rows import Row
from resolvers import validation as v
from resolvers.context import RequestContext
from resolvers.dataloaders import PageKey
from resolvers.errors import NotFound
from resolvers.pagination import Connection, check_first
from resolvers.permissions import can_access_user, require_viewer


async def get_exercise(ctx: RequestContext, exercise_id: str) -> Row:
    viewer = require_viewer(ctx)
    exercise = await ctx.loaders.exercise.load(v.plain_id(exercise_id, "id"))
    if exercise is None or not can_access_user(viewer, exercise["user_id"]):
        raise NotFound("Exercise not found.")
    return exercise


async def exercises_of(
    ctx: RequestContext,
    user_id: str,
    first: int | None,
    after: str | None,
    status: str | None,
    count: bool = True,
) -> Connection:
    filters = (("status", status),) if status else ()
    return await ctx.loaders.exercises_by_user.load(
        PageKey(user_id, check_first(first), after, filters, count)
    )
