"""Recompute the derived counters from messages (seeding, imports and repair), safely
while the gateway keeps writing.

The incremental path (resolvers/messages.py) keeps these current message by message; this
module derives the same rows in bulk, so the two can be checked against each other.

What a row should hold is not "every message": a message left half-applied (a request cut
off during a failover) is finished later by a retry or the maintenance pass, and counting
it here too would count it twice; a reply recorded while the rebuild runs is added to the
row by its own apply, and overwriting the row with a total computed a moment earlier would
lose it. So each rebuild works against a fence, the server's time F taken first:
1. read the rows in scope (their counters and `guard_ids`), right after F;
2. count, per row, the messages (and answer-evaluator calls, `ai_usage`) that are in it as
   read: those applied before F (every write of such a message happened before the read)
   and those whose id the row's guard holds (half-applied, or applied after F, but already
   counted in this row). Nothing else can be in it: a write after the read pushes an id
   the read did not see, and a guard is released only a grace period after its message
   was applied, longer than step 1 is allowed to take;
3. move each row by the difference (`$inc`), never overwrite it: whatever other attempts
   add meanwhile (messages applied after F, pending ones the pass finishes) lands on top,
   exactly once, through the guards they carry.
A row no write reached since the read (its guard is still the one read: every counting
write pushes an id) gets the exact totals (`$set`, no float drift) or, if nothing derives
it any more, is deleted (a provider_daily row holding ratings is zeroed instead); else it
is moved. Annotations replace a message's errors after
it was applied, so before an error_stats fence the pending ones in scope are finished, and
one that was applied after the fence makes the batch start again (bounded attempts).
The rating counters of provider_daily are recounted with their own compare-and-set
(resolvers/ratings.py). Every id list sent to the server is chunked (`models.db.IN_CHUNK`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import structlog

from models.db import Database, DuplicateKeyError, chunks, pages_by_id
from models.documents import utcnow
from resolvers.annotations import apply_annotation
from resolvers.costs.breakdown import dims_rows
from resolvers.costs.calls import AI_CALL, USAGE, is_ai_call
from resolvers.costs.providers import provider_key, provider_names, provider_update
from resolvers.costs.rollup import total_keys
from resolvers.counters import GUARD_FIELD, LeaseExpired
from resolvers.decay import growth
from resolvers.messages import cost_daily_key, error_keys
from resolvers.pending import SETTLE_AFTER
from resolvers.ratings import recount_ratings
from resolvers.sessions import STARTING

# The messages the cost rows count: every AI call, whatever its role (resolvers/costs/
# calls.py). provider_daily's scope adds the replies without usage: they are in no
# traffic counter, but a rated one is in its row's rating counters.
COUNTED_CALLS = AI_CALL
CALLS_AND_REPLIES = {"$or": [{"role": "assistant"}, *USAGE]}

ERROR_KEY = ("user_id", "category", "subcategory")
COST_DAILY_KEY = ("date", "provider", "model", "user_id")
KEYS: dict[str, tuple[str, ...]] = {
    "sessions": ("_id", "user_id"),
    "error_stats": ERROR_KEY,
    "cost_daily": COST_DAILY_KEY,
    "cost_totals": ("_id",),
    "provider_daily": ("_id",),
    "cost_dims": ("_id",),
}
# The counters a rebuild owns in each row; provider_daily's `rt_hist.<bucket>` too.
COUNTERS: dict[str, tuple[str, ...]] = {
    "sessions": (
        "total_messages",
        "total_tokens",
        "total_cost",
        "response_time_sum_ms",
        "response_time_count",
    ),
    "error_stats": ("count", "decay_sum"),
    "cost_daily": ("requests", "tokens_in", "tokens_out", "cost"),
    "cost_totals": ("cost", "tokens", "requests"),
    "provider_daily": ("requests", "tokens", "cost", "rt_count", "rt_sum_ms"),
    "cost_dims": ("cost", "tokens", "requests"),
}
log = structlog.get_logger("resolvers.rebuild")

# A start listed in `starting_sessions` whose session a recount did not see is still
# counted this long after it began (its insert may yet come; a request takes far less).
STARTING_GRACE = timedelta(seconds=60)
# Attempts of one batch of users while new sessions keep racing its recount.
USER_TOTAL_ATTEMPTS = 5
# Step 1 must end well inside the guards' grace period (module docstring).
READ_WITHIN = SETTLE_AFTER / 2
# Attempts of one batch when annotations keep landing after its fence.
FENCE_ATTEMPTS = 5
# Below this a float difference is the sums' rounding, not a missing message.
FLOAT_NOISE = 1e-12
# The half-life the rebuilds of rows without decay pass along (only error_stats reads it).
NO_DECAY = 14.0


class RebuildRaced(RuntimeError):
    """A batch kept meeting annotations applied after its fence: run the rebuild again."""


@dataclass(slots=True)
class Part:
    """What one message adds to one row."""

    collection: str
    key: dict[str, Any]
    inc: dict[str, Any]
    on_insert: dict[str, Any] = field(default_factory=dict)
    low: dict[str, Any] = field(default_factory=dict)  # $min fields
    high: dict[str, Any] = field(default_factory=dict)  # $max fields


def _cost_parts(doc: dict[str, Any]) -> list[Part]:
    """cost_daily, cost_totals and cost_dims: a message carrying usage or an evaluator
    call."""
    tokens = (doc.get("tokens_in") or 0) + (doc.get("tokens_out") or 0)
    cost = doc.get("cost") or 0.0
    parts = [
        Part(
            "cost_daily",
            cost_daily_key(doc),
            {
                "requests": 1,
                "tokens_in": doc.get("tokens_in") or 0,
                "tokens_out": doc.get("tokens_out") or 0,
                "cost": cost,
            },
        )
    ]
    parts += [
        Part("cost_totals", key, {"cost": float(cost), "tokens": tokens, "requests": 1})
        for key in total_keys(doc["timestamp"])
    ]
    parts += [
        Part("cost_dims", key, dict(update["$inc"]), dict(update["$setOnInsert"]))
        for key, update in dims_rows(doc)
    ]
    return parts


def _provider_part(doc: dict[str, Any]) -> Part:
    update = provider_update(doc)
    return Part("provider_daily", provider_key(doc), dict(update["$inc"]), update["$setOnInsert"])


def message_parts(doc: dict[str, Any], half_life_days: float) -> list[Part]:
    """Every row `doc` adds to, and how much: what `apply_message` increments."""
    ts: datetime = doc["timestamp"]
    inc: dict[str, Any] = {
        "total_messages": 1,
        "total_tokens": (doc.get("tokens_in") or 0) + (doc.get("tokens_out") or 0),
        "total_cost": doc.get("cost") or 0.0,
    }
    if doc.get("response_time_ms") is not None:
        inc["response_time_sum_ms"] = doc["response_time_ms"]
        inc["response_time_count"] = 1
    parts = [Part("sessions", {"_id": doc["session_id"], "user_id": doc["user_id"]}, inc)]
    g = growth(ts, half_life_days)
    parts += [
        Part(
            "error_stats",
            {"user_id": doc["user_id"], "category": c, "subcategory": s},
            {"count": n, "decay_sum": n * g},
            low={"first_seen": ts},
            high={"last_seen": ts},
        )
        for (c, s), n in error_keys(doc).items()
    ]
    if is_ai_call(doc):
        parts += [*_cost_parts(doc), _provider_part(doc)]
    return parts


def usage_parts(doc: dict[str, Any]) -> list[Part]:
    """An answer evaluator call (resolvers/practice/evaluator.py `record_usage`)."""
    return [*_cost_parts(doc), _provider_part(doc)]


@dataclass(slots=True)
class Scope:
    """Which rows one rebuild step owns, and where their messages are."""

    rows: dict[str, dict[str, Any]]  # collection -> filter of its rows
    messages: dict[str, Any] | None
    usage: dict[str, Any] | None = None
    annotations: dict[str, Any] | None = None


def _users_scope(ids: list[str], names: Iterable[str]) -> Scope:
    match = {"user_id": {"$in": ids}}
    return Scope({n: match for n in names}, match, match, match)


def _global_scope(names: Iterable[str], messages: dict[str, Any]) -> Scope:
    return Scope({n: {} for n in names}, messages, {}, {})


async def server_now(db: Database) -> datetime:
    """The server's clock (`hello`'s localTime): the fence every replica agrees on."""
    reply = await db.db.command("hello")
    now: datetime = reply["localTime"]
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


def _key(name: str, doc: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(doc.get(f) for f in KEYS[name])


def _value(row: dict[str, Any], path: str) -> Any:
    value: Any = row
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value or 0


def _counter_fields(name: str, row: dict[str, Any]) -> list[str]:
    fields = list(COUNTERS[name])
    if name == "provider_daily":
        fields += [f"rt_hist.{k}" for k in (row.get("rt_hist") or {})]
    return fields


@dataclass(slots=True)
class _Tally:
    key: dict[str, Any]
    inc: dict[str, Any] = field(default_factory=dict)
    on_insert: dict[str, Any] = field(default_factory=dict)
    low: dict[str, Any] = field(default_factory=dict)
    high: dict[str, Any] = field(default_factory=dict)

    def add(self, part: Part) -> None:
        for f, n in part.inc.items():
            self.inc[f] = self.inc.get(f, 0) + n
        self.on_insert.update(part.on_insert)
        for f, v in part.low.items():
            self.low[f] = v if f not in self.low else min(self.low[f], v)
        for f, v in part.high.items():
            self.high[f] = v if f not in self.high else max(self.high[f], v)


@dataclass(slots=True)
class _Batch:
    rows: dict[str, dict[tuple[Any, ...], dict[str, Any]]]
    guards: dict[str, dict[tuple[Any, ...], frozenset[str]]]
    tallies: dict[str, dict[tuple[Any, ...], _Tally]]
    rated: set[tuple[str, str | None, str | None]]  # provider rows with rated replies


async def _read_rows(db: Database, scope: Scope) -> _Batch:
    batch = _Batch({}, {}, {}, set())
    for name, match in scope.rows.items():
        rows, guards = batch.rows.setdefault(name, {}), batch.guards.setdefault(name, {})
        batch.tallies[name] = {}
        async for row in pages_by_id(db.collection(name), match):
            k = _key(name, row)
            rows[k] = row
            guards[k] = frozenset(row.get(GUARD_FIELD) or ())
    return batch


def _done(doc: dict[str, Any], fence: datetime) -> bool:
    """Applied before the fence: every counter write of it happened before the rows were
    read. A message or an `ai_usage` call alike: one still unapplied, however old, is the
    maintenance pass's to count (its age says nothing, only `applied` does)."""
    if doc.get("applied", True) is False:
        return False
    at = doc.get("applied_at")
    return at is None or at < fence  # without applied_at: imported or seeded as applied


