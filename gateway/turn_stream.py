"""Tutor turns in a Redis Stream, one consumer group per tutor group: the TurnQueue of
resolvers/turns.py when REDIS_URL is set, shared by every replica.

Keys (one hash tag, so a Redis Cluster keeps them on one slot):
- `{<REDIS_KEY_PREFIX>:turns}:stream`: the turns, each entry one BSON field `t` (the
  MESSAGE_RECORDED event with its rows). XADD trims it with `MAXLEN ~ TURN_STREAM_MAXLEN`:
  the oldest entries go, acknowledged or not (a turn that old has no tutor left to wait for).
- `{<REDIS_KEY_PREFIX>:turns}:seen:<event id>`: set with the XADD in one script, so an event
  published twice (a writer and the maintenance pass, two replicas' passes) is one turn.
  Kept as long as the event can still be published (its retention, plus an hour).

Reads: a reconnecting consumer reads its own pending entries (XREADGROUP from 0); then the
entries other consumers left unacknowledged past TURN_ACK_TIMEOUT_SECONDS (XPENDING IDLE,
then XCLAIM with the same min-idle, so of two replicas racing for one only one gets it);
then, past two deadlines, anyone's, its own included (XAUTOCLAIM); then a new entry
(XREADGROUP `>` BLOCK). `attempt` is Redis's delivery count.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import Any

import bson
import redis.asyncio as aioredis
from bson.codec_options import CodecOptions
from redis.exceptions import ResponseError

from gateway.logging import get_logger
from gateway.redisbreaker import STORAGE_ERRORS, RedisBreaker
from models.documents import EVENT_RETENTION_SECONDS
from resolvers.errors import ServiceUnavailable
from resolvers.turns import READ_BATCH, Turn, TurnQueue

log = get_logger("gateway.turn_stream")
CODEC: CodecOptions[dict[str, Any]] = CodecOptions(tz_aware=True)
ENTRY_ID = re.compile(r"\d{1,20}-\d{1,20}")
# One command's bound (a blocking read adds its block time).
COMMAND_TIMEOUT_S = 2.0
# A consumer that holds nothing and was idle this long is removed from its group.
IDLE_CONSUMER_MS = 3_600_000

# XADD unless this event was added before: the check and the append are one step.
ADD_ONCE = """
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[3]) then
  return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 't', ARGV[1])
end
return false
"""


# A turn a subscription took and never sent, handed back to its group (TurnQueue.release):
# idle as long as the deadline, so any other consumer's next read claims it, and its
# delivery count back to what it was before (JUSTID leaves the count to RETRYCOUNT). Only
# while the entry is still this consumer's with this delivery's count: one claimed since
# by another client is not taken back from it.
RELEASE = """
local released = 0
for i = 4, #ARGV, 2 do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if p[1] and p[1][2] == ARGV[2] and tonumber(p[1][4]) == tonumber(ARGV[i + 1]) then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'IDLE', ARGV[3],
      'RETRYCOUNT', tonumber(ARGV[i + 1]) - 1, 'JUSTID')
    released = released + 1
  end
