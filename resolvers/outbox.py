"""Session events: the outbox each change writes, and their fan-out to live subscribers.

MongoDB without a replica set has no transactions, so an event is not a separate write
that could be lost: it is one more repeatable step of the write that causes it, taken
before that write is marked done. `recordMessage` records its event before marking the
message applied, `annotateMessage` before marking the annotation applied; a crash before
that leaves the message (annotation) unapplied, and the maintenance pass that finishes it
records the event too. An event's `_id` is derived from its cause, so a repeated step
finds the event already there instead of adding a second one.

Each event carries the session and message rows as the step left them: a subscriber on
any replica answers its selection from the event, never from a read racing the write.
`seq` orders a session's events; it is allocated from the session row (`event_seq`), in
the same update that counts a new message. Events start `published: false`; the writer
publishes them (in process, and through Redis when the gateway relays them) and marks
them published; the maintenance pass publishes those a crash left behind (subscribers
drop a `seq` they already delivered, and put a late one back in order: resolvers/event_order.py).
They stay replayable for EVENT_RETENTION_SECONDS.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import structlog
from pymongo import ReturnDocument

from models.db import UNAVAILABLE_ERRORS, Database, DuplicateKeyError
from models.documents import EVENT_RETENTION_SECONDS, utcnow
from models.enums import SessionEventType
from resolvers.context import RequestContext
from resolvers.dataloaders import MESSAGE_HIDDEN, SESSION_HIDDEN
from resolvers.event_order import VOIDS
from resolvers.turns import TurnQueue, is_turn

log = structlog.get_logger("resolvers.outbox")

# The key of the process's hub in the services' extras (the gateway puts it there).
HUB_KEY = "live"
# Unpublished events the maintenance pass publishes: older than any live write takes.
PUBLISH_AFTER = timedelta(seconds=5)
EVENTS_BATCH = 500
SESSION_FIELDS_HIDDEN = SESSION_HIDDEN | {"event_seq", "end_event_pending"}
MESSAGE_FIELDS_HIDDEN = MESSAGE_HIDDEN | {"rating_event"}


class SlowConsumer(Exception):
    """The subscriber's buffer filled up: it reads slower than its events arrive."""


def event_id(session_id: str, seq: int) -> str:
    return f"{session_id}:{seq}"


# An event's number is a MongoDB 64-bit integer: a longer one is no event id of ours (and
# would not encode into a query).
MAX_SEQ_DIGITS = 18


def split_event_id(text: str) -> tuple[str, int] | None:
    """(session id, seq) of an event id, or None for text that is not one. ASCII digits
    of a bounded length only: "²" passes isdigit() but not int(), and int() refuses a
    string of over 4,300 digits (either was an INTERNAL)."""
    sid, _, seq = text.rpartition(":")
    if not (seq.isascii() and seq.isdigit()) or len(seq) > MAX_SEQ_DIGITS:
        return None
    return sid, int(seq)


def _public(row: dict[str, Any] | None, hidden: frozenset[str]) -> dict[str, Any] | None:
    if row is None:
        return None
    return {k: val for k, val in row.items() if k not in hidden and k != "annotating"}


async def allocate(db: Database, session_id: str, user_id: str) -> dict[str, Any] | None:
    """The session row after taking the next event number (None: no such session)."""
    row: dict[str, Any] | None = await db.sessions.find_one_and_update(
        {"_id": session_id, "user_id": user_id},
        {"$inc": {"event_seq": 1}},
        projection={k: 0 for k in SESSION_HIDDEN},
        return_document=ReturnDocument.AFTER,
    )
    return row