async def _tally(
    db: Database,
    scope: Scope,
    batch: _Batch,
    fence: datetime,
    half_life_days: float,
    fill: dict[str, dict[str, Any]] | None,
) -> None:
    def count(doc: dict[str, Any], done: bool, parts: list[Part]) -> None:
        for part in parts:
            tallies = batch.tallies.get(part.collection)
            if tallies is None:
                continue
            k = _key(part.collection, part.key)
            if done or doc["_id"] in batch.guards[part.collection].get(k, ()):
                tallies.setdefault(k, _Tally(part.key)).add(part)

    if scope.messages is not None:
        async for m in pages_by_id(db.messages, scope.messages, {"content": 0}):
            if fill is not None:  # replies recorded before they carried topic and tier
                m.setdefault("topic", fill["topics"].get(m.get("session_id") or ""))
                m.setdefault("tier", fill["tiers"].get(m["user_id"]))
            count(m, _done(m, fence), message_parts(m, half_life_days))
            if m["role"] == "assistant" and m.get("rating") is not None:
                day, _, _ = provider_names(m)
                batch.rated.add((day, m.get("provider"), m.get("model")))
    if scope.usage is not None:
        async for u in pages_by_id(db.ai_usage, scope.usage):
            count(u, _done(u, fence), usage_parts(u))


