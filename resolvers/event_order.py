"""One subscription's events in `seq` order, none dropped because a later one came first.

A session's `seq` is taken from its row in the same update that counts the change
(resolvers/outbox.py), but the event is published a few steps later. Two writes to one
session (a tutor's reply and its annotation of the learner's message, or a write on
another replica, relayed through Redis) can therefore publish out of order: seq 8 before
seq 7. A subscription that only kept the highest seq it had delivered dropped the 7 as a
duplicate, and the learner's app never showed that change.

Here a later event waits while the ones before it are missing, up to a bound
(`wait_s`); when the bound passes, the subscription reads the missing ones from MongoDB
(every event is stored before it is published, so a writer that died before publishing
is found there) and delivers what it has in order. A seq that is still missing then is a
number no event will ever carry (a repeated step takes a new one) or a writer slower than
the bound: it is remembered, and should its event come after all, it is delivered then,
late, rather than dropped. A repeated step that knows its number is lost (the event was
stored under another attempt's) says so when it publishes (VOIDS), so nobody waits for it.
"""

from __future__ import annotations

import time
from typing import Any

# Missing seqs a subscription remembers after giving up waiting for them (the highest
# ones): a late event older than these is a duplicate or long since replayable.
SKIPPED_MAX = 16
# Numbers below the session row's count a subscription without `after` still waits for
# (taken by writes in flight when it started).
IN_FLIGHT_MAX = 16
# A published event's list of numbers of its session that no event will carry: a repeated
# step whose own number lost to the stored event says so with it (resolvers/outbox.py).
VOIDS = "voids"
# Events held behind a gap before waiting ends early (a burst while the gap is open).
HELD_MAX = 256


class InOrder:
    """`offer` each arriving event; it returns the events to deliver now, in order."""

    __slots__ = ("_deadline", "_held", "_skipped", "last", "wait_s")

    def __init__(self, last: int, wait_s: float) -> None:
        # The highest seq delivered (or passed: a void, a number given up on); to start,
        # `after`'s, or without it the session row's count when the subscription began.
        self.last = last
        self.wait_s = wait_s
        # Only while a gap is open / after one was given up on: an idle subscription holds
        # neither (W5: memory per subscriber). Held: seq -> its event, or None for a
        # number VOIDS said no event will carry.
        self._held: dict[int, dict[str, Any] | None] | None = None
        self._skipped: set[int] | None = None
        self._deadline = 0.0

    def offer(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for number in event.get(VOIDS) or ():
            out += self._void(int(number))
        seq = int(event["seq"])
        if seq <= self.last:
            if self._late(seq):
                out.append(event)
            return out  # else delivered already (a replay, or published twice)
        if seq == self.last + 1:
            self.last = seq
            return [*out, event, *self._contiguous()]
        self._hold(seq, event)
        return out

    def _void(self, seq: int) -> list[dict[str, Any]]:
        if seq <= self.last:
            self._late(seq)  # nothing to wait for any more
            return []
        if seq == self.last + 1:
            self.last = seq
            return self._contiguous()
        self._hold(seq, None)
        return []

    def _hold(self, seq: int, event: dict[str, Any] | None) -> None:
        if self._held is None:
            self._held = {}
            self._deadline = time.monotonic() + self.wait_s
        if self._held.get(seq) is None:
            self._held[seq] = event
        if len(self._held) >= HELD_MAX:
            self._deadline = 0.0

    def replayed(self, seq: int) -> None:
        """A stored event delivered by the replay: seqs it stepped over may still be on
        their way (their writer had not stored them when the replay read)."""
        if seq > self.last + 1:
            self._skip(range(self.last + 1, seq))
        self.last = max(self.last, seq)

    def expect(self, seqs: list[int]) -> None:
        """Numbers at or below `last` whose events may still come: taken by a write, not
        yet published, when the subscription started counting from the session row."""
        self._skip(seqs)

    def skipped(self) -> list[int]:
        return sorted(self._skipped) if self._skipped else []

    def wait_left(self) -> float | None:
        """How long the caller may wait for the next event before calling `expired`
        (None: no gap is open, wait as long as it takes)."""
        if self._held is None:
            return None
        return max(0.0, self._deadline - time.monotonic())

    def gap(self) -> tuple[int, int] | None:
        """The seqs still missing, as (after, before): read from MongoDB when waiting ends."""
        if not self._held:
            return None
        return self.last, min(self._held)

    def expired(self, stored: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Waiting is over: `stored` are the missing events MongoDB had (any order). Every
        held and stored event goes out in seq order; the seqs still missing are skipped."""
        held = self._held or {}
        out: list[dict[str, Any]] = []
        for event in stored:
            for number in event.get(VOIDS) or ():
                if int(number) > self.last:
                    held.setdefault(int(number), None)
            seq = int(event["seq"])
            if seq > self.last and held.get(seq) is None:
                held[seq] = event
            elif self._late(seq):  # a late one already waiting in the buffer
                out.append(event)
        self._held = None
        for seq in sorted(held):
            if seq > self.last + 1:
                self._skip(range(self.last + 1, seq))
            self.last = seq
            one = held[seq]
            if one is not None:
                out.append(one)
        return out

    def _contiguous(self) -> list[dict[str, Any]]:
        held = self._held
        out: list[dict[str, Any]] = []
        if held is None:
            return out
        while self.last + 1 in held:
            self.last += 1
            event = held.pop(self.last)
            if event is not None:
                out.append(event)
        if not held:
            self._held = None
        elif out:  # the gap closed and another one further on opens: its own wait
            self._deadline = time.monotonic() + self.wait_s
        return out

    def _late(self, seq: int) -> bool:
        """Whether `seq` was given up on (and now comes after all: late, not lost); it is
        not waited for again."""
        if self._skipped is None or seq not in self._skipped:
            return False
        self._skipped.discard(seq)
        return True

    def _skip(self, seqs: range | list[int]) -> None:
        if not seqs:
            return
        skipped = self._skipped if self._skipped is not None else set()
        skipped.update(seqs[-SKIPPED_MAX:])
        while len(skipped) > SKIPPED_MAX:
            skipped.discard(min(skipped))
        self._skipped = skipped
