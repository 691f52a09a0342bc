"""Who may see what. A learner asking for someone else's data is told it does not exist.

Three kinds of caller: a learner sees their own data; an admin sees everyone's; a TUTOR
caller (the AI tutor service) reads the learners it serves and writes only the tutoring
turn (recordMessage, annotateMessage), never the admin-only fields (`users`, cost and
provider reports, API clients) and never a learner's own actions (profile, sessions,
ratings, practice).
"""

from __future__ import annotations

from resolvers.context import RequestContext
from resolvers.errors import BadUserInput, Forbidden, NotFound, Unauthenticated
from resolvers.viewer import Viewer


def require_viewer(ctx: RequestContext) -> Viewer:
    if ctx.viewer is None:
        raise Unauthenticated("Sign in: send 'Authorization: Bearer <token>'.", reason="missing")
    return ctx.viewer


def require_admin(ctx: RequestContext) -> Viewer:
    viewer = require_viewer(ctx)
    if not viewer.is_admin:
        raise Forbidden("Only admins may do this.")
    return viewer


def require_person(ctx: RequestContext) -> Viewer:
    """A learner or an admin: what the tutor service may not do on a learner's behalf."""
    viewer = require_viewer(ctx)
    if viewer.is_tutor:
        raise Forbidden(
            "TUTOR callers may read the learners they serve, record messages and annotate "
            "them; this is done by the learner (or an admin)."
        )
    return viewer


def require_tutor_or_admin(ctx: RequestContext) -> Viewer:
    viewer = require_viewer(ctx)
    if not (viewer.is_tutor or viewer.is_admin):
        raise Forbidden(
            "Only the tutor service (an API client with the TUTOR scope) or an admin may do this."
        )
    return viewer


def can_access_user(viewer: Viewer, user_id: str) -> bool:
    """Read access to a learner's data."""
    return viewer.is_admin or viewer.is_tutor or viewer.id == user_id


def ensure_user_access(ctx: RequestContext, user_id: str, what: str = "User") -> Viewer:
    viewer = require_viewer(ctx)
    if not can_access_user(viewer, user_id):
        raise NotFound(f"{what} not found.")
    return viewer


def subject_user(ctx: RequestContext, user_id: str | None, field: str = "userId") -> str:
    """Whose data a call is about: `userId` if given (self, admin or tutor), else the caller.
    An admin or a tutor is not a learner, so they must name the learner."""
    viewer = require_viewer(ctx)
    if user_id is None:
        if viewer.is_admin or viewer.is_tutor:
            raise BadUserInput(f"{viewer.kind.capitalize()}s must pass '{field}'.", field=field)
        return viewer.id
    if not isinstance(user_id, str) or not user_id or len(user_id) > 100:
        raise BadUserInput(f"'{field}' is not a valid id.", field=field)
    if not can_access_user(viewer, user_id):
        raise NotFound("User not found.")
    return user_id
