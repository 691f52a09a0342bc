"""Users, sessions and messages through HTTP: every field, mutation and pagination edge."""

from __future__ import annotations

import asyncio

import pytest

from resolvers.pricing import load_pricing
from tests.factories import conversations

START = "mutation($input: StartSessionInput!) { startSession(input: $input) { id status topic provider startedAt endedAt totalMessages totalTokens totalCost avgResponseTimeMs user { id } } }"
RECORD = """mutation($input: RecordMessageInput!) { recordMessage(input: $input) {
  id role content timestamp provider model tokensIn tokensOut cost responseTimeMs
  errors { category subcategory excerpt correction explanation }
  session { id totalMessages } user { id } } }"""
SESSION = "query($id: ID!) { session(id: $id) { id status endedAt totalMessages totalTokens totalCost avgResponseTimeMs messages(first: 50) { totalCount edges { node { role content } } } } }"


async def start(api, token, user_id, **extra):
    return (await api.data(START, {"input": {"userId": user_id, **extra}}, token=token))[
        "startSession"
    ]


async def record(api, token, session_id, **fields):
    body = {"sessionId": session_id, "role": "USER", "content": "Hello", **fields}
    return await api.gql(RECORD, {"input": body}, token=await api.writer(token, body))


async def test_start_session_counts_on_the_user(api):
    user, token = await api.user()
    session = await start(api, token, user["_id"], topic="Travel", provider="openai")
    assert (
        session["status"] == "ACTIVE"
        and session["topic"] == "Travel"
        and session["endedAt"] is None
    )
    assert session["totalMessages"] == 0 and session["avgResponseTimeMs"] is None
    assert session["user"] == {"id": user["_id"]}
    me = await api.data("{ me { totalSessions lastActive } }", token=token)
    assert me["me"]["totalSessions"] == 1 and me["me"]["lastActive"] is not None


async def test_learner_cannot_start_a_session_for_someone_else(api):
    _, token = await api.user()
    other, _ = await api.user()
    body = (await api.gql(START, {"input": {"userId": other["_id"]}}, token=token)).json()
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert await api.services.db.sessions.count_documents({}) == 0


async def test_record_message_updates_every_counter(api):
    user, token = await api.user()
    session = await start(api, token, user["_id"], provider="anthropic")
    learner = await record(
        api,
        token,
        session["id"],
        content="Yesterday I go to the park.",
        errors=[
            {
                "category": "Grammar",
                "subcategory": "Verb Tense",
                "excerpt": "I go",
                "correction": "I went",
                "explanation": "Past simple for finished events.",
            },
            {
                "category": "Grammar",
                "subcategory": "Verb Tense",
                "excerpt": "go",
                "correction": "went",
            },
            {"category": "Grammar", "subcategory": "Articles"},
        ],
    )
    msg = learner.json()["data"]["recordMessage"]
    assert msg["role"] == "USER" and msg["content"] == "Yesterday I go to the park."
    assert msg["errors"][0] == {
        "category": "Grammar",
        "subcategory": "Verb Tense",
        "excerpt": "I go",
        "correction": "I went",
        "explanation": "Past simple for finished events.",
    }
    assert msg["session"]["id"] == session["id"] and msg["user"]["id"] == user["_id"]

    reply = (
        await record(
            api,
            token,
            session["id"],
            role="ASSISTANT",
            content="Almost! 'I went'.",
            model="claude-sonnet-4",
            tokensIn=1000,
            tokensOut=200,
            responseTimeMs=900,
        )
    ).json()
    reply = reply["data"]["recordMessage"]
    expected_cost = load_pricing().cost("anthropic", "claude-sonnet-4", 1000, 200)
    assert reply["provider"] == "anthropic"  # inherited from the session
    assert reply["cost"] == pytest.approx(expected_cost)
    await record(
        api,
        token,
        session["id"],
        role="ASSISTANT",
        content="Again",
        model="claude-sonnet-4",
        tokensIn=10,
        tokensOut=10,
        cost=0.5,
        responseTimeMs=1100,
    )

    s = (await api.data(SESSION, {"id": session["id"]}, token=token))["session"]
    assert s["totalMessages"] == 3
    assert s["totalTokens"] == 1220
    assert s["totalCost"] == pytest.approx(expected_cost + 0.5)
    assert s["avgResponseTimeMs"] == 1000.0
    assert [e["node"]["content"] for e in s["messages"]["edges"]] == [
        "Yesterday I go to the park.",
        "Almost! 'I went'.",
        "Again",
    ]

    stats = {
        (d["category"], d["subcategory"]): d["count"]
        async for d in api.services.db.error_stats.find({"user_id": user["_id"]})
    }
    assert stats == {("Grammar", "Verb Tense"): 2, ("Grammar", "Articles"): 1}
    rows = [d async for d in api.services.db.cost_daily.find({"user_id": user["_id"]})]
    assert len(rows) == 1
    assert (
        rows[0]["requests"] == 2 and rows[0]["tokens_in"] == 1010 and rows[0]["tokens_out"] == 210
    )
    assert rows[0]["cost"] == pytest.approx(expected_cost + 0.5)
    assert rows[0]["provider"] == "anthropic" and rows[0]["model"] == "claude-sonnet-4"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"tokensIn": -1, "role": "ASSISTANT"}, "tokensIn"),
        ({"cost": -0.01, "role": "ASSISTANT"}, "cost"),
        ({"content": "   "}, "content"),
        ({"content": "x" * 10_001}, "content"),
        (
            {"role": "ASSISTANT", "errors": [{"category": "Grammar", "subcategory": "Articles"}]},
            "errors",
        ),
        ({"errors": [{"category": " ", "subcategory": "Articles"}]}, "errors[0].category"),
        ({"idempotencyKey": "has space"}, "idempotencyKey"),
        ({"responseTimeMs": -5}, "responseTimeMs"),
    ],
)
async def test_record_message_rejects_bad_input_and_writes_nothing(api, fields, field):
    user, token = await api.user()
    session = await start(api, token, user["_id"])
    body = (await record(api, token, session["id"], **fields)).json()
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert await api.services.db.messages.count_documents({}) == 0
    stored = await api.services.db.sessions.find_one({"_id": session["id"]})
    assert stored["total_messages"] == 0


