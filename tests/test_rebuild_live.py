"""Rebuilds and imports next to live writes: every message counted once (issue 28).

The rebuild counted half-applied messages and the maintenance pass then applied them
again (error_stats 5 for 4 errors); its overwrite lost a reply recorded between its
aggregation and its write (4 stored, 3 counted); the importer left provider_daily and
cost_dims empty, rebuilt the learners' rows (counting their half-applied messages) and
held the whole parsed file in memory.
"""

from __future__ import annotations

import asyncio
import json
import tracemalloc
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from models.db import Database
from models.documents import utcnow
from models.driver_calls import CollectionProxy
from resolvers.counters import guarded_update
from resolvers.messages import apply_message, complete_pending
from resolvers.outbox import HUB_KEY, publish_pending
from resolvers.turns import TURNS_KEY
from scripts.import_legacy import import_files
from scripts.rebuild_stats import rebuild_all

COUNTER_COLLECTIONS = (
    "sessions",
    "error_stats",
    "cost_daily",
    "cost_totals",
    "provider_daily",
    "cost_dims",
)


def message(user_id: str, session_id: str, role: str, **fields: Any) -> dict[str, Any]:
    doc = {
        "_id": str(uuid.uuid4()),
        "session_id": session_id,
        "user_id": user_id,
        "role": role,
        "content": "x",
        "timestamp": utcnow(),
        "errors": [],
        "applied": False,
        "guarded": True,
        "topic": "Travel",
        "tier": "free",
    }
    if role == "assistant":
        doc.update(provider="openai", model="gpt-4o", tokens_in=100, tokens_out=20, cost=0.01)
        doc["response_time_ms"] = 800
    return {**doc, **fields}


def with_error(sub: str = "Articles") -> dict[str, Any]:
    return {"errors": [{"category": "Grammar", "subcategory": sub}]}


def with_usage(model: str = "whisper-1") -> dict[str, Any]:
    """A model call's usage on a SYSTEM or USER message (the tutor service's): an AI call
    like a reply, counted in every cost row."""
    return {"provider": "openai", "model": model, "tokens_in": 300, "tokens_out": 0}


def ai_call(m: dict[str, Any]) -> bool:
    return bool((m.get("tokens_in") or 0) + (m.get("tokens_out") or 0) or m.get("cost"))


async def learner(db: Database) -> tuple[str, str]:
    user_id, session_id = str(uuid.uuid4()), str(uuid.uuid4())
    await db.users.insert_one({"_id": user_id, "email": f"{user_id}@x.org", "role": "user"})
    await db.sessions.insert_one(
        {
            "_id": session_id,
            "user_id": user_id,
            "status": "active",
            "started_at": utcnow(),
            "topic": "Travel",
            "total_messages": 0,
            "total_tokens": 0,
            "total_cost": 0.0,
        }
    )
    return user_id, session_id


async def record(db: Database, doc: dict[str, Any]) -> None:
    await db.messages.insert_one(doc)
    await apply_message(db, doc, 14.0)


async def expected(db: Database) -> dict[str, Counter[Any]]:
    """What the counters must say, counted straight from the stored messages."""
    want: dict[str, Counter[Any]] = {n: Counter() for n in COUNTER_COLLECTIONS}
    async for m in db.messages.find({}):
        want["sessions"][m["session_id"]] += 1
        for e in m.get("errors") or []:
            want["error_stats"][(m["user_id"], e["category"], e["subcategory"])] += 1
        if ai_call(m):  # whatever the role
            day = m["timestamp"].strftime("%Y-%m-%d")
            want["cost_daily"][(day, m["user_id"])] += 1
            want["cost_totals"]["D:" + day] += 1
            want["provider_daily"][day] += 1
            want["cost_dims"][f"{day}|topic"] += 1
            want["cost_dims"][f"{day}|tier"] += 1
    return want


async def counted(db: Database) -> dict[str, Counter[Any]]:
    got: dict[str, Counter[Any]] = {n: Counter() for n in COUNTER_COLLECTIONS}
    async for s in db.sessions.find({}):
        if s.get("total_messages"):
            got["sessions"][s["_id"]] += s["total_messages"]
    async for r in db.error_stats.find({}):
        if r["count"]:
            got["error_stats"][(r["user_id"], r["category"], r["subcategory"])] += r["count"]
    async for r in db.cost_daily.find({}):
        if r["requests"]:
            got["cost_daily"][(r["date"], r["user_id"])] += r["requests"]
    async for r in db.cost_totals.find({"_id": {"$regex": "^D:"}}):
        if r["requests"]:
            got["cost_totals"][r["_id"]] += r["requests"]
    async for r in db.provider_daily.find({}):
        if r.get("requests"):
            got["provider_daily"][r["date"]] += r["requests"]
    async for r in db.cost_dims.find({}):
        if r["requests"]:
            got["cost_dims"][f"{r['date']}|{r['dim']}"] += r["requests"]
    return got


