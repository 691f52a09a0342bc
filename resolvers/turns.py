"""tutorTurns and ackTurn: each new learner USER message, delivered to one tutor client
of a group, again (attempt + 1) to another if it is not acknowledged in time.

A turn is the message's MESSAGE_RECORDED event (resolvers/outbox.py): it is recorded as
part of the write, and handed to the turn queue when the event is published, by the
writer or, after a crash, by the maintenance pass. So nothing is lost between the answer
to `recordMessage` and the turn. Publishing twice is harmless: the queue adds a turn once
per event id (`TurnQueue.add`).

The queue is a consumer group per tutor group over one stream of turns, the semantics of
a Redis Stream consumer group: with REDIS_URL it is one (gateway/turn_stream.py, shared by
every replica), without it the same in process (`InProcessTurns`). A subscription is a
consumer; its name is `<caller id>/<consumer>` with `consumer` from connection_init's
payload (else one per subscription), so a client that reconnects under the same name gets
its unacknowledged turns back first. A turn delivered and not acknowledged within
TURN_ACK_TIMEOUT_SECONDS is claimed by the next consumer of the group that asks.
A group starts at the end of the stream when its first consumer subscribes: turns
recorded before any client of the group ever subscribed are not its turns.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass, field
from typing import Any

import structlog

from models.enums import MessageRole, SessionEventType
from models.rows import Row
from resolvers.cancellation import cancelling, raise_if_cancelling
from resolvers.context import RequestContext
from resolvers.dataloaders import Loaders
from resolvers.errors import BadUserInput, Forbidden, NotFound
from resolvers.permissions import require_viewer

log = structlog.get_logger("resolvers.turns")

# The key of the process's turn queue in the services' extras (the gateway puts it there).
TURNS_KEY = "turns"
# Longest wait for a turn before the subscription looks for overdue ones again: bounds
# how late a redelivery is after its deadline.
POLL_SECONDS = 1.0
# Turns one read takes (own pending on reconnect, overdue ones).
READ_BATCH = 20
# A turn held under this subscription's consumer name that this subscription never
# delivered, idle this long (or a tenth of the ack deadline, if shorter), was taken by an
# earlier connection of the same name that died unnoticed after this one started: it is
# delivered again here, not after two deadlines.
STRAY_SECONDS = 3.0
# Entries a subscription remembers having delivered (to tell its own from strays).
HANDED_MAX = 1000
GROUP_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
CONSUMER_NAME = re.compile(r"[A-Za-z0-9_.@-]{1,64}")


@dataclass
class Turn:
    entry: str  # the queue's id of the turn (a stream entry id)
    attempt: int  # deliveries so far, this one included
    event: dict[str, Any]  # the MESSAGE_RECORDED event: session and message rows


@dataclass
class TurnStats:
    """Process-wide counts the metrics read (`pending` across groups, refreshed by the
    maintenance pass and by every read)."""

    delivered: int = 0
    redelivered: int = 0
    pending: int = 0
    groups: dict[str, int] = field(default_factory=dict)


def is_turn(event: dict[str, Any]) -> bool:
    """A learner's utterance in a session still active: what the tutor service answers.
    One of a session that had ended (an imported history, a message the maintenance pass
    finished after the learner ended the session) has no reply to wait for, and the
    tutor's reply would be refused: handing it over would only spend a model call."""
    message = event.get("message") or {}
    recorded = event.get("type") == SessionEventType.MESSAGE_RECORDED
    active = (event.get("session") or {}).get("status", "active") == "active"
    return bool(recorded and active and message.get("role") == MessageRole.USER)


