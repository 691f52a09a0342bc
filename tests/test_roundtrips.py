"""MongoDB round trips per GraphQL operation must not grow with the data they touch.

Modelled on Saleor's tests/benchmark: every field that loads data is in NESTED below, and
the count of driver calls is asserted for a small and a large result.
"""

from __future__ import annotations

import pytest

from gateway.auth import issue_token
from models.instrument import RoundTrips
from tests.conftest import make_settings
from tests.factories import conversations


@pytest.fixture
def settings():
    # The 50-user page costs ~240k points (each message's errors priced at their 20 at
    # most), over the default per-request ceiling. The
    # maintenance sweep (messages finds) must not run inside a counted request on a slow
    # machine: it is hourly here.
    return make_settings(query_max_cost=300_000, maintenance_interval_seconds=3600)


NESTED = """
query Nested($n: Int!) {
  users(first: $n) {
    totalCount
    edges { node {
      id name
      errorStats(top: 3) { totalErrors items { subcategory weight } }
      exercises(first: 5) { totalCount edges { node { id user { id } } } }
      sessions(first: 10) {
        totalCount
        edges { node {
          topic totalCost user { name }
          messages(first: 20) {
            totalCount
            edges { node { content role errors { category } user { id name } session { id topic } } }
          }
        } }
      }
    } }
  }
}
"""


async def count_round_trips(api, token, n):
    counter = RoundTrips()
    await api.data("{ me { id } }", token=token)  # warm the auth cache
    with api.services.db.wrapped(counter.wrap):
        data = await api.data(NESTED, {"n": n}, token=token)
    return counter, data


@pytest.mark.parametrize("n_users", [5, 20])
@pytest.mark.slow
async def test_nested_read_costs_constant_round_trips(api, n_users):
    await conversations(api.services.db, users=n_users, sessions=10, messages=20)
    _, admin = await api.admin()
    counter, data = await count_round_trips(api, admin, n_users + 1)  # + the admin
    users = data["users"]["edges"]
    learners = [u for u in users if u["node"]["sessions"]["totalCount"]]
    assert len(learners) == n_users
    assert all(len(u["node"]["sessions"]["edges"]) == 10 for u in learners)
    assert all(
        len(s["node"]["messages"]["edges"]) == 20
        for u in learners
        for s in u["node"]["sessions"]["edges"]
    )
    # users page + users count + sessions page + messages page + exercises page;
    # every nested `user`/`session` is already loaded or primed.
    assert dict(counter.calls) == {
        ("users", "find"): 1,
        ("users", "estimated_document_count"): 1,
        ("sessions", "aggregate"): 1,
        ("messages", "aggregate"): 1,
        ("exercises", "aggregate"): 1,
        ("error_stats", "find"): 1,
    }, counter.calls


async def test_first_request_of_a_caller_reads_their_record_once(api):
    """Authentication loads the caller's record; `me` reuses it instead of reading it again."""
    _, token = await api.user(name="Cold")
    counter = RoundTrips()
    with api.services.db.wrapped(counter.wrap):
        data = await api.data("{ me { name subscriptionTier } }", token=token)
    assert data["me"] == {"name": "Cold", "subscriptionTier": "FREE"}
    assert dict(counter.calls) == {("users", "find_one"): 1}


PROGRESS = """query($f: DateTime, $t: DateTime, $b: ProgressBucket) {
  progress(from: $f, to: $t, bucket: $b) {
    points { start messages errors exercisesAttempted exercisesCorrect }
    skills { subcategory ability } mastered { subcategory } struggling { subcategory }
    bests { longestStreakDays mostExercisesInADay bestWeekAccuracy }
    thisWeek { sessions messages exercisesCompleted } thisMonth { sessions exercisesCorrect } } }"""


@pytest.mark.parametrize(
    ("bucket", "start", "end", "n_points"),
    [
        ("DAY", "2026-01-01T00:00:00Z", "2026-01-08T00:00:00Z", 7),
        ("DAY", "2025-01-06T00:00:00Z", "2026-01-07T00:00:00Z", 366),
        ("MONTH", "1995-08-01T00:00:00Z", "2026-01-07T00:00:00Z", 366),
    ],
)
async def test_progress_costs_the_same_round_trips_for_any_range(api, bucket, start, end, n_points):
    [user_id] = await conversations(api.services.db, users=1, sessions=20, messages=10)
    # Premium: a 30-year range is priced by the years it scans, past a free bucket.
    await api.services.db.users.update_one(
        {"_id": user_id}, {"$set": {"subscription_tier": "premium"}}
    )
    token = issue_token(api.services.settings, user_id)
    await api.data("{ me { id } }", token=token)  # warm the auth cache
    variables = {"f": start, "t": end, "b": bucket}
    counter = RoundTrips()
    with api.services.db.wrapped(counter.wrap):
        data = await api.data(PROGRESS, variables, token=token)
    assert len(data["progress"]["points"]) == n_points
    assert sum(p["messages"] for p in data["progress"]["points"]) > 0
    # points: messages + exercises; bests: exercises; week/month: sessions + messages;
    # skills: exercises + messages; and the learner's record (time zone, level).
    assert dict(counter.calls) == {
        ("users", "find"): 1,
        ("messages", "aggregate"): 2,
        ("exercises", "aggregate"): 2,
        ("sessions", "aggregate"): 1,
        ("exercises", "find"): 1,
        ("messages", "find"): 1,
    }, counter.calls