async def _finish_annotations(db: Database, match: dict[str, Any], half_life_days: float) -> None:
    """Pending annotations in scope, finished before the fence (module docstring)."""
    async for annotation in pages_by_id(db.annotations, {**match, "applied": False}):
        try:
            await apply_annotation(db, annotation, half_life_days)
        except LeaseExpired:
            pass  # another attempt holds it: the check after counting starts over


async def _annotated_since(db: Database, match: dict[str, Any], fence: datetime) -> bool:
    return (
        await db.annotations.find_one(
            {**match, "$or": [{"applied": False}, {"applied_at": {"$gte": fence}}]}, {"_id": 1}
        )
        is not None
    )


def _delta(name: str, row: dict[str, Any], tally: _Tally | None) -> dict[str, Any]:
    wanted = dict(tally.inc) if tally is not None else {}
    fields = set(wanted) | set(_counter_fields(name, row))
    out: dict[str, Any] = {}
    for f in sorted(fields):
        d = wanted.get(f, 0) - _value(row, f)
        if (abs(d) > FLOAT_NOISE) if isinstance(d, float) else d:
            out[f] = d
    return out


async def _move(db: Database, name: str, batch: _Batch) -> int:
    """Step 3: every row moved by its difference (module docstring)."""
    coll = db.collection(name)
    rows, tallies = batch.rows[name], batch.tallies[name]
    for k in set(rows) | set(tallies):
        row, tally = rows.get(k, {}), tallies.get(k)
        if tally is None and row and name != "sessions" and not _holds_ratings(name, row):
            # Its guard as read, exactly: no write reached it since (each pushes an id).
            gone = await coll.delete_one(
                {"_id": row["_id"], GUARD_FIELD: row.get(GUARD_FIELD, {"$exists": False})}
            )
            if gone.deleted_count:
                continue
        key = tally.key if tally is not None else {f: row.get(f) for f in KEYS[name]}
        update: dict[str, Any] = {"$unset": {"applied_ids": ""}}
        inc = _delta(name, row, tally)
        if inc and row:
            exact = {f: (tally.inc.get(f, 0) if tally else 0) for f in inc}
            unchanged = {**key, GUARD_FIELD: row.get(GUARD_FIELD, {"$exists": False})}
            if (await coll.update_one(unchanged, {**update, "$set": exact})).matched_count:
                if tally is not None:
                    await _bounds(coll, key, row, tally)
                continue
        if inc:
            update["$inc"] = inc
        if not row:
            if tally is None or name == "sessions":
                continue  # no such session (deleted): nothing to count in
            on_insert = {**tally.on_insert, GUARD_FIELD: []}
            # Every counter the row has, as a live first write leaves it (counters.
            # empty_row): a counter left out (a day of calls without output tokens) is a
            # missing field, and costReport's `$add` of a missing field is null, so the
            # row's tokens vanished from every sum. Only the counters `$inc` does not
            # name: one path in both is refused (ConflictingUpdateOperators).
            for f in COUNTERS[name]:
                if f not in inc:
                    on_insert[f] = 0.0 if isinstance(tally.inc.get(f), float) else 0
            if "_id" not in KEYS[name]:
                on_insert["_id"] = str(uuid4())
            update["$setOnInsert"] = on_insert
        for _ in range(3):
            try:
                await coll.update_one(key, update, upsert=not row)
                break
            except DuplicateKeyError:  # a live first write created the row meanwhile
                continue
        if tally is not None:
            await _bounds(coll, key, row, tally)
    return len(rows) if name == "sessions" else len(tallies)


