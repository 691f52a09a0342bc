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
from resolvers.event_order import HELD_MAX, InOrder
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
    in `seq` order and each once (resolvers/event_order.py: one published before an
    earlier one waits up to EVENT_GAP_WAIT_MS for it); ends after SESSION_ENDED. Another
    learner's session is NOT_FOUND, like a missing one."""
    sid = v.plain_id(session_id, "sessionId")
    start = parse_after(after, sid)
    hub = hub_of(ctx)
    if hub is None:
        raise RuntimeError("sessionEvents needs the gateway's live hub")
    # Subscribed before the session is read: every event numbered after that read
    # arrives here, so without `after` the live ones start from the row's count.
    sub = hub.subscribe(sid)
    try:
        session = await get_session(ctx, sid)
        active = session["status"] == "active"
        count = int(session.get("event_seq") or 0)
        wait_s = ctx.settings.event_gap_wait_ms / 1000
        order = InOrder(start if after is not None else count, wait_s)
        del session  # an idle subscription holds no rows (W5: memory per subscriber)
        if after is not None:
            while True:
                page = await (
                    ctx.db.session_events.find({"session_id": sid, "seq": {"$gt": order.last}})
                    .sort([("seq", 1)])
                    .limit(REPLAY_PAGE)
                    .to_list(None)
                )
                # the read may have swallowed the cancellation of an ended subscription:
                # its page goes to nobody and the replay stops here
                raise_if_cancelling()
                for event in page:
                    order.replayed(event["seq"])
                    yield _prepared(ctx, event)
                    if event["type"] == SessionEventType.SESSION_ENDED:
                        return
                if len(page) < REPLAY_PAGE:
                    break
        elif not active:
            return
        ctx.loaders.release()  # what the subscribe step loaded; each event primes its own
        while True:
            event = await sub.get(order.wait_left())
            if event is None:  # waited long enough for a missing seq: MongoDB has it or nobody
                ready = order.expired(await _missing(ctx, sid, order.gap()))
                raise_if_cancelling()
            else:
                ready = order.offer(event)
            del event
            for event in ready:
                ended = event["type"] == SessionEventType.SESSION_ENDED
                yield _prepared(ctx, event)
                if ended:
                    return
            # Resumed once the events went out: an idle subscription holds neither them
            # nor the rows their delivery primed until the next one (W5: memory per
            # subscriber).
            del ready
            ctx.loaders.release()
    finally:
        hub.unsubscribe(sub)


async def _missing(
    ctx: RequestContext, sid: str, gap: tuple[int, int] | None
) -> list[dict[str, Any]]:
    """The stored events of a gap (after, before): a writer that stored its event and died
    before publishing it, or one still on its way to publishing."""
    if gap is None:
        return []
    after, before = gap
    events: list[dict[str, Any]] = await (
        ctx.db.session_events.find({"session_id": sid, "seq": {"$gt": after, "$lt": before}})
        .sort([("seq", 1)])
        .limit(HELD_MAX)
        .to_list(None)
    )
    return events


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
