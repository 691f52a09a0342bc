"""Timeouts, page loads, batch sizes, index bootstrap and use, failover upkeep, shard keys
(issue 13, items 4-10): what production sizes and a real server change."""

from __future__ import annotations

import asyncio
import json
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.inprocess import in_process
from models.db import _make_client, connect, ensure_indexes
from models.documents import DOCUMENT_MODELS, utcnow
from models.events import CommandEvents
from resolvers.maintenance import Maintenance
from resolvers.rebuild import rebuild_error_stats, rebuild_session_totals
from scripts.export import export_json
from scripts.import_legacy import Report, finish
from scripts.rebuild_stats import rebuild_all
from tests import faults
from tests.conftest import SECRET, make_settings, running_api

START = "mutation($in: StartSessionInput!) { startSession(input: $in) { id } }"
RECORD = "mutation($in: RecordMessageInput!) { recordMessage(input: $in) { id } }"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def start(api, token, user_id):
    data = await api.data(START, {"in": {"userId": user_id, "provider": "openai"}}, token=token)
    return data["startSession"]["id"]


# --- 4. timeouts --------------------------------------------------------------------------


async def test_an_unreachable_server_fails_within_mongo_timeout_ms():
    """pymongo's timeoutMS replaced serverSelectionTimeoutMS: with a 5 s operation bound a
    request waited 5 s for a server that was gone, whatever MONGO_TIMEOUT_MS said."""
    client, embedded = _make_client(
        f"mongodb://127.0.0.1:{closed_port()}/?directConnection=true", 300, 5000
    )
    assert not embedded
    started = time.perf_counter()
    with pytest.raises(Exception) as failure:
        await client["x"].command("ping")
    elapsed = time.perf_counter() - started
    await client.close()
    assert type(failure.value).__name__ == "ServerSelectionTimeoutError"
    assert elapsed < 1.5, elapsed  # ~0.3 s, not 5 s


async def test_requests_keep_a_bound_and_batch_tools_have_none():
    uri = f"mongodb://127.0.0.1:{closed_port()}/?directConnection=true"
    request_client, _ = _make_client(uri, 300, 5000)
    batch_client, _ = _make_client(uri, 300, None)
    try:
        assert request_client.options.pool_options.socket_timeout == 5.0
        assert request_client.options.timeout is None  # would override server selection
        assert batch_client.options.pool_options.socket_timeout is None
        assert batch_client.options.timeout is None
        # Work in flight is bounded by the pool: past maxPoolSize an operation waits at most
        # MONGO_TIMEOUT_MS for a connection, then fails as unavailable (503).
        assert request_client.options.pool_options.max_pool_size == 100
        assert request_client.options.pool_options.wait_queue_timeout == 0.3
    finally:
        await request_client.close()
        await batch_client.close()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("replicaSet=rs0", {"w": "majority"}),
        ("replicaSet=rs0&W=majority&wtimeoutMS=4000", {"w": "majority", "wtimeout": 4000}),
        ("replicaSet=rs0&w=dc2", {"w": "dc2"}),
    ],
)
async def test_writes_are_acknowledged_by_a_majority_unless_the_uri_says_otherwise(
    query: str, expected: dict[str, Any]
) -> None:
    """Exactly once after a failover rests on every acknowledged step surviving the
    election: an `$inc` acknowledged by the old primary alone and rolled back leaves its
    message `applied` and the counter one short, with nothing to finish it. A URI without
    `w` left that to the server's default, which is `{w: 1}` on a primary-secondary-
    arbiter set (and whatever setDefaultRWConcern last set). An operator's own `w` (a
    tag set naming data centres) stays theirs."""
    client, _ = _make_client(f"mongodb://127.0.0.1:{closed_port()}/?{query}", 300, 5000)
    try:
        assert client.write_concern.document == expected
    finally:
        await client.close()