async def test_session_lifecycle(api):
    user, token = await api.user()
    session = await start(api, token, user["_id"])
    end = "mutation($id: ID!, $s: SessionStatus) { endSession(id: $id, status: $s) { status endedAt } }"
    refused = (await api.gql(end, {"id": session["id"], "s": "ACTIVE"}, token=token)).json()
    assert refused["errors"][0]["extensions"]["field"] == "status"
    ended = (await api.data(end, {"id": session["id"]}, token=token))["endSession"]
    assert ended["status"] == "COMPLETED" and ended["endedAt"] is not None
    again = (await api.data(end, {"id": session["id"]}, token=token))["endSession"]
    assert again == ended  # a retry is answered, not refused
    other = (await api.gql(end, {"id": session["id"], "s": "ABANDONED"}, token=token)).json()
    assert other["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    late = (await record(api, token, session["id"])).json()
    assert late["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "sessionId"}


async def test_update_user_rules(api):
    user, token = await api.user()
    _, admin = await api.admin()
    update = "mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { name level subscriptionTier } }"
    own = await api.data(
        update, {"id": user["_id"], "input": {"name": "New Name", "level": "c1"}}, token=token
    )
    assert own["updateUser"] == {"name": "New Name", "level": "C1", "subscriptionTier": "FREE"}
    upgrade = (
        await api.gql(
            update, {"id": user["_id"], "input": {"subscriptionTier": "PREMIUM"}}, token=token
        )
    ).json()
    assert upgrade["errors"][0]["extensions"] == {"code": "FORBIDDEN", "field": "subscriptionTier"}
    by_admin = await api.data(
        update, {"id": user["_id"], "input": {"subscriptionTier": "PREMIUM"}}, token=admin
    )
    assert by_admin["updateUser"]["subscriptionTier"] == "PREMIUM"
    empty = (await api.gql(update, {"id": user["_id"], "input": {}}, token=token)).json()
    assert empty["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    bad_level = (
        await api.gql(update, {"id": user["_id"], "input": {"level": "Z9"}}, token=token)
    ).json()
    assert bad_level["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "level"}


async def test_idempotent_retry_counts_once(api):
    user, token = await api.user()
    session = await start(api, token, user["_id"])
    errors = [{"category": "Spelling", "subcategory": "Common Misspellings"}]
    first = (await record(api, token, session["id"], idempotencyKey="msg-1", errors=errors)).json()
    second = (await record(api, token, session["id"], idempotencyKey="msg-1", errors=errors)).json()
    assert first["data"]["recordMessage"]["id"] == second["data"]["recordMessage"]["id"]
    assert await api.services.db.messages.count_documents({}) == 1
    stored = await api.services.db.sessions.find_one({"_id": session["id"]})
    assert stored["total_messages"] == 1
    stat = await api.services.db.error_stats.find_one({"user_id": user["_id"]})
    assert stat["count"] == 1
    clash = (
        await record(
            api, token, session["id"], idempotencyKey="msg-1", content="Different", errors=errors
        )
    ).json()
    assert clash["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "idempotencyKey"}


async def test_a_retry_after_the_session_ended_is_answered_not_refused(api):
    """The learner's message (or the tutor's reply) was stored, its answer lost, and the
    session ended before the retry: the retry gets the stored message, counted once.
    Before, it was refused ("the session has ended"), and the client concluded the message
    was never stored."""
    user, token = await api.user()
    session = await start(api, token, user["_id"])
    sid = session["id"]
    said = (await record(api, token, sid, idempotencyKey="last-words")).json()
    reply_input = {"role": "ASSISTANT", "content": "Bye!", "tokensIn": 10, "tokensOut": 10}
    replied = (await record(api, token, sid, idempotencyKey="reply-1", **reply_input)).json()
    end = "mutation($id: ID!) { endSession(id: $id) { status } }"
    await api.data(end, {"id": sid}, token=token)
    again = (await record(api, token, sid, idempotencyKey="last-words")).json()
    assert again["data"]["recordMessage"]["id"] == said["data"]["recordMessage"]["id"]
    reply_again = (await record(api, token, sid, idempotencyKey="reply-1", **reply_input)).json()
    assert reply_again["data"] == replied["data"]
    stored = await api.services.db.sessions.find_one({"_id": sid})
    assert stored["total_messages"] == 2
    # Only a retry: a new learner message, or one under a new key, is still refused.
    for key in ("new-words", None):
        late = (await record(api, token, sid, idempotencyKey=key)).json()
        assert late["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "sessionId"}
    other = (await record(api, token, sid, idempotencyKey="last-words", content="Other")).json()
    assert other["errors"][0]["extensions"]["field"] == "idempotencyKey"


async def test_a_tutor_reply_to_a_session_the_learner_just_ended_is_kept_with_its_cost(api):
    """The learner ends the session while the model is answering their last message: the
    reply (a paid model call) is recorded and counted in the session and the cost report
    for a while after the end. Before, it was refused and its cost never reached
    costReport."""
    from resolvers.messages import LATE_REPLY_WINDOW

    user, token = await api.user()
    _, admin = await api.admin()
    session = await start(api, token, user["_id"])
    sid = session["id"]
    await record(api, token, sid, content="Ich habe Hunger, tschüss")
    await api.data("mutation($id: ID!) { endSession(id: $id) { id } }", {"id": sid}, token=token)
    reply = {
        "role": "ASSISTANT",
        "content": "Guten Appetit!",
        "provider": "openai",
        "model": "gpt-4o",
        "tokensIn": 1000,
        "tokensOut": 500,
    }
    kept = (await record(api, token, sid, idempotencyKey="late-reply", **reply)).json()
    assert kept["data"]["recordMessage"]["id"], kept
    stored = await api.services.db.sessions.find_one({"_id": sid})
    assert stored["status"] == "completed" and stored["total_messages"] == 2
    report = await api.data("{ costReport { totalCost totalRequests } }", token=admin)
    assert report["costReport"]["totalRequests"] == 1
    assert report["costReport"]["totalCost"] == pytest.approx(stored["total_cost"])
    assert stored["total_cost"] > 0
    # Past the window, a reply is refused like any write to an ended session.
    await api.services.db.sessions.update_one(
        {"_id": sid}, {"$set": {"ended_at": stored["ended_at"] - LATE_REPLY_WINDOW * 2}}
    )
    stale = (await record(api, token, sid, idempotencyKey="stale-reply", **reply)).json()
    assert stale["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "sessionId"}


async def test_a_half_applied_message_is_finished_by_the_retry(api, monkeypatch):
    """The process 'dies' after the session update; the retry completes without double counting."""
    from resolvers import messages

    user, token = await api.user()
    session = await start(api, token, user["_id"])
    real_update = messages.guarded_update

    async def crash(collection, *a, **k):
        from pymongo.errors import AutoReconnect

        if collection.name == "sessions":
            return await real_update(collection, *a, **k)
        raise AutoReconnect("connection lost mid-write")

    monkeypatch.setattr(messages, "guarded_update", crash)
    fields = dict(
        idempotencyKey="k-9",
        role="ASSISTANT",
        content="Reply",
        model="gpt-4o",
        provider="openai",
        tokensIn=100,
        tokensOut=50,
        cost=0.25,
    )
    failed = (await record(api, token, session["id"], **fields)).json()
    assert failed["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    stored = await api.services.db.sessions.find_one({"_id": session["id"]})
    assert stored["total_messages"] == 1  # the first step did land
    assert (await api.services.db.messages.find_one({}))["applied"] is False

    monkeypatch.setattr(messages, "guarded_update", real_update)
    retried = (await record(api, token, session["id"], **fields)).json()
    assert "errors" not in retried
    stored = await api.services.db.sessions.find_one({"_id": session["id"]})
    assert stored["total_messages"] == 1 and stored["total_cost"] == pytest.approx(0.25)
    row = await api.services.db.cost_daily.find_one({"user_id": user["_id"]})
    assert row["requests"] == 1 and row["cost"] == pytest.approx(0.25)
    assert (await api.services.db.messages.find_one({}))["applied"] is True


async def test_startup_sweep_finishes_pending_messages(api):
    from datetime import timedelta

    from resolvers.messages import apply_message, complete_pending

    user, token = await api.user()
    session = await start(api, token, user["_id"])
    body = (
        await record(
            api, token, session["id"], errors=[{"category": "Grammar", "subcategory": "Plurals"}]
        )
    ).json()
    mid = body["data"]["recordMessage"]["id"]
    # Pretend the process died before marking it applied: re-mark and sweep.
    await api.services.db.messages.update_one({"_id": mid}, {"$set": {"applied": False}})
    assert await complete_pending(api.services.db, 14.0, older_than=timedelta(0)) == 1
    stat = await api.services.db.error_stats.find_one({"user_id": user["_id"]})
    assert stat["count"] == 1  # the guard saw it was already applied
    doc = await api.services.db.messages.find_one({"_id": mid})
    await apply_message(api.services.db, doc, 14.0)  # and applying yet again changes nothing
    assert (await api.services.db.sessions.find_one({"_id": session["id"]}))["total_messages"] == 1


@pytest.mark.interleaved
@pytest.mark.slow
async def test_concurrent_record_message_keeps_exact_totals(api):
    user, token = await api.user(tier="premium")
    _, admin = await api.admin()  # admins are exempt from budgets: 200 writes at once
    session = await start(api, token, user["_id"])

    async def one(i: int):
        role = "USER" if i % 2 == 0 else "ASSISTANT"
        extra = (
            {"errors": [{"category": "Grammar", "subcategory": "Articles"}]}
            if role == "USER"
            else {
                "tokensIn": 10,
                "tokensOut": 5,
                "cost": 0.001,
                "responseTimeMs": 100 + i,
                "model": "gpt-4o",
            }
        )
        response = await record(api, admin, session["id"], role=role, content=f"m{i}", **extra)
        assert "errors" not in response.json(), response.json()

    await asyncio.gather(*(one(i) for i in range(200)))
    stored = await api.services.db.sessions.find_one({"_id": session["id"]})
    assert stored["total_messages"] == 200
    assert stored["total_tokens"] == 100 * 15
    assert stored["total_cost"] == pytest.approx(100 * 0.001)
    assert stored["response_time_count"] == 100
    assert stored["response_time_sum_ms"] == sum(100 + i for i in range(1, 200, 2))
    stat = await api.services.db.error_stats.find_one({"user_id": user["_id"]})
    assert stat["count"] == 100
    row = await api.services.db.cost_daily.find_one({"user_id": user["_id"]})
    assert row["requests"] == 100


USERS = """query($first: Int, $after: String, $tier: SubscriptionTier) {
  users(first: $first, after: $after, tier: $tier) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } } }"""


async def test_users_pagination_walks_every_user_once(api):
    _, admin = await api.admin()
    ids = set(await conversations(api.services.db, users=7, sessions=0, messages=0))
    ids |= set(await conversations(api.services.db, users=3, sessions=0, messages=0, tier="pro"))
    seen, after, pages = [], None, 0
    while True:
        page = (await api.data(USERS, {"first": 3, "after": after}, token=admin))["users"]
        assert page["totalCount"] == 11  # 10 learners + the admin
        seen += [e["node"]["id"] for e in page["edges"]]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == 4 and len(seen) == 11 and len(set(seen)) == 11 and ids <= set(seen)
    pro = (await api.data(USERS, {"first": 10, "tier": "PRO"}, token=admin))["users"]
    assert pro["totalCount"] == 3 and len(pro["edges"]) == 3


async def test_pagination_edges(api):
    user, token = await api.user()
    [uid] = await conversations(api.services.db, users=1, sessions=4, messages=0)
    _, admin = await api.admin()
    q = "query($id: ID!, $first: Int, $after: String) { user(id: $id) { sessions(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { topic } } } } }"
    empty = (await api.data(q, {"id": user["_id"], "first": 5}, token=token))["user"]["sessions"]
    assert empty == {
        "totalCount": 0,
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "edges": [],
    }
    exact = (await api.data(q, {"id": uid, "first": 4}, token=admin))["user"]["sessions"]
    assert len(exact["edges"]) == 4 and exact["pageInfo"]["hasNextPage"] is False
    assert [e["node"]["topic"] for e in exact["edges"]] == [
        "topic 3",
        "topic 2",
        "topic 1",
        "topic 0",
    ]
    first = (await api.data(q, {"id": uid, "first": 3}, token=admin))["user"]["sessions"]
    assert first["pageInfo"]["hasNextPage"] is True
    last = await api.data(
        q, {"id": uid, "first": 3, "after": first["pageInfo"]["endCursor"]}, token=admin
    )
    last = last["user"]["sessions"]
    assert [e["node"]["topic"] for e in last["edges"]] == ["topic 0"]
    assert last["pageInfo"]["hasNextPage"] is False and last["totalCount"] == 4
    zero = (await api.data(q, {"id": uid, "first": 0}, token=admin))["user"]["sessions"]
    assert zero["edges"] == [] and zero["pageInfo"]["hasNextPage"] is True
    for bad in ("garbage", "eyJub3QiOiAiYSBjdXJzb3IifQ"):
        body = (await api.gql(q, {"id": uid, "first": 2, "after": bad}, token=admin)).json()
        assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}
    over = (await api.gql(q, {"id": uid, "first": 101}, token=admin)).json()
    assert over["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "first"}


async def test_messages_paginate_in_conversation_order_with_tied_timestamps(api):
    user, token = await api.user()
    session = await start(api, token, user["_id"])
    stamp = __import__("datetime").datetime(2026, 5, 1, tzinfo=__import__("datetime").UTC)
    await api.services.db.messages.insert_many(
        [
            {
                "_id": f"m-{i:02d}",
                "session_id": session["id"],
                "user_id": user["_id"],
                "role": "user",
                "content": f"c{i}",
                "timestamp": stamp,
                "errors": [],
                "applied": True,
            }
            for i in range(7)
        ]
    )
    q = "query($id: ID!, $after: String) { session(id: $id) { messages(first: 3, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id } } } } }"
    seen, after = [], None
    while True:
        page = (await api.data(q, {"id": session["id"], "after": after}, token=token))["session"][
            "messages"
        ]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [f"m-{i:02d}" for i in range(7)]


async def test_session_status_filter_and_exercises_connection(api):
    user, token = await api.user()
    a = await start(api, token, user["_id"], topic="a")
    await start(api, token, user["_id"], topic="b")
    await api.data(
        "mutation($id: ID!) { endSession(id: $id) { id } }", {"id": a["id"]}, token=token
    )
    q = "query($s: SessionStatus) { me { sessions(status: $s) { totalCount edges { node { topic } } } exercises { totalCount edges { node { id } } } } }"
    done = (await api.data(q, {"s": "COMPLETED"}, token=token))["me"]
    assert done["sessions"] == {"totalCount": 1, "edges": [{"node": {"topic": "a"}}]}
    assert done["exercises"] == {"totalCount": 0, "edges": []}


async def test_learners_see_only_their_own_data(api):
    owner, owner_token = await api.user()
    _, other_token = await api.user()
    session = await start(api, owner_token, owner["_id"])
    for query, variables in (
        ("query($id: ID!) { session(id: $id) { id } }", {"id": session["id"]}),
        ("query($id: ID!) { user(id: $id) { id } }", {"id": owner["_id"]}),
    ):
        foreign = (await api.gql(query, variables, token=other_token)).json()
        missing = (await api.gql(query, {"id": "does-not-exist"}, token=other_token)).json()
        assert foreign["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert foreign["errors"][0]["message"] == missing["errors"][0]["message"]
    refused = (await record(api, other_token, session["id"])).json()
    assert refused["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    users = (await api.gql("{ users { totalCount } }", token=other_token)).json()
    assert users["errors"][0]["extensions"]["code"] == "FORBIDDEN"