def _holds_ratings(name: str, row: dict[str, Any]) -> bool:
    """A provider_daily row of rated replies without usage (no AI call derives it) stays:
    its traffic counters go to 0 and its rating counters are recounted after the move
    (`_recount_ratings`). Deleted, a rating landing meanwhile would find no row to write."""
    return name == "provider_daily" and ("rating_writes" in row or "rated" in row)


async def _bounds(coll: Any, key: dict[str, Any], row: dict[str, Any], tally: _Tally) -> None:
    """first_seen/last_seen: set where no live write moved them since the read, else only
    widened (a live write's own `$min`/`$max` is then already in)."""
    for values, op in ((tally.low, "$min"), (tally.high, "$max")):
        for f, value in values.items():
            if row.get(f) == value:
                continue
            done = await coll.update_one({**key, f: row.get(f)}, {"$set": {f: value}})
            if not done.matched_count:
                await coll.update_one(key, {op: {f: value}})


async def _recount_ratings(db: Database, batch: _Batch) -> None:
    """provider_daily's rating counters, recounted from the rated replies of each row's
    day, provider and model (one compare-and-set write each, resolvers/ratings.py)."""
    rows = batch.rows.get("provider_daily", {})
    targets = set(batch.rated)
    for row in rows.values():
        if row.get("rated") or row.get("rating_sum") or row.get("helpful_answered"):
            provider = None if row.get("provider") == "unknown" else row.get("provider")
            model = None if row.get("model") == "unknown" else row.get("model")
            targets.add((row["date"], provider, model))
    tallied = batch.tallies.get("provider_daily", {})
    for day, provider, model in sorted(targets, key=repr):
        start = datetime.fromisoformat(day).replace(tzinfo=UTC)
        reply = {"timestamp": start, "provider": provider, "model": model}
        key = provider_key(reply)
        if _key("provider_daily", key) not in tallied:
            # Only rated replies without usage here, and the row lost (a restore, a wipe):
            # the recount writes only to an existing row.
            await _ensure_row(db, key, provider_update(reply)["$setOnInsert"])
        await recount_ratings(db, reply, write=2**62)  # one stored recount, whoever wins