async def test_export_pages_instead_of_holding_one_cursor(api, monkeypatch):
    """A cursor held open for a whole history dies with the first cursor timeout or
    failover; the export resumes page by page from the last (timestamp, _id)."""
    import io

    from scripts import export

    user, token = await api.user()
    sid = await start(api, token, user["_id"])
    for i in range(25):
        await api.data(
            RECORD, {"in": {"sessionId": sid, "role": "USER", "content": f"m{i}"}}, token
        )
    monkeypatch.setattr(export, "BATCH", 10)
    out = io.StringIO()
    with faults.short_lived_cursors(api.services.db, max_docs=12):
        counts = await export_json(api.services.db, user, out, 14.0, datetime.now(UTC))
    assert counts["messages"] == 25
    exported = json.loads(out.getvalue())
    assert [m["content"] for m in exported["messages"]] == [f"m{i}" for i in range(25)]
    assert all("guard_ids" not in s and "applied" not in s for s in exported["sessions"])


# --- 5. page loads ----------------------------------------------------------------------------


class Pipelines:
    def __init__(self) -> None:
        self.seen: list[tuple[str, list]] = []

    def wrap(self, coll):
        recorder = self

        class _Recording:
            def __getattr__(self, name):
                attr = getattr(coll, name)
                if name != "aggregate":
                    return attr

                def aggregate(pipeline, *a, **k):
                    recorder.seen.append((coll.name, pipeline))
                    return attr(pipeline, *a, **k)

                return aggregate

        return _Recording()


def branches(pipeline):
    head = [s for s in pipeline if "$unionWith" not in s]
    return [head] + [s["$unionWith"]["pipeline"] for s in pipeline if "$unionWith" in s]


async def test_a_page_reads_at_most_first_plus_one_children_per_parent(api):
    """The old page pushed every child of every parent through $group to keep 20."""
    user, token = await api.user()
    sid = await start(api, token, user["_id"])
    db = api.services.db
    base = datetime(2026, 1, 1, tzinfo=UTC)
    await db.messages.insert_many(
        [
            {
                "_id": str(uuid.uuid4()),
                "session_id": sid,
                "user_id": user["_id"],
                "role": "user",
                "content": f"m{i}",
                "timestamp": base + timedelta(seconds=i),
                "errors": [],
                "applied": True,
            }
            for i in range(250)
        ]
    )
    query = """query($id: ID!) { session(id: $id) { messages(first: 3) {
        %s pageInfo { hasNextPage } edges { node { content } } } } }"""
    recorder = Pipelines()
    with db.wrapped(recorder.wrap):
        plain = await api.data(query % "", {"id": sid}, token)
        counted = await api.data(query % "totalCount", {"id": sid}, token)
    page = plain["session"]["messages"]
    assert [e["node"]["content"] for e in page["edges"]] == ["m0", "m1", "m2"]
    assert page["pageInfo"]["hasNextPage"] is True
    assert counted["session"]["messages"]["totalCount"] == 250
    [(coll, without_count), (_, with_count)] = recorder.seen
    assert coll == "messages"
    for pipeline in (without_count, with_count):
        pages = [b for b in branches(pipeline) if not _counts(b)]
        assert len(pages) == 1
        match, sort, limit = pages[0][:3]
        assert match["$match"]["session_id"] == sid  # equality on the index prefix
        assert match["$match"]["user_id"] == user["_id"]  # the shard key: a targeted query
        assert list(sort["$sort"]) == ["timestamp", "_id"] and limit == {"$limit": 4}
        # The page becomes one document only after $limit: at most first+1 rows grouped.
        stages = [next(iter(stage)) for stage in pages[0]]
        assert stages.index("$group") > stages.index("$limit")
    # totalCount is one more branch, only when selected; it collects no documents.
    groups = [s["$group"] for b in branches(with_count) if _counts(b) for s in b if "$group" in s]
    assert groups == [{"_id": "$session_id", "n": {"$sum": 1}}]
    [count] = [b for b in branches(with_count) if _counts(b)]
    assert count[0]["$match"] == {"session_id": {"$in": [sid]}, "user_id": {"$in": [user["_id"]]}}
    assert not any(_counts(b) for b in branches(without_count))


def _counts(branch):
    return any("$group" in stage and "n" in stage["$group"] for stage in branch)


# --- 6. unbounded $in lists --------------------------------------------------------------------