async def test_a_rebuild_counts_a_half_applied_message_once(api):
    """4 errors and 11 messages, three of them left half-applied by a failover: after the
    rebuild and the maintenance pass, error_stats 4 (was 5) and sessions 11 (was 12). A
    SYSTEM and a USER message carrying usage are in every cost row, like the replies."""
    db = api.services.db
    user_id, sid = await learner(db)
    for _ in range(3):
        await record(db, message(user_id, sid, "user", **with_error()))
    for _ in range(2):
        await record(db, message(user_id, sid, "user"))
    await record(db, message(user_id, sid, "assistant"))
    await record(db, message(user_id, sid, "system", **with_usage("gpt-4o"), cost=0.003))
    await record(db, message(user_id, sid, "user", **with_usage(), cost=0.002))
    old = utcnow() - timedelta(minutes=5)  # old enough for the pass to finish them
    # Cut off after its session update (a 503 during a stepdown): the guard holds its id.
    half = message(user_id, sid, "user", timestamp=old, **with_error())
    await db.messages.insert_one(half)
    await guarded_update(
        db.sessions, {"_id": sid, "user_id": user_id}, half["_id"], {"$inc": {"total_messages": 1}}
    )
    await db.messages.insert_one(message(user_id, sid, "assistant", timestamp=old))  # none yet
    await db.messages.insert_one(message(user_id, sid, "system", timestamp=old, **with_usage()))

    await rebuild_all(db, 14.0, progress=False)
    assert await complete_pending(db, 14.0) == 3
    session = await db.sessions.find_one({"_id": sid})
    assert session["total_messages"] == 11
    assert (await db.error_stats.find_one({"user_id": user_id}))["count"] == 4
    day = (await db.cost_totals.find_one({"_id": {"$regex": "^D:"}})) or {}
    assert day["requests"] == 5 and day["cost"] == pytest.approx(session["total_cost"])
    assert await counted(db) == await expected(db)
    await rebuild_all(db, 14.0, progress=False)  # quiet now: a rebuild changes nothing
    assert await counted(db) == await expected(db)


class _RecordBeforeFirstWrite(CollectionProxy):
    """Before the rebuild's first write to this collection, a live reply is recorded: it
    falls between the rebuild's counting and its write."""

    WRITES = frozenset({"update_one", "bulk_write", "delete_one", "delete_many"})

    def __init__(self, inner: Any, hook: Any) -> None:
        super().__init__(inner)
        self._hook = hook

    async def _call(self, name: str, method: Any, a: tuple[Any, ...], k: dict[str, Any]) -> Any:
        if name in self.WRITES:
            await self._hook(self._inner.name)
        return await method(*a, **k)


async def test_a_message_recorded_while_a_rebuild_runs_is_not_lost(api):
    """Each counter collection gets a live message between the rebuild's read and its
    first write to that collection (was: overwritten, 4 stored and 3 counted)."""
    db = api.services.db
    user_id, sid = await learner(db)
    for _ in range(3):
        await record(db, message(user_id, sid, "user", **with_error()))
        await record(db, message(user_id, sid, "assistant"))
    fired: set[str] = set()
    rebuilding = asyncio.Event()

    async def hook(collection: str) -> None:
        if not rebuilding.is_set() or collection not in COUNTER_COLLECTIONS:
            return
        if collection in fired:
            return
        fired.add(collection)
        rebuilding.clear()  # the live message's own writes pass straight through
        try:
            # error_stats: a learner's error; the cost rows: a reply, a SYSTEM and a USER
            # message with usage in turn.
            role = "user" if collection in ("sessions", "error_stats") else "assistant"
            extra = with_error() if role == "user" else {}
            if collection in ("cost_totals", "cost_dims"):
                role = "system" if collection == "cost_totals" else "user"
                extra = with_usage()
            await record(db, message(user_id, sid, role, **extra))
        finally:
            rebuilding.set()

    with db.wrapped(lambda coll: _RecordBeforeFirstWrite(coll, hook)):
        rebuilding.set()
        await rebuild_all(db, 14.0, progress=False)
        rebuilding.clear()
    assert fired == set(COUNTER_COLLECTIONS)
    assert await db.messages.count_documents({}) == 6 + 6
    assert await counted(db) == await expected(db)


