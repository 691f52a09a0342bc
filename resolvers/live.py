"""sessionEvents: a session's stored events after a given one, then its live ones.

The events themselves (the outbox and the fan-out) are `resolvers/outbox.py`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from models.enums import SessionEventType
from models.rows import Row
from resolvers import validation as v
from resolvers.cancellation import raise_if_cancelling
from resolvers.context import RequestContext
from resolvers.dataloaders import Loaders
from resolvers.errors import BadUserInput
from resolvers.outbox import event_id, hub_of
from resolvers.sessions import get_session

# A replay (`after:`) reads this many events per query.
REPLAY_PAGE = 200


def parse_after(after: str | None, session_id: str) -> int:
    """The `seq` of an event id of this session (0: from the start)."""
    if after is None:
        return 0
    sid, _, seq = str(after).rpartition(":")
    if sid != session_id or not seq.isdigit():
        raise BadUserInput("'after' is not an event id of this session.", field="after")
    return int(seq)


def as_row(event: dict[str, Any]) -> Row:
    """The event as the SessionEvent type reads it."""
    return Row(
        {
            "_id": event_id(event["session_id"], event["seq"]),
            "type": event["type"],
            "at": event["at"],
            "session": Row(event["session"]),
            "message": Row(event["message"]) if event.get("message") else None,
        }
    )


async def session_events(
    ctx: RequestContext, session_id: str, after: str | None
) -> AsyncIterator[Row]:
    """The session's events after `after` (stored ones first, in order), then live ones,
    each once; ends after SESSION_ENDED. Another learner's session is NOT_FOUND, like a
    missing one."""
    sid = v.plain_id(session_id, "sessionId")
    last = parse_after(after, sid)
    session = await get_session(ctx, sid)
    active = session["status"] == "active"
    del session  # an idle subscription holds no rows (W5: memory per subscriber)
    hub = hub_of(ctx)
    if hub is None:
        raise RuntimeError("sessionEvents needs the gateway's live hub")
    sub = hub.subscribe(sid)  # before the replay: nothing falls between the two
    try:
        if after is not None:
            while True:
                page = await (
                    ctx.db.session_events.find({"session_id": sid, "seq": {"$gt": last}})
                    .sort([("seq", 1)])
                    .limit(REPLAY_PAGE)
                    .to_list(None)
                )
                # the read may have swallowed the cancellation of an ended subscription:
                # its page goes to nobody and the replay stops here
                raise_if_cancelling()
                for event in page:
                    last = event["seq"]
                    yield _prepared(ctx, event)
                    if event["type"] == SessionEventType.SESSION_ENDED:
                        return
                if len(page) < REPLAY_PAGE:
                    break
        elif not active:
            return
        ctx.loaders.release()  # what the subscribe step loaded; each event primes its own
        while True:
            event = await sub.get()
            if event["seq"] <= last:
                continue  # replayed already, or published twice
            last = event["seq"]
            ended = event["type"] == SessionEventType.SESSION_ENDED
            yield _prepared(ctx, event)
            # Resumed once the event went out: an idle subscription holds neither it nor
            # the rows its delivery primed until the next one (W5: memory per subscriber).
            del event
            ctx.loaders.release()
            if ended:
                return
    finally:
        hub.unsubscribe(sub)


def _prepared(ctx: RequestContext, event: dict[str, Any]) -> Row:
    """Fresh loaders per event, primed with its rows: what the subscriber selects below
    the event (`message { session { ... } }`) is the state the event recorded, and a
    long subscription never accumulates rows."""
    ctx.loaders.release()
    ctx.loaders = Loaders(ctx.db, ctx.settings.error_half_life_days)
    row = as_row(event)
    ctx.loaders.session.prime(event["session_id"], row["session"], force=True)
    if row["message"] is not None:
        ctx.loaders.message.prime(row["message"]["_id"], row["message"], force=True)
    hub = hub_of(ctx)
    if hub is not None:
        hub.delivered += 1
    return row