async def test_batch_tools_split_id_lists(api, monkeypatch):
    """pymongo refuses a command over 16 MB (~500k ids); the fault and the chunk size are
    scaled down together (40 ids). The rebuild and the importer's finish passed every id
    in one list."""
    from models import db as db_module

    monkeypatch.setattr(db_module, "IN_CHUNK", 40)
    db = api.services.db
    user, _ = await api.user()
    now = utcnow()
    sessions = [
        {
            "_id": str(uuid.uuid4()),
            "user_id": user["_id"],
            "started_at": now,
            "status": "completed",
            "total_messages": 0,
            "total_tokens": 0,
            "total_cost": 0.0,
        }
        for _ in range(db_module.IN_CHUNK * 2 + 5)
    ]
    await db.sessions.insert_many(sessions)
    ids = [s["_id"] for s in sessions]
    await db.messages.insert_one(
        {
            "_id": "m1",
            "session_id": ids[-1],
            "user_id": user["_id"],
            "role": "user",
            "content": "x",
            "timestamp": now,
            "errors": [{"category": "Grammar", "subcategory": "Articles"}],
            "applied": True,
        }
    )
    report = Report(user_ids={user["_id"]}, session_ids=set(ids))
    with faults.in_list_limit(db, db_module.IN_CHUNK):
        assert await rebuild_session_totals(db, ids) == len(ids)
        await finish(db, report, 14.0)
        totals = await rebuild_all(db, 14.0, progress=False)
    assert totals["sessions"] == len(ids)
    assert (await db.sessions.find_one({"_id": ids[-1]}))["total_messages"] == 1
    assert (await db.error_stats.find_one({"user_id": user["_id"]}))["count"] == 1


# --- 7. index bootstrap -----------------------------------------------------------------------


@pytest.mark.slow
async def test_the_gateway_starts_while_mongodb_is_unreachable(capsys):
    """It used to build indexes (and ask the server's version) at start: with MongoDB
    briefly down the process exited instead of starting and reporting not-ready."""
    settings = make_settings(
        mongo_uri=f"mongodb://127.0.0.1:{closed_port()}/?directConnection=true",
        mongo_timeout_ms=200,
        jwt_secret=SECRET,
    )
    app = create_app(settings)
    async with in_process(app) as served:
        transport = httpx.ASGITransport(app=served)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.get("/health")).status_code == 200
            ready = await client.get("/health/ready")
            assert ready.status_code == 503 and ready.json()["failing"] == ["mongodb"]
            response = await client.post("/graphql", json={"query": "{ users { totalCount } }"})
            assert response.status_code in (401, 503)
    events = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    assert any(e["event"] == "maintenance_skipped" for e in events)
    assert any(e["event"] == "gateway_started" for e in events)


async def test_missing_indexes_are_reported_not_built(api, capsys):
    db = api.services.db
    await db.messages.drop_index("session_time")
    await Maintenance(db, 14.0, None, 60, check_indexes=True).run_once()
    events = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    [warning] = [e for e in events if e["event"] == "indexes_missing"]
    assert warning["indexes"] == ["messages.session_time"]


async def test_index_creation_reports_a_conflict_and_builds_the_rest():
    """The same keys under another name (IndexOptionsConflict) aborted Beanie's start-up
    index build; init_db reports the clash and builds everything else."""
    db = await connect(None, f"t_{uuid.uuid4().hex[:8]}", create_indexes=False)
    await db.messages.create_indexes(
        [
            __import__("pymongo").IndexModel(
                [("session_id", 1), ("timestamp", 1), ("_id", 1)], name="legacy_name"
            )
        ]
    )
    report = await ensure_indexes(db)
    assert [c.split(":")[0] for c in report["conflicts"]] == ["messages.session_time"]
    declared = sum(
        len(m.Settings.indexes) for m in DOCUMENT_MODELS if hasattr(m.Settings, "indexes")
    )
    assert len(report["created"]) == declared - 1


# --- 8. every hot query on an index ----------------------------------------------------------