EXAMPLES = Path(__file__).resolve().parent.parent / "scripts" / "examples"
FILES = [EXAMPLES / "legacy_relational.json", EXAMPLES / "legacy_sessions.json"]


async def test_an_import_produces_the_counters_recording_would(api):
    """providerStats and byTopic/byTier come from the import too (were empty), every
    breakdown adds up to totalCost, and a live learner's half-applied message is counted
    once (the importer rebuilt the learner's rows, counting it before the pass did)."""
    db = api.services.db
    user_id = (await api.user(email="anant.doe@example.com"))[0]["_id"]
    _, sid = await learner(db)
    await db.sessions.update_one({"_id": sid}, {"$set": {"user_id": user_id}})
    live = message(user_id, sid, "user", timestamp=utcnow() - timedelta(minutes=5))
    await db.messages.insert_one({**live, **with_error("Pronouns")})  # cut off: unapplied

    await import_files(db, FILES, 14.0)
    await complete_pending(db, 14.0)
    stats = {
        (r["category"], r["subcategory"]): r["count"]
        async for r in db.error_stats.find({"user_id": user_id})
    }
    assert stats[("Grammar", "Pronouns")] == 2  # one imported, one live
    replies = [m async for m in db.messages.find({"role": "assistant"})]
    assert replies and all(m["applied"] for m in replies)
    total = sum(m.get("cost") or 0.0 for m in replies)
    daily = sum([r["cost"] async for r in db.cost_daily.find({})])
    by_dim = Counter()
    async for r in db.cost_dims.find({}):
        by_dim[r["dim"]] += r["cost"]
    providers = [r async for r in db.provider_daily.find({})]
    assert sum(r["requests"] for r in providers) == len(replies)
    assert total > 0
    assert daily == pytest.approx(total)
    assert by_dim["topic"] == pytest.approx(total) and by_dim["tier"] == pytest.approx(total)
    sessions = Counter([m["session_id"] async for m in db.messages.find({})])
    async for s in db.sessions.find({}):
        assert s.get("total_messages", 0) == sessions[s["_id"]], s["_id"]


async def _turns_handed(api: Any) -> list[str]:
    """The tutor group's turns, as a connected tutor service would be handed them."""
    db, hub, turns = api.services.db, api.services.extras[HUB_KEY], api.services.extras[TURNS_KEY]
    await publish_pending(db, hub, older_than=timedelta(0))
    got: list[str] = []
    while batch := await turns.take("tutors", "c1", own=False, block_s=0.01, cursor=["0"]):
        got += [t.event["message"]["content"] for t in batch]
    return got


async def test_an_import_hands_no_turn_to_the_tutor_service(api):
    """Before: each imported learner utterance (years old, in a completed session) got a
    MESSAGE_RECORDED event, and the maintenance pass handed all of them (6 for the
    example files) to the connected tutor service as turns to answer: a model call each,
    for replies recordMessage then refuses. Now an import records no events, and a
    message of a session no longer active (one the pass finished after an import was cut
    off) is not a turn."""
    db = api.services.db
    await api.services.extras[TURNS_KEY].join("tutors", "c1")
    await import_files(db, FILES, 14.0)
    assert await db.sessions.count_documents({}) > 0
    assert await db.session_events.count_documents({}) == 0
    assert await _turns_handed(api) == []
    # An import cut off before it applied a message: the pass finishes it, with its event.
    user_id, sid = await learner(db)
    await db.sessions.update_one({"_id": sid}, {"$set": {"status": "completed"}})
    old = utcnow() - timedelta(days=400)
    await db.messages.insert_one(message(user_id, sid, "user", timestamp=old))
    assert await complete_pending(db, 14.0) == 1
    assert await db.session_events.count_documents({"session_id": sid}) == 1
    assert await _turns_handed(api) == []
    # A learner's message in an active session still is one.
    _, live = await learner(db)
    await db.sessions.update_one({"_id": live}, {"$set": {"user_id": user_id}})
    await db.messages.insert_one(message(user_id, live, "user", content="live", timestamp=old))
    assert await complete_pending(db, 14.0) == 1
    assert await _turns_handed(api) == ["live"]