async def record_event(
    db: Database,
    kind: SessionEventType,
    cause: str,
    session: dict[str, Any],
    message: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write the event of `cause` with the rows as they are now (once: a repeated step
    gets the stored event back). `session` is the row after its `event_seq` increment."""
    doc = {
        "_id": f"{cause}:{kind.value}",
        "session_id": session["_id"],
        "user_id": session["user_id"],
        "seq": int(session["event_seq"]),
        "type": kind.value,
        "at": utcnow(),
        "session": _public(session, SESSION_FIELDS_HIDDEN),
        "message": _public(message, MESSAGE_FIELDS_HIDDEN),
        "published": False,
    }
    try:
        await db.session_events.insert_one(doc)
    except DuplicateKeyError:
        existing: dict[str, Any] | None = await db.session_events.find_one({"_id": doc["_id"]})
        if existing is None:
            raise
        if int(existing["seq"]) != doc["seq"]:
            # Another attempt stored the event under its own number: this one's number
            # will never carry an event. Kept with the event, so no subscriber waits for
            # it whether the event reaches it now, from the maintenance pass or from a
            # relay's catch-up (resolvers/event_order.py). Not kept (the database away):
            # this publish still says so, and a subscriber that misses it waits once.
            try:
                await db.session_events.update_one(
                    {"_id": doc["_id"]}, {"$addToSet": {VOIDS: doc["seq"]}}
                )
            except UNAVAILABLE_ERRORS as exc:
                log.warning("event_void_not_kept", event_id=doc["_id"], error=type(exc).__name__)
            voids = sorted({*existing.get(VOIDS, ()), doc["seq"]})
            existing = {**existing, VOIDS: voids}
        return existing
    return doc


async def record_change(
    db: Database,
    kind: SessionEventType,
    cause: str,
    session_id: str,
    user_id: str,
    message: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    session = await allocate(db, session_id, user_id)
    if session is None:
        return None
    return await record_event(db, kind, cause, session, message)


class Subscriber:
    """One subscription's buffer: bounded, so a slow reader is cut off, not grown."""

    __slots__ = ("_waiter", "events", "limit", "overflowed", "session_id")

    def __init__(self, session_id: str, limit: int) -> None:
        self.session_id = session_id
        self.limit = limit
        # A deque only while events wait, a future only while the reader waits: an idle
        # subscriber holds neither (each deque is ~600 bytes; W5, memory per subscriber).
        self.events: deque[dict[str, Any]] | None = None
        self.overflowed = False
        self._waiter: asyncio.Future[None] | None = None

    def put(self, event: dict[str, Any]) -> None:
        if self.events is None:
            self.events = deque()
        if len(self.events) >= self.limit:
            self.overflowed = True
        else:
            self.events.append(event)
        if self._waiter is not None:
            _wake(self._waiter)

    async def get(self, wait_s: float | None = None) -> dict[str, Any] | None:
        """The next event; None when `wait_s` seconds pass without one (a subscription
        waiting for a missing seq: resolvers/event_order.py)."""
        while not self.events:
            if self.overflowed:
                raise SlowConsumer(f"more than {self.limit} events waiting")
            if wait_s is not None and wait_s <= 0:
                return None
            loop = asyncio.get_running_loop()
            waiter = self._waiter = loop.create_future()
            timer = None if wait_s is None else loop.call_later(wait_s, _wake, waiter)
            try:
                await waiter
            finally:
                self._waiter = None
                if timer is not None:
                    timer.cancel()
            if wait_s is not None and not self.events:
                return None
        if self.overflowed:
            raise SlowConsumer(f"more than {self.limit} events waiting")
        event = self.events.popleft()
        if not self.events:
            self.events = None
        return event

    def drain(self) -> list[dict[str, Any]]:
        """What is waiting, taken at once (a subscription closing a gap: resolvers/live.py)."""
        events = list(self.events or ())
        self.events = None
        return events


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class LiveHub:
    """The process's subscribers by session. `relay` (set by the gateway when REDIS_URL
    is set) carries each published event to the other replicas, whose hubs `deliver` it;
    `turns` (resolvers/turns.py) receives each learner message's event as a tutor turn."""

    def __init__(self, buffer_limit: int = 256, turns: TurnQueue | None = None) -> None:
        self.buffer_limit = buffer_limit
        self.subscribers: dict[str, set[Subscriber]] = {}
        self.relay: Callable[[dict[str, Any]], Awaitable[None]] | None = None
        self.turns = turns
        self.delivered = 0

    def subscribe(self, session_id: str) -> Subscriber:
        sub = Subscriber(session_id, self.buffer_limit)
        self.subscribers.setdefault(session_id, set()).add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        subs = self.subscribers.get(sub.session_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self.subscribers[sub.session_id]

    @property
    def active(self) -> int:
        return sum(len(s) for s in self.subscribers.values())

    def deliver(self, event: dict[str, Any]) -> None:
        for sub in tuple(self.subscribers.get(event["session_id"], ())):
            sub.put(event)

    async def publish(self, event: dict[str, Any]) -> None:
        """Raises when the relay or the turn queue failed: the event stays unpublished and
        is published again (both drop what they already have)."""
        self.deliver(event)
        if self.relay is not None:
            await self.relay(event)
        if self.turns is not None and is_turn(event):
            await self.turns.add(event)


async def publish(db: Database, hub: LiveHub | None, events: list[dict[str, Any]]) -> None:
    """Send `events` to the subscribers, then mark them published. A failed relay leaves
    them unpublished: the maintenance pass sends them again.

    The mark only spares the pass that work, so losing it (a stepdown: `updateMany` is not
    a retryable write, the driver hands over the first error) is logged, not raised: the
    write that caused the events is done, and answering it SERVICE_UNAVAILABLE had clients
    retry it (a learner message without a key stored twice)."""
    if hub is None or not events:
        return
    sent = []
    for event in events:
        try:
            await hub.publish(event)
        except Exception as exc:  # the relay or the turn stream (Redis) failed
            log.warning("event_relay_failed", error=type(exc).__name__, event_id=event["_id"])
            continue
        sent.append(event["_id"])
    if not sent:
        return
    try:
        await db.session_events.update_many(
            {"_id": {"$in": sent}, "published": False}, {"$set": {"published": True}}
        )
    except UNAVAILABLE_ERRORS as exc:
        log.warning("event_mark_failed", error=type(exc).__name__, events=len(sent))


def hub_of(ctx: RequestContext) -> LiveHub | None:
    hub = ctx.extras.get(HUB_KEY)
    return hub if isinstance(hub, LiveHub) else None


async def publish_pending(
    db: Database, hub: LiveHub, older_than: timedelta = PUBLISH_AFTER, batch: int = EVENTS_BATCH
) -> int:
    """Publish the events whose writer died (or whose relay failed) before publishing."""
    cutoff = utcnow() - older_than
    pending = await (
        db.session_events.find({"published": False, "at": {"$lte": cutoff}})
        .sort([("at", 1), ("seq", 1)])
        .limit(batch)
        .to_list(None)
    )
    await publish(db, hub, pending)
    if pending:
        log.warning("pending_events_published", count=len(pending))
    return len(pending)


async def prune_events(db: Database, retention_s: int = EVENT_RETENTION_SECONDS) -> int:
    """Drop events past their retention (the TTL index does it on a real server too)."""
    result = await db.session_events.delete_many(
        {"at": {"$lt": utcnow() - timedelta(seconds=retention_s)}}
    )
    return int(result.deleted_count)


# A relay that lost its subscription replays at most this many events (the newest kept
# out are logged: their subscribers resume with `after`), SESSIONS_PER_QUERY sessions at a
# time.
CATCH_UP_MAX = 10_000
SESSIONS_PER_QUERY = 500


async def catch_up(db: Database, hub: LiveHub, since: datetime, limit: int = CATCH_UP_MAX) -> int:
    """Hand this process's subscribers the events recorded since `since`: what another
    replica published while this one's pub/sub subscription was gone (pub/sub keeps
    nothing for an absent subscriber). Called after the subscription is back, before any
    message it receives, so each missed event is in MongoDB by then (an event is stored
    before it is published) and arrives ahead of later live ones; subscribers drop a `seq`
    they already delivered. Only sessions someone here is subscribed to are read."""
    sessions = list(hub.subscribers)
    replayed = 0
    for start in range(0, len(sessions), SESSIONS_PER_QUERY):
        if replayed >= limit:
            log.warning("relay_catch_up_truncated", limit=limit, sessions=len(sessions))
            break
        events = await (
            db.session_events.find(
                {
                    "session_id": {"$in": sessions[start : start + SESSIONS_PER_QUERY]},
                    "at": {"$gte": since},
                }
            )
            .sort([("session_id", 1), ("seq", 1)])
            .limit(limit - replayed)
            .to_list(None)
        )
        for event in events:
            hub.deliver(event)
        replayed += len(events)
    return replayed