async def _ensure_row(db: Database, key: dict[str, Any], on_insert: dict[str, Any]) -> None:
    for _ in range(3):
        try:
            await db.provider_daily.update_one(key, {"$setOnInsert": on_insert}, upsert=True)
            return
        except DuplicateKeyError:  # a live first write created it meanwhile
            continue


async def rebuild_scope(
    db: Database,
    scope: Scope,
    half_life_days: float,
    fill: dict[str, dict[str, Any]] | None = None,
) -> dict[str, int]:
    """Steps 1-3 for every collection in `scope.rows`; returns rows derived per collection."""
    for _ in range(FENCE_ATTEMPTS):
        annotated = "error_stats" in scope.rows and scope.annotations is not None
        if annotated:
            await _finish_annotations(db, scope.annotations or {}, half_life_days)
        fence = await server_now(db)
        batch = await _read_rows(db, scope)
        if await server_now(db) - fence > READ_WITHIN:
            continue  # too slow to trust the guards read: start again
        await _tally(db, scope, batch, fence, half_life_days, fill)
        if annotated and await _annotated_since(db, scope.annotations or {}, fence):
            continue
        done = {name: await _move(db, name, batch) for name in scope.rows}
        if "provider_daily" in scope.rows:
            await _recount_ratings(db, batch)
        return done
    raise RebuildRaced(f"rows {sorted(scope.rows)} kept changing under the rebuild")


async def rebuild_users(
    db: Database, half_life_days: float, user_ids: list[str], names: tuple[str, ...]
) -> dict[str, int]:
    """The per-learner rows (`names` of sessions, error_stats, cost_daily) of `user_ids`."""
    totals = dict.fromkeys(names, 0)
    for ids in chunks(user_ids):
        for name, n in (await rebuild_scope(db, _users_scope(ids, names), half_life_days)).items():
            totals[name] += n
    return totals


async def rebuild_error_stats(
    db: Database, half_life_days: float, user_ids: list[str] | None = None
) -> int:
    if user_ids is not None:
        return (await rebuild_users(db, half_life_days, user_ids, ("error_stats",)))["error_stats"]
    scope = _global_scope(("error_stats",), {"role": "user", "errors": {"$ne": []}})
    scope.usage = None
    return (await rebuild_scope(db, scope, half_life_days))["error_stats"]


async def rebuild_cost_daily(db: Database, user_ids: list[str] | None = None) -> int:
    if user_ids is not None:
        return (await rebuild_users(db, NO_DECAY, user_ids, ("cost_daily",)))["cost_daily"]
    scope = _global_scope(("cost_daily",), COUNTED_CALLS)
    return (await rebuild_scope(db, scope, NO_DECAY))["cost_daily"]


async def rebuild_session_totals(db: Database, session_ids: list[str]) -> int:
    """Session counters (messages, tokens, cost, reply latency) recounted from messages."""
    for ids in chunks(session_ids):
        scope = Scope({"sessions": {"_id": {"$in": ids}}}, {"session_id": {"$in": ids}})
        await rebuild_scope(db, scope, NO_DECAY)
    return len(session_ids)


async def rebuild_cost_totals(db: Database) -> int:
    """The hour and day rollups of resolvers/costs/rollup.py."""
    scope = _global_scope(("cost_totals",), COUNTED_CALLS)
    return (await rebuild_scope(db, scope, NO_DECAY))["cost_totals"]