def _history(path: Path, sessions: int, per_session: int, attachment: str) -> None:
    """A sessions history whose records carry a large field the importer does not keep
    (the file is big, the import's work small)."""
    records = [
        {
            "session_id": f"gen-{i}",
            "attachments": [attachment],
            "user_email": f"learner{i % 7}@example.com",
            "start_time": "2025-03-01T10:00:00Z",
            "topic": "Travel",
            "provider": "openai",
            "messages": [
                {
                    "role": "user" if j % 2 == 0 else "assistant",
                    "text": f"{i}:{j}",
                    "timestamp": f"2025-03-01T10:{j:02d}:00Z",
                    **({"model": "gpt-4o", "tokens_in": 50, "tokens_out": 10} if j % 2 else {}),
                }
                for j in range(per_session)
            ],
        }
        for i in range(sessions)
    ]
    path.write_text(json.dumps(records), encoding="utf-8")


async def test_the_importer_streams_its_file(api, tmp_path):
    """Memory above what the import stores stays a fraction of the file (the whole parsed
    file was held: several times its size)."""
    db = api.services.db
    path = tmp_path / "history.json"
    # Few messages: what is measured is the reading (the embedded database's writes are
    # slow under tracemalloc); a record's messages are read with the record either way.
    _history(path, sessions=30, per_session=1, attachment="x" * 100_000)  # 3 MB
    size = path.stat().st_size
    tracemalloc.start()
    try:
        report = await import_files(db, [path], 14.0)
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.inserted["messages"] == 30 and not report.skipped
    transient = peak - current
    assert transient < size / 2, (transient, size)
    assert await db.messages.count_documents({"applied": True}) == 30


def evaluator_call(user_id: str, **fields: Any) -> dict[str, Any]:
    """An `ai_usage` row as resolvers/practice/evaluator.py `record_usage` inserts it."""
    return {
        "_id": str(uuid.uuid4()),
        "kind": "answer_evaluation",
        "user_id": user_id,
        "exercise_id": str(uuid.uuid4()),
        "timestamp": utcnow(),
        "provider": "openai",
        "model": "gpt-4o-mini",
        "tokens_in": 120,
        "tokens_out": 30,
        "cost": 0.002,
        "response_time_ms": 400,
        "topic": "Practice",
        "tier": "free",
        "applied": False,
        "guarded": True,
        **fields,
    }


async def usage_counts(db: Database) -> dict[str, float]:
    """Evaluator requests as each cost row counts them (nothing else is costed here)."""
    return {
        "cost_daily": sum([r["requests"] async for r in db.cost_daily.find({})]),
        "cost_totals": sum(
            [r["requests"] async for r in db.cost_totals.find({"_id": {"$regex": "^D:"}})]
        ),
        "provider_daily": sum([r.get("requests", 0) async for r in db.provider_daily.find({})]),
        "cost_dims": sum([r["requests"] async for r in db.cost_dims.find({})]),
        "cost": sum([r["cost"] async for r in db.cost_daily.find({})]),
    }


async def test_a_rebuild_counts_a_half_applied_evaluator_call_once(api):
    """Three evaluator calls: one applied, one cut off before any counter (a 503 during a
    stepdown), one cut off after its cost_daily update. After the rebuild and the
    maintenance pass every cost row counts 3 (was 5: the rebuild took every call older than
    a minute as done, applied or not, and the pass applied both again)."""
    from resolvers.costs.usage import USAGE, apply_usage
    from resolvers.pending import finish_pending

    db = api.services.db
    user_id, _ = await learner(db)
    done = evaluator_call(user_id)
    await db.ai_usage.insert_one(done)
    await apply_usage(db, done)
    old = utcnow() - timedelta(minutes=5)
    untouched = evaluator_call(user_id, timestamp=old)
    half = evaluator_call(user_id, timestamp=old)
    await db.ai_usage.insert_many([untouched, half])
    key = {"date": old.strftime("%Y-%m-%d"), "provider": "openai", "model": "gpt-4o-mini"}
    await guarded_update(
        db.cost_daily,
        {**key, "user_id": user_id},
        half["_id"],
        {"$inc": {"requests": 1, "tokens_in": 120, "tokens_out": 30, "cost": 0.002}},
    )

    await rebuild_all(db, 14.0, progress=False)
    assert await finish_pending(db, USAGE) == 2
    got = await usage_counts(db)
    want = {"cost_daily": 3, "cost_totals": 3, "provider_daily": 3, "cost_dims": 6}  # topic, tier
    assert got == {**want, "cost": pytest.approx(0.006)}
    await rebuild_all(db, 14.0, progress=False)  # quiet now: a rebuild changes nothing
    assert await usage_counts(db) == got