class TurnQueue(ABC):
    """One stream of turns, a consumer group per tutor group (Redis Stream semantics)."""

    def __init__(self, ack_timeout_s: float, maxlen: int, max_unacked: int = 16) -> None:
        self.ack_timeout_s = ack_timeout_s
        self.stray_s = min(STRAY_SECONDS, ack_timeout_s / 10)
        self.maxlen = maxlen
        self.max_unacked = max_unacked
        self.stats = TurnStats()

    @abstractmethod
    async def add(self, event: dict[str, Any]) -> bool:
        """Append the event's turn unless it was appended before (False then)."""

    @abstractmethod
    async def join(self, group: str, consumer: str) -> None:
        """Create the group (at the end of the stream) if it does not exist."""

    @abstractmethod
    async def take(
        self, group: str, consumer: str, *, own: bool, block_s: float, cursor: list[str]
    ) -> list[Turn]:
        """The next turns for `consumer`: its own unacknowledged ones when `own` (a
        reconnect), else overdue ones of any consumer of the group (claimed), else a new
        one (waiting up to `block_s`). `cursor` is the caller's scan position over overdue
        turns, kept between calls."""

    @abstractmethod
    async def strays(
        self, group: str, consumer: str, min_idle_s: float, handed: Collection[str]
    ) -> list[Turn]:
        """Turns pending under `consumer`, idle at least `min_idle_s`, not in `handed`
        (what this subscription delivered itself): taken again, attempt + 1."""

    @abstractmethod
    async def release(self, group: str, consumer: str, turns: list[Turn]) -> None:
        """Turns `consumer` took and never handed out (its subscription closed with them
        in hand): claimable by the group's other clients at once, their attempt as if
        this delivery had not been made."""

    @abstractmethod
    async def held(self, group: str, consumer: str, limit: int) -> int:
        """Turns delivered to `consumer` and not acknowledged yet, counted up to `limit`."""

    @abstractmethod
    async def ack(self, group: str, entry: str) -> bool:
        """True when the turn is (now, or already) acknowledged; False: no such turn."""

    @abstractmethod
    async def leave(self, group: str, consumer: str) -> None:
        """The subscription ended: forget the consumer if it holds no turns."""

    @abstractmethod
    async def refresh(self) -> int:
        """Recount the pending turns of every group (the metric); returns the total."""

    async def close(self) -> None:
        return None


@dataclass
class _Pending:
    consumer: str
    delivered_at: float
    count: int


def overdue_for(p: _Pending, consumer: str, now: float, queue: TurnQueue) -> bool:
    """Another consumer's turn past the deadline; this consumer's own only after two
    deadlines (no other client took it: it gets one more chance itself)."""
    idle = now - p.delivered_at
    if p.consumer != consumer:
        return idle >= queue.ack_timeout_s
    return idle >= 2 * queue.ack_timeout_s


@dataclass
class _Group:
    last: int  # the last entry handed to a consumer of this group
    pending: dict[int, _Pending] = field(default_factory=dict)
    consumers: set[str] = field(default_factory=set)