async def rebuild_provider_daily(db: Database) -> int:
    """provider_daily (traffic, latency histogram, ratings): traffic from every AI call,
    ratings from every rated reply."""
    scope = _global_scope(("provider_daily",), CALLS_AND_REPLIES)
    return (await rebuild_scope(db, scope, NO_DECAY))["provider_daily"]


async def _fill(db: Database) -> dict[str, dict[str, Any]]:
    return {
        "topics": {s["_id"]: s.get("topic") async for s in db.sessions.find({}, {"topic": 1})},
        "tiers": {
            u["_id"]: u.get("subscription_tier")
            async for u in db.users.find({}, {"subscription_tier": 1})
        },
    }


async def rebuild_cost_dims(db: Database) -> int:
    """cost_dims (spend by topic and tier) from AI calls; messages recorded before they
    carried topic and tier take them from their session and learner."""
    scope = _global_scope(("cost_dims",), COUNTED_CALLS)
    return (await rebuild_scope(db, scope, NO_DECAY, await _fill(db)))["cost_dims"]


async def rebuild_global(db: Database, half_life_days: float) -> dict[str, int]:
    """cost_totals, provider_daily and cost_dims in one pass over the AI calls and
    replies."""
    scope = _global_scope(("cost_totals", "provider_daily", "cost_dims"), CALLS_AND_REPLIES)
    return await rebuild_scope(db, scope, half_life_days, await _fill(db))


async def rebuild_user_totals(db: Database, user_ids: list[str]) -> int:
    """`users.total_sessions` recounted from `sessions`: what `startSession` increments, so
    a restore whose collections came from different times, an import, or a start cut off
    between its increment and its insert leaves it right again.

    Safe while learners start sessions: each user row is read first, with the starts it
    lists in `starting_sessions` (counted, maybe not stored yet), then its sessions are
    counted, noting which of those starts the count saw. A start the count did not see is
    added if it is younger than STARTING_GRACE (its insert is still coming) and dropped
    from the list otherwise (it never came). The total is written only if the row is still
    as read (its total and its list): a start after the read makes the next attempt read
    again; after USER_TOTAL_ATTEMPTS the row keeps the total the increments gave it.
    Before, the count was written over the row, losing a session started between the two."""
    done = 0
    for batch in chunks(user_ids):
        for _ in range(USER_TOTAL_ATTEMPTS):
            written, batch = await _recount_totals(db, batch)
            done += written
            if not batch:
                break
        else:
            log.warning("user_totals_raced", users=len(batch), attempts=USER_TOTAL_ATTEMPTS)
    return done


async def _recount_totals(db: Database, ids: list[str]) -> tuple[int, list[str]]:
    """One attempt for `ids`: the rows written, and the users a start raced (to read
    again)."""
    rows = await db.users.find({"_id": {"$in": ids}}, {"total_sessions": 1, STARTING: 1}).to_list(
        None
    )
    cutoff = utcnow() - STARTING_GRACE
    young = [s["id"] for row in rows for s in row.get(STARTING) or () if s["at"] >= cutoff]
    counts = {
        r["_id"]: r
        async for r in await db.sessions.aggregate(
            [
                {"$match": {"user_id": {"$in": ids}}},
                {
                    "$group": {
                        "_id": "$user_id",
                        "n": {"$sum": 1},
                        "young_seen": {"$sum": {"$cond": [{"$in": ["$_id", young]}, 1, 0]}},
                    }
                },
            ]
        )
    }
    written, raced = 0, []
    for row in rows:
        starts = row.get(STARTING)
        counted = counts.get(row["_id"], {"n": 0, "young_seen": 0})
        mine = [s for s in starts or () if s["at"] >= cutoff]
        total = counted["n"] + len(mine) - counted["young_seen"]
        stale = [s["id"] for s in starts or () if s["at"] < cutoff]
        update: dict[str, Any] = {"$set": {"total_sessions": total}}
        if stale:
            update["$pull"] = {STARTING: {"id": {"$in": stale}}}
        result = await db.users.update_one(
            {"_id": row["_id"], "total_sessions": row.get("total_sessions"), STARTING: starts},
            update,
        )
        if result.matched_count == 0:
            raced.append(row["_id"])
        else:
            written += 1
    return written, raced