# (collection, equality fields, sort/range fields in order, other filter fields)
HOT_QUERIES = [
    ("messages", ["session_id"], ["timestamp", "_id"], {}),  # Session.messages pages
    ("messages", ["user_id"], ["timestamp", "_id"], {}),  # export, keyset pages
    ("messages", ["user_id"], ["timestamp"], {}),  # windowed errorStats
    (
        "messages",
        ["user_id"],
        ["timestamp"],
        {"role": "user", "errors.correction": {"$exists": True}},
    ),  # generateExercise: the learner's own corrected sentences
    ("messages", [], ["applied"], {"applied": False}),  # sweep: half-applied
    ("messages", [], ["applied_at"], {"guarded": True}),  # sweep: settle guards
    ("ai_usage", [], ["timestamp"], {"applied": False}),  # sweep: half-applied evaluator calls
    ("ai_usage", [], ["applied_at"], {"guarded": True}),  # sweep: their guards
    ("exercises", [], ["completed_at"], {"finish_pending": True}),  # sweep: reviews to write
    ("daily_sets", [], ["created_at"], {}),  # TTL expiry
    ("sessions", ["user_id"], ["started_at", "_id"], {}),
    ("exercises", ["user_id"], ["created_at", "_id"], {}),
    ("exercises", ["user_id", "status"], ["created_at", "_id"], {}),
    ("users", [], ["created_at", "_id"], {}),
    ("users", ["subscription_tier"], ["created_at", "_id"], {}),
    ("users", ["email"], [], {}),
    ("error_stats", ["user_id", "category", "subcategory"], [], {}),
    ("cost_daily", [], ["date"], {}),
    ("cost_daily", ["user_id"], ["date"], {}),
]


def serves(index, equality, ordered, residual) -> bool:
    doc = index.document
    keys = [f for f, _ in doc["key"].items()]
    n = len(equality)
    if set(keys[:n]) != set(equality) or keys[n : n + len(ordered)] != ordered:
        return False
    partial = doc.get("partialFilterExpression", {})
    return all(partial.get(f) == v for f, v in residual.items())


@pytest.mark.parametrize("coll,equality,ordered,residual", HOT_QUERIES)
def test_every_hot_query_has_an_index(coll, equality, ordered, residual):
    [model] = [m for m in DOCUMENT_MODELS if m.Settings.name == coll]
    indexes = getattr(model.Settings, "indexes", [])
    assert any(serves(i, equality, ordered, residual) for i in indexes), (coll, equality, ordered)


async def test_users_total_count_does_not_scan_the_collection(api):
    from models.instrument import RoundTrips

    _, admin = await api.admin()
    counter = RoundTrips()
    with api.services.db.wrapped(counter.wrap):
        data = await api.data("{ users(first: 1) { totalCount } }", token=admin)
    assert data["users"]["totalCount"] == 1
    assert counter.calls[("users", "estimated_document_count")] == 1
    assert counter.calls[("users", "count_documents")] == 0


# --- 9. failover upkeep ---------------------------------------------------------------------


@pytest.mark.slow
async def test_half_applied_messages_are_finished_periodically_not_only_at_start():
    async with running_api(make_settings(maintenance_interval_seconds=1)) as api:
        user, token = await api.user()
        sid = await start(api, token, user["_id"])
        db = api.services.db
        await db.messages.insert_one(
            {
                "_id": "left-behind",
                "session_id": sid,
                "user_id": user["_id"],
                "role": "user",
                "content": "cut off by a failover",
                "timestamp": utcnow() - timedelta(minutes=5),
                "errors": [],
                "applied": False,
                "guarded": True,
            }
        )
        for _ in range(40):
            await asyncio.sleep(0.1)
            if (await db.messages.find_one({"_id": "left-behind"}))["applied"]:
                break
        assert (await db.messages.find_one({"_id": "left-behind"}))["applied"] is True
        assert (await db.sessions.find_one({"_id": sid}))["total_messages"] == 1


# Yields before the rebuild starts: its delete and insert then fall among the live upserts.
REBUILD_DELAY = 4


@pytest.mark.interleaved
async def test_a_rebuild_racing_live_writes_neither_fails_nor_loses_rows(api):
    """Delete-then-insert let a live upsert re-create a row in between, and the insert
    then failed with a duplicate key; rows are now rewritten in place."""
    from resolvers.messages import apply_message

    db = api.services.db
    users = [(await api.user())[0]["_id"] for _ in range(4)]
    subs = ["Articles", "Plurals", "Verb Tense"]

    async def message(user_id, sub, delay=0):
        for _ in range(delay):  # spread the live writes over the rebuild's steps
            await asyncio.sleep(0)
        doc = {
            "_id": str(uuid.uuid4()),
            "session_id": "s",
            "user_id": user_id,
            "role": "user",
            "content": "x",
            "timestamp": utcnow(),
            "errors": [{"category": "Grammar", "subcategory": sub}],
            "applied": False,
            "guarded": True,
        }
        await db.messages.insert_one(doc)
        await apply_message(db, doc, 14.0)

    for u in users:
        for sub in subs:
            await message(u, sub)
    await db.error_stats.delete_many({})  # a repair is due

    async def rebuild_later():
        for _ in range(REBUILD_DELAY):
            await asyncio.sleep(0)
        await rebuild_error_stats(db, 14.0)

    await asyncio.gather(
        rebuild_later(),
        *(message(u, sub, i) for i, (u, sub) in enumerate((u, s) for u in users for s in subs)),
    )
    await rebuild_error_stats(db, 14.0)  # quiet now: the rebuild is exact again
    async for row in db.error_stats.find({}):
        assert row["count"] == 2
    assert await db.error_stats.count_documents({}) == len(users) * len(subs)