class InProcessTurns(TurnQueue):
    """The queue without Redis: one process, the same semantics (tests and `make run`)."""

    def __init__(self, ack_timeout_s: float, maxlen: int, max_unacked: int = 16) -> None:
        super().__init__(ack_timeout_s, maxlen, max_unacked)
        self.entries: dict[int, dict[str, Any]] = {}
        self.next = 1
        self.seen: dict[str, int] = {}  # event id -> entry (dropped with the entry)
        self.groups: dict[str, _Group] = {}
        self._changed = asyncio.Event()

    async def add(self, event: dict[str, Any]) -> bool:
        if event["_id"] in self.seen:
            return False
        n = self.next
        self.next += 1
        self.entries[n] = event
        self.seen[event["_id"]] = n
        while len(self.entries) > self.maxlen:  # like MAXLEN: the oldest go, acked or not
            oldest = next(iter(self.entries))
            gone = self.entries.pop(oldest)
            self.seen.pop(gone["_id"], None)
        self._notify()
        return True

    async def join(self, group: str, consumer: str) -> None:
        g = self.groups.setdefault(group, _Group(last=self.next - 1))
        g.consumers.add(consumer)

    def _deliver(self, g: _Group, n: int, consumer: str) -> Turn | None:
        event = self.entries.get(n)
        if event is None:  # trimmed away: nothing left to deliver
            g.pending.pop(n, None)
            return None
        p = g.pending.get(n)
        if p is None:
            p = g.pending[n] = _Pending(consumer, 0.0, 0)
        p.consumer, p.delivered_at, p.count = consumer, time.monotonic(), p.count + 1
        return Turn(str(n), p.count, event)

    async def take(
        self, group: str, consumer: str, *, own: bool, block_s: float, cursor: list[str]
    ) -> list[Turn]:
        g = self.groups[group]
        if own:
            after = int(cursor[0]) if cursor[0].isdigit() else 0
            mine = sorted(n for n, p in g.pending.items() if p.consumer == consumer and n > after)
            if mine[:READ_BATCH]:
                cursor[0] = str(mine[:READ_BATCH][-1])
            return [t for n in mine[:READ_BATCH] if (t := self._deliver(g, n, consumer))]
        deadline = time.monotonic() + block_s
        while True:
            now = time.monotonic()
            overdue = [n for n, p in g.pending.items() if overdue_for(p, consumer, now, self)]
            claimed = [t for n in overdue[:READ_BATCH] if (t := self._deliver(g, n, consumer))]
            if claimed:
                return claimed
            fresh = [n for n in self.entries if n > g.last][:1]
            if fresh:
                g.last = fresh[0]
                turn = self._deliver(g, fresh[0], consumer)
                return [turn] if turn is not None else []
            left = min(deadline, self._next_due(g, consumer)) - time.monotonic()
            if left <= 0:
                if time.monotonic() >= deadline:
                    return []
                continue
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except TimeoutError:
                continue

    async def strays(
        self, group: str, consumer: str, min_idle_s: float, handed: Collection[str]
    ) -> list[Turn]:
        g = self.groups[group]
        now = time.monotonic()
        lost = sorted(
            n
            for n, p in g.pending.items()
            if p.consumer == consumer
            and now - p.delivered_at >= min_idle_s
            and str(n) not in handed
        )
        return [t for n in lost[:READ_BATCH] if (t := self._deliver(g, n, consumer))]

    async def release(self, group: str, consumer: str, turns: list[Turn]) -> None:
        g = self.groups[group]
        for turn in turns:
            p = g.pending.get(int(turn.entry))
            # Still this delivery's: not claimed since by another client (or by another
            # connection of this consumer), which would count one more delivery.
            if p is not None and p.consumer == consumer and p.count == turn.attempt:
                p.delivered_at = time.monotonic() - self.ack_timeout_s
                p.count = max(0, p.count - 1)
        self._notify()

    def _notify(self) -> None:
        """Wake every `take` waiting: a new turn, or one handed back."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def held(self, group: str, consumer: str, limit: int) -> int:
        g = self.groups[group]
        return min(limit, sum(1 for p in g.pending.values() if p.consumer == consumer))

    def _next_due(self, g: _Group, consumer: str) -> float:
        """When the next pending turn becomes claimable by `consumer`."""
        due = [
            p.delivered_at + self.ack_timeout_s * (1 if p.consumer != consumer else 2)
            for p in g.pending.values()
        ]
        return min(due, default=float("inf"))

    async def ack(self, group: str, entry: str) -> bool:
        g = self.groups.get(group)
        if g is None or not entry.isdigit():
            return False
        n = int(entry)
        if g.pending.pop(n, None) is not None:
            return True
        return n <= g.last and n in self.entries  # acknowledged before

    async def leave(self, group: str, consumer: str) -> None:
        g = self.groups.get(group)
        if g is not None and not any(p.consumer == consumer for p in g.pending.values()):
            g.consumers.discard(consumer)

    async def refresh(self) -> int:
        self.stats.groups = {name: len(g.pending) for name, g in self.groups.items()}
        self.stats.pending = sum(self.stats.groups.values())
        return self.stats.pending


def queue_of(ctx: RequestContext) -> TurnQueue:
    queue = ctx.extras.get(TURNS_KEY)
    if not isinstance(queue, TurnQueue):
        raise RuntimeError("tutorTurns needs the gateway's turn queue")
    return queue


def require_tutor(ctx: RequestContext) -> None:
    if not require_viewer(ctx).is_tutor:
        raise Forbidden("Only the tutor service (a caller with the TUTOR scope) receives turns.")


def _group(group: str) -> str:
    if not GROUP_NAME.fullmatch(group):
        raise BadUserInput("A group is 1 to 64 letters, digits, '_', '.' or '-'.", field="group")
    return group


def consumer_name(ctx: RequestContext) -> str:
    """`<caller id>/<name>`: the connection's own name (connection_init's `consumer`), so a
    reconnect finds its turns, or a fresh one per subscription."""
    viewer = require_viewer(ctx)
    name = ctx.consumer or uuid.uuid4().hex[:12]
    return f"{viewer.id}/{name}"


def turn_id(group: str, entry: str) -> str:
    return f"{group}:{entry}"


async def tutor_turns(ctx: RequestContext, group: str) -> AsyncIterator[DeliveredTurn]:
    """The group's turns for this subscription, one at a time, until it ends."""
    require_tutor(ctx)
    group = _group(group)
    queue = queue_of(ctx)
    consumer = consumer_name(ctx)
    await queue.join(group, consumer)
    cursor = ["0-0"]
    own = True  # first the turns this consumer held when it went away
    handed: OrderedDict[str, None] = OrderedDict()
    strays_due = time.monotonic() + queue.stray_s
    held = 0  # an upper bound of the turns this consumer holds, recounted at the cap
    try:
        while True:
            # without this an ended subscription kept reading turns until one failed to
            # send (40-60 s)
            raise_if_cancelling()
            reason = "consumer reconnected" if own else "not acknowledged in time"
            # Turns an earlier connection of this consumer held (it may have them and be
            # working on them): never handed back early, they keep their ack deadline.
            earlier = own
            turns: list[Turn] = []
            if not own and time.monotonic() >= strays_due:
                strays_due = time.monotonic() + queue.stray_s
                turns = await queue.strays(group, consumer, queue.stray_s, handed)
                reason = "an earlier connection of this consumer went away"
                earlier = bool(turns)
            if not turns and not own and held >= queue.max_unacked:
                held = await queue.held(group, consumer, queue.max_unacked)
                if held >= queue.max_unacked:
                    # Full: take nothing new, so the group's other clients get the turns.
                    await asyncio.sleep(POLL_SECONDS)
                    continue
            if not turns:
                turns = await queue.take(
                    group, consumer, own=own, block_s=POLL_SECONDS, cursor=cursor
                )
                if own and len(turns) < READ_BATCH:
                    own, cursor[0] = False, "0-0"
            if cancelling():
                # A read that answered as the subscription ended swallowed the
                # cancellation: its turns go to nobody now, and back to the group at once.
                if not earlier:
                    await _release(queue, group, consumer, turns)
                raise asyncio.CancelledError
            for i, turn in enumerate(turns):
                if turn.attempt > 1:
                    queue.stats.redelivered += 1
                    log.info(
                        "turn_redelivered",
                        turn=turn_id(group, turn.entry),
                        attempt=turn.attempt,
                        consumer=consumer,
                        reason=reason,
                    )
                queue.stats.delivered += 1
                held += 1
                handed[turn.entry] = None
                handed.move_to_end(turn.entry)
                if len(handed) > HANDED_MAX:
                    handed.popitem(last=False)
                # Unsent until the transport begins to write it (gateway/live_stream.py).
                ctx.unsent = True
                try:
                    yield _prepared(ctx, group, turn)
                except GeneratorExit:
                    # Closed with this turn and the rest of the read in hand. The rest
                    # never went out, nor did this one when the transport never began to
                    # write it (the caller's credential revoked, the connection gone or
                    # the subscription completed first): the group's other clients may
                    # take them now, not at the ack deadline. A turn whose write began
                    # may have reached the client: it waits for the deadline, as any.
                    unsent = turns[i:] if ctx.unsent else turns[i + 1 :]
                    if unsent and not earlier:
                        await _release(queue, group, consumer, unsent)
                    raise
    finally:
        await queue.leave(group, consumer)


