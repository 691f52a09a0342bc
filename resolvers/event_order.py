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
late, rather than dropped.
"""

from __future__ import annotations

import time
from typing import Any

# Missing seqs a subscription remembers after giving up waiting for them (the highest
# ones): a late event older than these is a duplicate or long since replayable.
SKIPPED_MAX = 64
# Events held behind a gap before waiting ends early (a burst while the gap is open).
HELD_MAX = 256


class InOrder:
    """`offer` each arriving event; it returns the events to deliver now, in order."""

    __slots__ = ("_deadline", "_held", "_skipped", "last", "wait_s")

    def __init__(self, last: int | None, wait_s: float) -> None:
        # The highest seq delivered; None: nothing yet and no `after` (the first live
        # event starts the count, the ones before it are history nobody asked for).
        self.last = last
        self.wait_s = wait_s
        # Only while a gap is open / after one was given up on: an idle subscription holds
        # neither (W5: memory per subscriber).
        self._held: dict[int, dict[str, Any]] | None = None
        self._skipped: set[int] | None = None
        self._deadline = 0.0

    def offer(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        seq = int(event["seq"])
        if self.last is None:
            self.last = seq
            return [event]
        if seq <= self.last:
            if self._skipped is not None and seq in self._skipped:
                self._skipped.discard(seq)  # given up on, and here after all: late, not lost
                return [event]
            return []  # delivered already (a replay, or published twice)
        if seq == self.last + 1:
            self.last = seq
            return [event, *self._contiguous()]
        if self._held is None:
            self._held = {}
            self._deadline = time.monotonic() + self.wait_s
        self._held.setdefault(seq, event)
        if len(self._held) >= HELD_MAX:
            self._deadline = 0.0
        return []

    def replayed(self, seq: int) -> None:
        """A stored event delivered by the replay: seqs it stepped over may still be on
        their way (their writer had not stored them when the replay read)."""
        if self.last is not None and seq > self.last + 1:
            self._skip(range(self.last + 1, seq))
        self.last = seq if self.last is None else max(self.last, seq)

    def wait_left(self) -> float | None:
        """How long the caller may wait for the next event before calling `expired`
        (None: no gap is open, wait as long as it takes)."""
        if self._held is None:
            return None
        return max(0.0, self._deadline - time.monotonic())

    def gap(self) -> tuple[int, int] | None:
        """The seqs still missing, as (after, before): read from MongoDB when waiting ends."""
        if not self._held or self.last is None:
            return None
        return self.last, min(self._held)

    def expired(self, stored: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Waiting is over: `stored` are the missing events MongoDB had (any order). Every
        held and stored event goes out in seq order; the seqs still missing are skipped."""
        held = self._held or {}
        for event in stored:
            seq = int(event["seq"])
            if self.last is None or seq > self.last:
                held.setdefault(seq, event)
        self._held = None
        out = []
        for seq in sorted(held):
            if self.last is not None and seq > self.last + 1:
                self._skip(range(self.last + 1, seq))
            self.last = seq
            out.append(held[seq])
        return out

    def _contiguous(self) -> list[dict[str, Any]]:
        held = self._held
        out: list[dict[str, Any]] = []
        if held is None or self.last is None:
            return out
        while (event := held.pop(self.last + 1, None)) is not None:
            self.last += 1
            out.append(event)
        if not held:
            self._held = None
        return out

    def _skip(self, seqs: range) -> None:
        skipped = self._skipped if self._skipped is not None else set()
        skipped.update(seqs[-SKIPPED_MAX:])
        while len(skipped) > SKIPPED_MAX:
            skipped.discard(min(skipped))
        self._skipped = skipped