# What a counter row holds, for comparing rows recording wrote with rows a rebuild wrote:
# not the row ids (random), the guards, or the bookkeeping of the rating recount.
NOT_COUNTERS = frozenset(
    {"guard_ids", "applied_ids", "rating_writes", "rating_counted", "rating_version"}
)
SESSION_COUNTERS = (
    "total_messages",
    "total_tokens",
    "total_cost",
    "response_time_sum_ms",
    "response_time_count",
)


async def counter_rows(db: Database) -> dict[str, list[dict[str, Any]]]:
    def plain(row: dict[str, Any], keep_id: bool) -> dict[str, Any]:
        out = {}
        for k, v in row.items():
            if k in NOT_COUNTERS or (k == "_id" and not keep_id) or v == 0:
                continue  # a counter at 0 and one not written yet are the same
            out[k] = round(v, 12) if isinstance(v, float) else v
        return out

    rows: dict[str, list[dict[str, Any]]] = {}
    for name in COUNTER_COLLECTIONS[1:]:  # by key: cost_daily and error_stats ids are random
        keep_id = name in ("cost_totals", "provider_daily", "cost_dims")
        found = [plain(r, keep_id) async for r in db.collection(name).find({})]
        rows[name] = sorted(found, key=repr)
    rows["sessions"] = sorted(
        [
            {"_id": s["_id"], **{k: round(s.get(k) or 0, 12) for k in SESSION_COUNTERS}}
            async for s in db.sessions.find({})
        ],
        key=repr,
    )
    return rows


async def test_a_rebuild_gives_the_counters_recording_gave(api):
    """Replies with and without usage (one rated), a SYSTEM message priced from its tokens,
    a USER message the tutor recorded with its speech-to-text usage and the errors found in
    it, messages without usage: the rebuild, over the live rows and from nothing, writes
    exactly what recording wrote, and the non-reply usage is in the cost rows (it was in
    the session totals only)."""
    db = api.services.db
    user, token = await api.user()
    tutor = await api.tutor()
    start = "mutation($in: StartSessionInput!) { startSession(input: $in) { id } }"
    sid = (
        await api.data(
            start, {"in": {"userId": user["_id"], "provider": "openai", "topic": "Travel"}}, token
        )
    )["startSession"]["id"]
    record = "mutation($in: RecordMessageInput!) { recordMessage(input: $in) { id } }"
    messages = [
        (token, {"role": "USER", "content": "I has a dog."}),
        (tutor, {"role": "ASSISTANT", "model": "gpt-4o", "tokensIn": 400, "tokensOut": 60}),
        (tutor, {"role": "ASSISTANT", "model": "gpt-4o", "responseTimeMs": 30}),  # no usage
        (tutor, {"role": "SYSTEM", "model": "gpt-4o-mini", "tokensIn": 900, "tokensOut": 80}),
        (tutor, {"role": "USER", "model": "whisper-1", "tokensIn": 250, "cost": 0.0015}),
        (tutor, {"role": "SYSTEM", "content": "Session paused."}),
    ]
    ids = []
    for writer, fields in messages:
        data = {"sessionId": sid, "content": "x", **fields}
        if fields["role"] == "USER" and writer is tutor:
            data["errors"] = [{"category": "Grammar", "subcategory": "Articles"}]
        ids.append((await api.data(record, {"in": data}, token=writer))["recordMessage"]["id"])
    rate = "mutation($id: ID!) { rateMessage(id: $id, input: {rating: 2}) { id } }"
    await api.data(rate, {"id": ids[2]}, token=token)

    live = await counter_rows(db)
    [session] = live["sessions"]
    [day] = [r for r in live["cost_totals"] if r["_id"].startswith("D:")]
    assert day["requests"] == 3 and day["cost"] == pytest.approx(session["total_cost"])
    assert sum(r["requests"] for r in live["provider_daily"]) == 3
    await rebuild_all(db, 14.0, progress=False)
    assert await counter_rows(db) == live
    for name in COUNTER_COLLECTIONS[1:]:
        await db.collection(name).delete_many({})
    await db.sessions.update_many({}, {"$set": dict.fromkeys(SESSION_COUNTERS, 0)})
    await rebuild_all(db, 14.0, progress=False)
    assert await counter_rows(db) == live