end
return released
"""


@contextmanager
def _unavailable() -> Iterator[None]:
    """A subscription's read of the stream: Redis away or frozen ends that subscription with
    SERVICE_UNAVAILABLE (subscribe again), not an internal error."""
    try:
        yield
    except STORAGE_ERRORS as exc:
        raise ServiceUnavailable(
            "The turn queue is unavailable; subscribe to tutorTurns again shortly."
        ) from exc


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisTurns(TurnQueue):
    def __init__(
        self,
        url: str,
        prefix: str,
        ack_timeout_s: float,
        maxlen: int,
        breaker: RedisBreaker | None = None,
        max_unacked: int = 16,
    ) -> None:
        """`breaker`: the rate limits' (gateway/redisbreaker.py), in front of the calls on
        a write path: `add` (a learner's message becomes a turn as it is published; a
        frozen Redis must not hold every recordMessage for its timeout) and `ack`."""
        super().__init__(ack_timeout_s, maxlen, max_unacked)
        self.breaker = breaker
        tag = "{" + f"{prefix}:turns" + "}"
        self.stream = f"{tag}:stream"
        self.seen = f"{tag}:seen:"
        # No socket timeout: reads block on purpose; every call has its own bound.
        self.client: Any = aioredis.from_url(url, socket_connect_timeout=2)
        self._add_once = self.client.register_script(ADD_ONCE)
        self._release = self.client.register_script(RELEASE)
        self.seen_ttl_s = EVENT_RETENTION_SECONDS + 3600
        self.timeout_ms = int(ack_timeout_s * 1000)

    async def _call(self, awaitable: Any, extra_s: float = 0.0) -> Any:
        return await asyncio.wait_for(awaitable, COMMAND_TIMEOUT_S + extra_s)

    async def add(self, event: dict[str, Any]) -> bool:
        body = bson.encode({"e": event})

        async def append() -> Any:
            return await self._call(
                self._add_once(
                    keys=[self.stream, self.seen + event["_id"]],
                    args=[body, self.maxlen, self.seen_ttl_s],
                )
            )

        added = await (append() if self.breaker is None else self.breaker.call(append))
        return added is not None

    async def join(self, group: str, consumer: str) -> None:
        with _unavailable():
            try:
                await self._call(
                    self.client.xgroup_create(self.stream, group, id="$", mkstream=True)
                )
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    async def _turns(
        self, group: str, entries: list[Any], consumer: str, attempts: bool = True
    ) -> list[Turn]:
        """Decoded entries with their delivery counts; entries trimmed from the stream
        (no fields) are acknowledged, as nobody can deliver them any more."""
        live: list[tuple[str, Any]] = []
        gone: list[tuple[str, Any]] = []
        for entry_id, fields in entries:
            (live if fields else gone).append((_s(entry_id), fields))
        if gone:
            await self._call(self.client.xack(self.stream, group, *[e for e, _ in gone]))
            log.warning("turns_trimmed", group=group, count=len(gone))
        counts: dict[str, int] = {}
        if attempts and live:
            pipe = self.client.pipeline(transaction=False)
            for entry_id, _ in live:
                pipe.xpending_range(self.stream, group, entry_id, entry_id, 1, consumer)
            for rows in await self._call(pipe.execute()):
                for row in rows:
                    counts[_s(row["message_id"])] = int(row["times_delivered"])
        return [
            Turn(entry_id, counts.get(entry_id, 1), bson.decode(fields[b"t"], CODEC)["e"])
            for entry_id, fields in live
        ]

    async def take(
        self, group: str, consumer: str, *, own: bool, block_s: float, cursor: list[str]
    ) -> list[Turn]:
        with _unavailable():
            return await self._take(group, consumer, own=own, block_s=block_s, cursor=cursor)

    async def _take(
        self, group: str, consumer: str, *, own: bool, block_s: float, cursor: list[str]
    ) -> list[Turn]:
        c = self.client
        if own:
            start = cursor[0] if ENTRY_ID.fullmatch(cursor[0]) else "0"
            answer = await self._call(
                c.xreadgroup(group, consumer, {self.stream: start}, count=READ_BATCH)
            )
            entries = answer[0][1] if answer else []
            if entries:
                cursor[0] = _s(entries[-1][0])
            return await self._turns(group, entries, consumer)
        overdue = await self._call(
            c.xpending_range(self.stream, group, "-", "+", READ_BATCH * 5, idle=self.timeout_ms)
        )
        others = [_s(p["message_id"]) for p in overdue if _s(p["consumer"]) != consumer]
        if others:
            claimed = await self._call(
                c.xclaim(self.stream, group, consumer, self.timeout_ms, others[:READ_BATCH])
            )
            if claimed:
                return await self._turns(group, claimed, consumer)
        start = cursor[0] if ENTRY_ID.fullmatch(cursor[0]) else "0-0"
        swept = await self._call(
            c.xautoclaim(
                self.stream, group, consumer, 2 * self.timeout_ms, start_id=start, count=READ_BATCH
            )
        )
        cursor[0] = _s(swept[0])
        if swept[1]:
            return await self._turns(group, swept[1], consumer)
        answer = await self._call(
            c.xreadgroup(
                group, consumer, {self.stream: ">"}, count=1, block=max(1, int(block_s * 1000))
            ),
            extra_s=block_s,
        )
        entries = answer[0][1] if answer else []
        return await self._turns(group, entries, consumer, attempts=False)

    async def strays(
        self, group: str, consumer: str, min_idle_s: float, handed: Collection[str]
    ) -> list[Turn]:
        with _unavailable():
            return await self._strays(group, consumer, min_idle_s, handed)

    async def _strays(
        self, group: str, consumer: str, min_idle_s: float, handed: Collection[str]
    ) -> list[Turn]:
        idle_ms = int(min_idle_s * 1000)
        rows = await self._call(
            self.client.xpending_range(
                self.stream, group, "-", "+", READ_BATCH * 5, consumername=consumer, idle=idle_ms
            )
        )
        lost = [e for p in rows if (e := _s(p["message_id"])) not in handed][:READ_BATCH]
        if not lost:
            return []
        claimed = await self._call(self.client.xclaim(self.stream, group, consumer, idle_ms, lost))
        return await self._turns(group, claimed, consumer)

    async def release(self, group: str, consumer: str, turns: list[Turn]) -> None:
        # RELEASE: only an entry still pending under this consumer with this delivery's
        # count (not claimed since by anyone), made idle as long as the deadline.
        args: list[Any] = [group, consumer, self.timeout_ms]
        for turn in turns:
            args += [turn.entry, turn.attempt]
        await self._call(self._release(keys=[self.stream], args=args))

    async def held(self, group: str, consumer: str, limit: int) -> int:
        with _unavailable():
            rows = await self._call(
                self.client.xpending_range(
                    self.stream, group, "-", "+", limit, consumername=consumer
                )
            )
        return len(rows)

    async def ack(self, group: str, entry: str) -> bool:
        """ackTurn's call, a mutation: through the breaker, and Redis away or frozen is
        SERVICE_UNAVAILABLE (an ack is safe to retry), not an internal error after the
        command's whole timeout."""
        try:
            if self.breaker is None:
                return await self._ack(group, entry)
            return await self.breaker.call(lambda: self._ack(group, entry))
        except STORAGE_ERRORS as exc:
            raise ServiceUnavailable(
                "The turn queue is unavailable; send the same ackTurn again shortly."
            ) from exc

    async def _ack(self, group: str, entry: str) -> bool:
        if not ENTRY_ID.fullmatch(entry):
            return False
        if await self._call(self.client.xack(self.stream, group, entry)):
            return True
        # Acknowledged before (a retried ackTurn), or never a turn of this group.
        try:
            groups = await self._call(self.client.xinfo_groups(self.stream))
        except ResponseError:  # no stream yet
            return False
        group_row = next((g for g in groups if _s(g["name"]) == group), None)
        if group_row is None:
            return False
        if not await self._call(self.client.xrange(self.stream, entry, entry, count=1)):
            return False
        last = _s(group_row["last-delivered-id"])
        return tuple(map(int, entry.split("-"))) <= tuple(map(int, last.split("-")))

    async def leave(self, group: str, consumer: str) -> None:
        try:
            rows = await self._call(self.client.xinfo_consumers(self.stream, group))
            for row in rows:
                if _s(row["name"]) == consumer and not row["pending"]:
                    await self._call(self.client.xgroup_delconsumer(self.stream, group, consumer))
        except Exception as exc:  # Redis away: the maintenance pass cleans up later
            log.warning("turn_consumer_cleanup_failed", error=type(exc).__name__)

    async def refresh(self) -> int:
        try:
            groups = await self._call(self.client.xinfo_groups(self.stream))
        except ResponseError:  # no stream yet: no group, nothing pending
            groups = []
        counts = {}
        for g in groups:
            name = _s(g["name"])
            counts[name] = int(g["pending"])
            for row in await self._call(self.client.xinfo_consumers(self.stream, name)):
                if not row["pending"] and int(row["idle"]) > IDLE_CONSUMER_MS:
                    await self._call(
                        self.client.xgroup_delconsumer(self.stream, name, _s(row["name"]))
                    )
        self.stats.groups = counts
        self.stats.pending = sum(counts.values())
        return self.stats.pending

    async def close(self) -> None:
        await self.client.aclose()
