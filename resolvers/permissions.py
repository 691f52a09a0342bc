"""Who may see what. A learner asking for someone else's data is told it does not exist."""

from __future__ import annotations

from resolvers.context import RequestContext
from resolvers.errors import BadUserInput, Forbidden, NotFound, Unauthenticated
from resolvers.viewer import Viewer


def require_viewer(ctx: RequestContext) -> Viewer:
    if ctx.viewer is None:
        raise Unauthenticated("Sign in: send 'Authorization: Bearer <token>'.")
    return ctx.viewer


def require_admin(ctx: RequestContext) -> Viewer:
    viewer = require_viewer(ctx)
    if not viewer.is_admin:
        raise Forbidden("Only admins may do this.")
    return viewer


def can_access_user(viewer: Viewer, user_id: str) -> bool:
    return viewer.is_admin or viewer.id == user_id


def ensure_user_access(ctx: RequestContext, user_id: str, what: str = "User") -> Viewer:
    viewer = require_viewer(ctx)
    if not can_access_user(viewer, user_id):
        raise NotFound(f"{what} not found.")
    return viewer


def subject_user(ctx: RequestContext, user_id: str | None, field: str = "userId") -> str:
    """Whose data a call is about: `userId` if given (self or admin), else the caller.
    An admin is not a learner, so an admin must name the learner."""
    viewer = require_viewer(ctx)
    if user_id is None:
        if viewer.is_admin:
            raise BadUserInput(f"Admins must pass '{field}'.", field=field)
        return viewer.id
    if not isinstance(user_id, str) or not user_id or len(user_id) > 100:
        raise BadUserInput(f"'{field}' is not a valid id.", field=field)
    if not can_access_user(viewer, user_id):
        raise NotFound("User not found.")
    return user_id
