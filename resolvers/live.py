"""sessionEvents: a session's stored events after a given one, then its live ones.

The events themselves (the outbox and the fan-out) are `resolvers/outbox.py`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import structlog

from models.db import UNAVAILABLE_ERRORS
from models.enums import SessionEventType
from models.rows import Row
from resolvers import validation as v
from resolvers.cancellation import raise_if_cancelling
from resolvers.context import RequestContext
from resolvers.dataloaders import Loaders
from resolvers.errors import BadUserInput
from resolvers.event_order import IN_FLIGHT_MAX, InOrder
from resolvers.outbox import event_id, hub_of, split_event_id
from resolvers.sessions import get_session

# A replay (`after:`) reads this many events per query.
REPLAY_PAGE = 200
log = structlog.get_logger("resolvers.live")


def parse_after(after: str | None, session_id: str) -> int:
    """The `seq` of an event id of this session (0: from the start)."""
    if after is None:
        return 0
    split = split_event_id(str(after))
    if split is None or split[0] != session_id:
        raise BadUserInput(
            "'after' is not an event id of this session: pass the `id` of an event this "
            "subscription delivered, or '<sessionId>:0' for all of them.",
            field="after",
        )
    return split[1]


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
        if start > count:
            # Every event id this session gave out is numbered at most `count`: a later
            # one was made up, and its stream would wait, silent, for that many events.
            raise BadUserInput(
                "'after' is not an event id of this session: it has numbered "
                f"{count} events so far.",
                field="after",
            )
        ending = bool(session.get("end_event_pending"))
        del session  # an idle subscription holds no rows (W5: memory per subscriber)
        order = InOrder(
            start if after is not None else count, ctx.settings.event_gap_wait_ms / 1000
        )
        if after is not None:
            while True:
                page = await _stored(ctx, sid, {"$gt": order.last}, REPLAY_PAGE)
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
        elif active:
            # Writes that took their number before the row was read and have not published
            # yet: their events are this subscription's too.
            order.expect(await _in_flight(ctx, sid, count))
        if not active and not ending:
            return  # its SESSION_ENDED is stored: replayed above, or seen before `after`
        ctx.loaders.release()  # what the subscribe step loaded; each event primes its own
        while True:
            got = await sub.get(order.wait_left())
            if got is None:  # waited long enough for a missing seq: MongoDB has it or nobody
                stored = await _gap(ctx, sid, order.gap())
                raise_if_cancelling()
                ready = order.expired([*stored, *sub.drain()])
                del stored
            else:
                ready = order.offer(got)
            del got
            for event in ready:
                if event["type"] == SessionEventType.SESSION_ENDED:
                    # The last event: a write still on its way behind it is read once more.
                    for late in await _gap(ctx, sid, order.skipped()):
                        for one in order.offer(late):
                            yield _prepared(ctx, one)
                    yield _prepared(ctx, event)
                    return
                yield _prepared(ctx, event)
            # Resumed once the events went out: an idle subscription holds neither them
            # nor the rows their delivery primed until the next one (W5: memory per
            # subscriber).
            del ready
            ctx.loaders.release()
    finally:
        hub.unsubscribe(sub)


async def _stored(
    ctx: RequestContext, sid: str, seq: dict[str, Any], limit: int
) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = await (
        ctx.db.session_events.find({"session_id": sid, "seq": seq})
        .sort([("seq", 1)])
        .limit(limit)
        .to_list(None)
    )
    return events


async def _in_flight(ctx: RequestContext, sid: str, count: int) -> list[int]:
    """The numbers of the last IN_FLIGHT_MAX taken that no published event carries yet."""
    if count <= 0:
        return []
    low = max(0, count - IN_FLIGHT_MAX)
    published = {
        int(e["seq"])
        for e in await ctx.db.session_events.find(
            {"session_id": sid, "seq": {"$gt": low, "$lte": count}, "published": True},
            projection={"seq": 1, "_id": 0},
        ).to_list(None)
    }
    return [n for n in range(low + 1, count + 1) if n not in published]


async def _gap(
    ctx: RequestContext, sid: str, gap: tuple[int, int] | list[int] | None
) -> list[dict[str, Any]]:
    """The stored events of a gap ((after, before), or the numbers themselves): a writer
    that stored its event and died before publishing it, or one still on its way. A
    failed read is a gap nobody filled: the subscription goes on (a late event still
    arrives), it does not end."""
    if not gap:
        return []
    seq = {"$in": gap} if isinstance(gap, list) else {"$gt": gap[0], "$lt": gap[1]}
    events: list[dict[str, Any]] = []
    try:
        while True:
            page = await _stored(ctx, sid, seq, REPLAY_PAGE)
            events += page
            if len(page) < REPLAY_PAGE or isinstance(gap, list):
                return events
            seq = {"$gt": page[-1]["seq"], "$lt": gap[1]}
    except UNAVAILABLE_ERRORS as exc:
        log.warning("event_gap_read_failed", session_id=sid, error=type(exc).__name__)
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