@pytest.mark.parametrize("replies", [5, 60])
async def test_provider_stats_read_rollups_not_messages(api, replies):
    _, token = await api.user(tier="premium")  # 60 replies exceed the free request budget
    _, admin = await api.admin()
    start = "mutation { startSession(input: {}) { id } }"
    sid = (await api.data(start, token=token))["startSession"]["id"]
    tutor = await api.tutor()
    record = """mutation($s: ID!, $ms: Int) { recordMessage(input: {sessionId: $s, role: ASSISTANT,
      content: "ok", provider: "openai", model: "gpt-4o", tokensIn: 10, responseTimeMs: $ms}) { id } }"""
    for i in range(replies):
        await api.data(record, {"s": sid, "ms": 100 + i}, token=tutor)
    await api.data("{ me { id } }", token=admin)
    counter = RoundTrips()
    with api.services.db.wrapped(counter.wrap):
        data = await api.data("{ providerStats { requests p95ResponseTimeMs } }", token=admin)
    assert data["providerStats"][0]["requests"] == replies
    assert dict(counter.calls) == {("provider_daily", "find"): 1}, counter.calls


async def test_daily_practice_after_the_first_call_reads_a_fixed_amount(api):
    _, token = await api.user()
    query = "{ dailyPractice { total exercises { id status user { id } } } }"
    await api.data(query, token=token)  # builds today's set
    counter = RoundTrips()
    with api.services.db.wrapped(counter.wrap):
        data = await api.data(query, token=token)
    assert data["dailyPractice"]["total"] == 5
    # the set by _id, its exercises in one batch; the learner's record (and `user`) once
    assert dict(counter.calls) == {
        ("daily_sets", "find_one"): 1,
        ("exercises", "find"): 1,
        ("users", "find"): 1,
    }, counter.calls


NODES = """
query Nodes($ids: [ID!]!) {
  nodes(ids: $ids) {
    id
    ... on User { name }
    ... on Session { topic user { name } messages(last: 3) { edges { node { id session { id } } } } }
  }
}
"""


@pytest.mark.parametrize("n_users", [2, 20])
async def test_nodes_cost_one_lookup_per_collection_whatever_the_ids(api, n_users):
    user_ids = await conversations(api.services.db, users=n_users, sessions=2, messages=4)
    session_ids = [s["_id"] async for s in api.services.db.sessions.find({}, {"_id": 1})]
    _, admin = await api.admin()
    counter = RoundTrips()
    await api.data("{ me { id } }", token=admin)
    ids = [*user_ids, *session_ids, "missing"]
    with api.services.db.wrapped(counter.wrap):
        data = await api.data(NODES, {"ids": ids}, token=admin)
    assert [n and n["id"] for n in data["nodes"]] == [*ids[:-1], None]
    assert all(len(n["messages"]["edges"]) == 3 for n in data["nodes"][n_users:-1])
    assert dict(counter.calls) == {
        ("users", "find"): 1,
        ("sessions", "find"): 1,
        ("messages", "find"): 1,
        ("exercises", "find"): 1,
        ("messages", "aggregate"): 1,
    }, counter.calls


@pytest.mark.parametrize("n_clients", [2, 20])
async def test_api_clients_page_is_one_read_and_one_count(api, n_clients):
    for i in range(n_clients):
        await api.tutor(f"tutor-{i}")
    _, admin = await api.admin()
    await api.data("{ me { id } }", token=admin)
    counter = RoundTrips()
    with api.services.db.wrapped(counter.wrap):
        data = await api.data(
            "{ apiClients(first: 50) { totalCount edges { node { name scopes lastUsedAt } } } }",
            token=admin,
        )
    assert len(data["apiClients"]["edges"]) == n_clients
    assert dict(counter.calls) == {
        ("api_clients", "find"): 1,
        ("api_clients", "estimated_document_count"): 1,
    }


TUTOR_CONTEXT = """query($s: ID!, $u: ID!) {
  session(id: $s) { topic user { level targetLanguage nativeLanguage }
    messages(last: 20) { edges { node { role content errors { category subcategory } } } } }
  errorStats(userId: $u, top: 5) { totalErrors items { subcategory weight } }
}"""


@pytest.mark.parametrize("n_messages", [5, 40])
async def test_what_a_tutor_reads_for_a_turn_is_a_fixed_number_of_reads(api, n_messages):
    await conversations(api.services.db, users=1, sessions=1, messages=n_messages)
    session = await api.services.db.sessions.find_one({})
    tutor = await api.tutor()
    variables = {"s": session["_id"], "u": session["user_id"]}
    await api.data("{ rateLimit { tier } }", token=tutor)  # the client is read (and cached)
    counter = RoundTrips()
    with api.services.db.wrapped(counter.wrap):
        data = await api.data(TUTOR_CONTEXT, variables, token=tutor)
    assert len(data["session"]["messages"]["edges"]) == min(20, n_messages)
    assert dict(counter.calls) == {
        ("sessions", "find"): 1,
        ("users", "find"): 1,
        ("messages", "aggregate"): 1,
        ("error_stats", "find"): 1,
    }, counter.calls
