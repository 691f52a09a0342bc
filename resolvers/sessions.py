"""Tutoring sessions: start, end, read."""

from __future__ import annotations

from typing import Any

from models.db import Database
from models.documents import SessionDoc, utcnow
from models.enums import SessionEventType
from models.rows import Row
from resolvers import validation as v
from resolvers.context import RequestContext
from resolvers.dataloaders import SESSION_HIDDEN, PageKey, exclude
from resolvers.errors import BadUserInput, NotFound
from resolvers.outbox import hub_of, publish, record_change
from resolvers.pagination import Connection, Window
from resolvers.pending import Steps, Upkeep
from resolvers.permissions import can_access_user, require_viewer, subject_user

# The user's field listing sessions counted in `total_sessions` and maybe not stored yet,
# and how many it keeps: more starts of one learner at once than this, and a recount
# racing them may be one off again.
STARTING = "starting_sessions"
STARTING_MAX = 20


async def get_session(ctx: RequestContext, session_id: str) -> Row:
    viewer = require_viewer(ctx)
    session = await ctx.loaders.session.load(v.plain_id(session_id, "id"))
    if session is None or not can_access_user(viewer, session["user_id"]):
        raise NotFound("Session not found.")
    return session


async def sessions_of(
    ctx: RequestContext,
    user_ids: list[str],
    window: Window,
    status: str | None,
    count: bool = True,
    cursors: bool = True,
) -> list[Connection]:
    """One page per user, in order; all keys go to the loader at once."""
    filters = (("status", status),) if status else ()
    n, cursor, backward = window
    return await ctx.loaders.sessions_by_user.load_many(
        [
            PageKey(user_id, n, cursor, filters, count, None, cursors, backward)
            for user_id in user_ids
        ]
    )


async def start_session(
    ctx: RequestContext, user_id: str | None, topic: str | None, provider: str | None
) -> Row:
    user_id = subject_user(ctx, user_id)
    doc = SessionDoc(
        user_id=user_id,
        topic=v.text(topic, "topic", max_len=200),
        provider=v.name(provider, "provider"),
    ).to_mongo()
    # Check existence and bump the user's counters in one round trip. The session's id
    # goes in `starting_sessions` with the increment and out once the row is stored: a
    # recount of `total_sessions` (resolvers/rebuild.py) that reads the user between the
    # two counts it once, whether or not its count of `sessions` saw the row yet.
    user = await ctx.db.users.find_one_and_update(
        {"_id": user_id},
        {
            "$inc": {"total_sessions": 1},
            "$max": {"last_active": doc["started_at"]},
            "$push": {
                STARTING: {
                    "$each": [{"id": doc["_id"], "at": doc["started_at"]}],
                    "$slice": -STARTING_MAX,
                }
            },
        },
        projection={"_id": 1},
    )
    if user is None:
        raise NotFound("User not found.")
    await ctx.db.sessions.insert_one(doc)
    await ctx.db.users.update_one({"_id": user_id}, {"$pull": {STARTING: {"id": doc["_id"]}}})
    return Row({k: val for k, val in doc.items() if k not in SESSION_HIDDEN})


async def end_session(ctx: RequestContext, session_id: str, status: str) -> Row:
    session = await get_session(ctx, session_id)
    if status == "active":
        raise BadUserInput("A session ends as COMPLETED or ABANDONED.", field="status")
    if session["status"] != "active":
        if session["status"] == status:
            return session  # a retried endSession is answered, not refused
        raise BadUserInput(f"The session already ended as {session['status'].upper()}.", field="id")
    now = utcnow()
    # `end_event_pending` is written with the end: a process killed before the event is
    # recorded leaves it set, and the maintenance pass records the event
    # (`ENDS`).
    result = await ctx.db.sessions.update_one(
        {"_id": session_id, "user_id": session["user_id"], "status": "active"},
        {"$set": {"status": status, "ended_at": now, "end_event_pending": True}},
    )
    if result.modified_count == 0:  # lost a race with another endSession
        return await _reload(ctx, session_id)
    ended = Row({**session, "status": status, "ended_at": now})
    event = await _record_end(ctx.db, session_id, session["user_id"])
    await publish(ctx.db, hub_of(ctx), [event] if event else [])
    ctx.loaders.session.prime(session_id, ended, force=True)
    return ended


async def _record_end(db: Database, session_id: str, user_id: str) -> dict[str, Any] | None:
    """The SESSION_ENDED event (once: its id is the session's), then the mark cleared."""
    event = await record_change(db, SessionEventType.SESSION_ENDED, session_id, session_id, user_id)
    await db.sessions.update_one(
        {"_id": session_id, "user_id": user_id}, {"$unset": {"end_event_pending": ""}}
    )
    return event


async def _finish_end(db: Database, row: dict[str, Any], _upkeep: Upkeep) -> bool:
    await _record_end(db, row["_id"], row["user_id"])
    return True


# Ends whose SESSION_ENDED event a process killed right after endSession's write did not
# record: the maintenance pass records them (resolvers/pending.py; the event's id is the
# session's, so a repeat records nothing) and publishes them next.
ENDS = Steps(
    "session_ends",
    "sessions",
    {"end_event_pending": True},
    "ended_at",
    _finish_end,
    nominate={"_id": 1, "user_id": 1},
)


async def _reload(ctx: RequestContext, session_id: str) -> Row:
    doc = await ctx.db.sessions.find_one({"_id": session_id}, exclude(SESSION_HIDDEN))
    if doc is None:
        raise NotFound("Session not found.")
    ctx.loaders.session.prime(session_id, Row(doc), force=True)
    return Row(doc)