async def _release(queue: TurnQueue, group: str, consumer: str, turns: list[Turn]) -> None:
    if not turns:
        return
    try:
        await queue.release(group, consumer, turns)
    except Exception as exc:  # Redis away: they come back at the deadline, as before
        log.warning("turn_release_failed", group=group, error=type(exc).__name__)
        return
    log.info("turns_released", group=group, consumer=consumer, count=len(turns))


@dataclass(frozen=True, slots=True)
class DeliveredTurn:
    """What the TutorTurn type reads: the rows as the write left them, and the learner's
    id for `learner` (loaded only when selected)."""

    id: str
    attempt: int
    message: Row
    session: Row
    user_id: str


def _prepared(ctx: RequestContext, group: str, turn: Turn) -> DeliveredTurn:
    """Fresh loaders per turn, primed with the event's rows: the turn shows the message
    and session as the write left them, with no database read racing it."""
    ctx.loaders.release()
    ctx.loaders = Loaders(ctx.db, ctx.settings.error_half_life_days)
    event = turn.event
    session, message = Row(event["session"]), Row(event["message"])
    ctx.loaders.session.prime(event["session_id"], session, force=True)
    ctx.loaders.message.prime(message["_id"], message, force=True)
    return DeliveredTurn(
        turn_id(group, turn.entry), turn.attempt, message, session, event["user_id"]
    )


async def ack_turn(ctx: RequestContext, id: str) -> bool:
    require_tutor(ctx)
    group, _, entry = str(id).rpartition(":")
    if not GROUP_NAME.fullmatch(group) or not entry:
        raise NotFound("No such turn.")
    if not await queue_of(ctx).ack(group, entry):
        raise NotFound("No such turn.")
    log.info("turn_acked", turn=id, client=ctx.viewer and ctx.viewer.client)
    return True