async def test_the_real_client_reports_every_command_to_the_gateways_listener():
    """Metrics and traces come from PyMongo's command events with a real server: the one
    listener they subscribe to is registered on the client itself."""
    events = CommandEvents()
    uri = f"mongodb://127.0.0.1:{closed_port()}/?directConnection=true"
    client, embedded = _make_client(uri, 300, 5000, events=events)
    try:
        assert not embedded
        assert events in client.options.event_listeners
    finally:
        await client.close()


# --- 10. shard keys in every single-document write -----------------------------------------

SHARD_KEYS = {
    "messages": {"user_id", "_id"},
    "sessions": {"user_id", "_id"},
    "exercises": {"user_id", "_id"},
    "skill_cards": {"user_id", "_id"},
}
SINGLE_WRITES = {"update_one", "find_one_and_update", "replace_one", "delete_one"}


class WriteFilters:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, dict]] = []

    def wrap(self, coll):
        recorder = self

        class _Recording:
            def __getattr__(self, name):
                attr = getattr(coll, name)
                if name not in SINGLE_WRITES:
                    return attr

                async def write(flt, *a, **k):
                    recorder.seen.append((coll.name, name, flt))
                    return await attr(flt, *a, **k)

                return write

        return _Recording()


async def test_every_single_document_write_names_the_shard_key(api):
    """On a sharded cluster (6.0/7.0) a single-document update or upsert must carry the
    shard key; the session, exercise and importer writes used `_id` alone."""
    user, token = await api.user()
    db = api.services.db
    recorder = WriteFilters()
    tutor = await api.tutor()
    with db.wrapped(recorder.wrap):
        sid = await start(api, token, user["_id"])
        await api.data(
            RECORD,
            {
                "in": {
                    "sessionId": sid,
                    "role": "USER",
                    "content": "I has",
                    "errors": [{"category": "Grammar", "subcategory": "Articles"}],
                }
            },
            tutor,
        )
        await api.data(
            RECORD,
            {"in": {"sessionId": sid, "role": "ASSISTANT", "content": "r", "tokensIn": 3}},
            tutor,
        )
        gen = "mutation($u: ID!) { generateExercise(userId: $u, count: 2) { id } }"
        ids = [
            e["id"] for e in (await api.data(gen, {"u": user["_id"]}, token))["generateExercise"]
        ]
        await api.gql("mutation($id: ID!) { requestHint(id: $id) { text } }", {"id": ids[0]}, token)
        stored = await api.services.db.exercises.find_one({"_id": ids[0]})
        await api.data(  # a finished answer also reviews the skill's FSRS card
            "mutation($id: ID!, $a: String!) { submitExercise(id: $id, answer: $a) { correct } }",
            {"id": ids[0], "a": stored["answer"]},
            token,
        )
        review = await api.services.db.exercises.find_one({"review_of": ids[0]})
        await api.data(  # the skill's review: its card is updated in place
            "mutation($id: ID!, $a: String!) { submitExercise(id: $id, answer: $a) { correct } }",
            {"id": review["_id"], "a": review["answer"]},
            token,
        )
        await api.data("mutation($id: ID!) { skipExercise(id: $id) { id } }", {"id": ids[1]}, token)
        await api.data(
            "mutation($id: ID!) { endSession(id: $id, status: COMPLETED) { id } }",
            {"id": sid},
            token,
        )
    checked = [(c, op, f) for c, op, f in recorder.seen if c in SHARD_KEYS]
    assert {c for c, _, _ in checked} == set(SHARD_KEYS)
    for coll, op, flt in checked:
        assert SHARD_KEYS[coll] <= set(flt), (coll, op, flt)
