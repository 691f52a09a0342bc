"""What a real MongoDB server does that the synchronous emulator hid (issue 13).

The concurrency tests run with `@pytest.mark.interleaved`: every embedded operation yields
to the event loop first, and an upsert that loses a race to insert the same key raises
DuplicateKeyError, as on a server.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from pymongo.errors import DuplicateKeyError

from models.db import COLLECTIONS, connect
from resolvers.costs.rollup import day_key, hour_key
from resolvers.counters import GUARD_FIELD
from resolvers.messages import apply_message, settle
from tests.conftest import make_settings, running_api

START = "mutation($in: StartSessionInput!) { startSession(input: $in) { id } }"
RECORD = """mutation($in: RecordMessageInput!) {
  recordMessage(input: $in) { id session { totalMessages totalTokens totalCost } } }"""
HOUR_DAY = "{ costReport { thisHour today } }"


async def start(api, token, user_id):
    data = await api.data(START, {"in": {"userId": user_id, "provider": "openai"}}, token=token)
    return data["startSession"]["id"]


# --- 1. the interleaving emulator ---------------------------------------------------------


async def test_interleaved_upserts_race_like_a_server(capsys):
    """Two first-ever upserts of one unique key: a filter that is not pure equality on the
    key loses with DuplicateKeyError; pure equality is retried and both land."""
    db = await connect(None, f"t_{uuid.uuid4().hex[:8]}", interleave=True)
    coll = db.error_stats

    async def guarded(i):
        await coll.update_one(
            {"user_id": "u", "category": "c", "subcategory": "s", "guard_ids": {"$ne": i}},
            {"$inc": {"count": 1}, "$setOnInsert": {"_id": str(uuid.uuid4())}},
            upsert=True,
        )

    results = await asyncio.gather(guarded("a"), guarded("b"), return_exceptions=True)
    assert sum(isinstance(r, DuplicateKeyError) for r in results) == 1

    async def plain():
        await db.cost_totals.update_one({"_id": "H:x"}, {"$inc": {"n": 1}}, upsert=True)

    await asyncio.gather(plain(), plain())
    assert (await db.cost_totals.find_one({"_id": "H:x"}))["n"] == 2

    # The same code without interleaving: never a collision (what the suite used to test).
    calm = await connect(None, f"t_{uuid.uuid4().hex[:8]}")
    coll = calm.error_stats
    results = await asyncio.gather(guarded("a"), guarded("b"), return_exceptions=True)
    assert not any(isinstance(r, Exception) for r in results)


async def test_start_up_event_says_the_database_interleaves(capsys):
    async with running_api(make_settings(embedded_interleave=True)):
        pass
    events = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    [event] = [e for e in events if e["event"] == "embedded_database"]
    assert event["interleave"] is True


# --- 2. cost rollups under concurrency -----------------------------------------------------


@pytest.mark.slow
@pytest.mark.interleaved
async def test_concurrent_messages_leave_every_total_exact(api):
    """480 assistant and learner messages from 20 learners at once, a quarter of them sent
    twice (a retry racing its original): cost totals, session totals and error stats exact.
    Before the fix a racing upsert of a new hour/day row was dropped
    (`except DuplicateKeyError: continue`) and thisHour/today undercounted."""
    _, admin = await api.admin()
    learners = []
    for _ in range(20):
        user, token = await api.user(tier="premium")
        learners.append((user["_id"], await start(api, token, user["_id"])))
    sent = []
    for i in range(480):
        user_id, sid = learners[i % 20]
        if i % 2:
            body = {
                "sessionId": sid,
                "role": "ASSISTANT",
                "content": f"a{i}",
                "model": "gpt-4o",
                "tokensIn": 10 + i % 7,
                "tokensOut": 5,
                "cost": round(0.001 * (1 + i % 5), 6),
            }
        else:
            sub = ["Articles", "Plurals", "Verb Tense"][i % 3]
            body = {
                "sessionId": sid,
                "role": "USER",
                "content": f"u{i}",
                "errors": [{"category": "Grammar", "subcategory": sub}],
            }
        if i % 4 == 0:
            body["idempotencyKey"] = f"k{i}"
        sent.append((user_id, body))

    async def send(body):
        response = await api.gql(RECORD, {"in": body}, token=admin)
        assert response.status_code == 200 and "errors" not in response.json(), response.text

    retries = [b for _, b in sent if "idempotencyKey" in b]
    assert len(retries) == 120
    await asyncio.gather(*(send(b) for _, b in sent), *(send(b) for b in retries))

    db = api.services.db
    stored = [m async for m in db.messages.find({"role": "assistant"})]
    assert len(stored) == 240
    by_hour, by_day = defaultdict(float), defaultdict(float)
    for m in stored:
        by_hour[hour_key(m["timestamp"])] += m["cost"]
        by_day[day_key(m["timestamp"])] += m["cost"]
    report = (await api.data(HOUR_DAY, token=admin))["costReport"]
    now = datetime.now(UTC)
    assert report["thisHour"] == pytest.approx(by_hour[hour_key(now)])
    assert report["today"] == pytest.approx(by_day[day_key(now)])
    assert sum(by_day.values()) == pytest.approx(sum(b.get("cost", 0) for _, b in sent))
    for key, cost in (*by_hour.items(), *by_day.items()):
        row = await db.cost_totals.find_one({"_id": key})
        assert row["cost"] == pytest.approx(cost), key

    for user_id, sid in learners:
        mine = [b for u, b in sent if u == user_id]
        session = await db.sessions.find_one({"_id": sid})
        assert session["total_messages"] == len(mine)
        assert session["total_tokens"] == sum(
            b.get("tokensIn", 0) + b.get("tokensOut", 0) for b in mine
        )
        assert session["total_cost"] == pytest.approx(sum(b.get("cost", 0) for b in mine))
        expected = Counter(b["errors"][0]["subcategory"] for b in mine if b["role"] == "USER")
        got = {
            s["subcategory"]: s["count"] async for s in db.error_stats.find({"user_id": user_id})
        }
        assert got == dict(expected)
    assert await db.messages.count_documents({"applied": False}) == 0


# --- 3. exactly once at any volume ------------------------------------------------------------


async def _assistant(db, user_id, session_id, cost):
    doc = {
        "_id": str(uuid.uuid4()),
        "session_id": session_id,
        "user_id": user_id,
        "role": "assistant",
        "content": "reply",
        "timestamp": datetime.now(UTC).replace(microsecond=0),
        "provider": "openai",
        "model": "gpt-4o",
        "tokens_in": 1,
        "tokens_out": 1,
        "cost": cost,
        "errors": [],
        "applied": False,
        "guarded": True,
    }
    await db.messages.insert_one(doc)
    await apply_message(db, doc, 14.0)
    return doc


@pytest.mark.slow
async def test_a_late_retry_counts_once_after_hundreds_of_other_messages(api):
    """The old guard kept the last 200 ids per row: the shared hour/day rows forgot a
    message after 200 others and a late retry (or the sweep) counted it twice."""
    user, token = await api.user()
    sid = await start(api, token, user["_id"])
    db = api.services.db
    first = await _assistant(db, user["_id"], sid, 1.0)
    for _ in range(300):
        await _assistant(db, user["_id"], sid, 0.01)
    before = await db.cost_totals.find_one({"_id": hour_key(first["timestamp"])})
    session_before = await db.sessions.find_one({"_id": sid})
    first["applied"] = False
    await apply_message(db, first, 14.0)  # the late retry
    after = await db.cost_totals.find_one({"_id": hour_key(first["timestamp"])})
    assert after["cost"] == pytest.approx(before["cost"]) and after["requests"] == 301
    assert (await db.sessions.find_one({"_id": sid}))["total_messages"] == session_before[
        "total_messages"
    ]


async def test_settled_guards_leave_the_rows_and_no_read_carries_them(api):
    user, token = await api.user()
    _, admin = await api.admin()
    sid = await start(api, token, user["_id"])
    db = api.services.db
    for _ in range(5):
        await _assistant(db, user["_id"], sid, 0.5)
    row = await db.cost_totals.find_one({"_id": day_key(datetime.now(UTC))})
    assert len(row[GUARD_FIELD]) == 5  # guarded while attempts may still be running
    # Reads never ship the guard arrays.
    data = await api.data(
        "query($id: ID!) { session(id: $id) { totalMessages messages(first: 3) { edges { node { id } } } } }",
        {"id": sid},
        token=admin,
    )
    assert data["session"]["totalMessages"] == 5
    assert await settle(db, grace=timedelta(0)) == 5
    for name in COLLECTIONS:
        async for doc in db.collection(name).find({}):
            assert doc.get(GUARD_FIELD, []) == [], name
    assert await db.messages.count_documents({"guarded": True}) == 0


# --- issue 12: idempotency keys and the response after the write --------------------------


async def test_an_idempotency_key_reused_with_other_values_is_refused(api):
    user, token = await api.user()
    sid = await start(api, token, user["_id"])
    tutor = await api.tutor()  # replies and their usage come from the tutor service
    base = {
        "sessionId": sid,
        "role": "ASSISTANT",
        "content": "Hello",
        "model": "gpt-4o",
        "tokensIn": 10,
        "tokensOut": 5,
        "cost": 0.01,
        "idempotencyKey": "same-key",
    }
    first = await api.data(RECORD, {"in": base}, token=tutor)
    again = await api.data(RECORD, {"in": base}, token=tutor)
    assert again["recordMessage"]["id"] == first["recordMessage"]["id"]
    for change in ({"tokensIn": 99999, "cost": 5.0}, {"model": "gpt-4o-mini"}, {"cost": None}):
        body = {k: v for k, v in {**base, **change}.items() if v is not None}
        response = (await api.gql(RECORD, {"in": body}, token=tutor)).json()
        [error] = response["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", change
        assert error["extensions"]["field"] == "idempotencyKey"
    session = await api.services.db.sessions.find_one({"_id": sid})
    assert session["total_messages"] == 1 and session["total_cost"] == pytest.approx(0.01)
    # What the server or later mutations change is not part of the call: still a retry.
    await api.services.db.users.update_one(
        {"_id": user["_id"]}, {"$set": {"subscription_tier": "pro"}}
    )
    await api.services.db.messages.update_one(
        {"_id": first["recordMessage"]["id"]}, {"$set": {"rating": 5, "helpful": True}}
    )
    api.services.auth.forget(user["_id"])  # the next request reads the new tier
    again = await api.data(RECORD, {"in": base}, token=tutor)
    assert again["recordMessage"]["id"] == first["recordMessage"]["id"]


async def test_record_message_answers_the_totals_after_its_write(api):
    user, token = await api.user()
    sid = await start(api, token, user["_id"])
    tutor = await api.tutor()  # replies and their usage come from the tutor service
    turn = """mutation($sid: ID!) {
      learner: recordMessage(input: {sessionId: $sid, role: USER, content: "I go",
                                     idempotencyKey: "t1"}) {
        session { totalMessages totalTokens totalCost } }
      tutor: recordMessage(input: {sessionId: $sid, role: ASSISTANT, content: "I went",
                                   tokensIn: 40, tokensOut: 10, cost: 0.5, idempotencyKey: "t2"}) {
        session { totalMessages totalTokens totalCost } } }"""
    data = await api.data(turn, {"sid": sid}, token=tutor)
    assert data["learner"]["session"] == {"totalMessages": 1, "totalTokens": 0, "totalCost": 0.0}
    assert data["tutor"]["session"] == {"totalMessages": 2, "totalTokens": 50, "totalCost": 0.5}
    # A retry of an applied message answers the current totals too.
    again = await api.data(turn, {"sid": sid}, token=tutor)
    assert again["learner"]["session"]["totalMessages"] == 2
