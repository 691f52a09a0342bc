"""Bounded work per request: fragment fan-out, sound prices, an execution deadline."""

from __future__ import annotations

import asyncio
import time

import pytest
from graphql import parse

from gateway.guards import guarded_schema
from gateway.querycost import operation_cost
from gateway.settings import Settings
from tests.conftest import make_settings, running_api
from tests.faults import Gate, Stall, mongo_stalls


def fan_out(levels: int, leaf: str = "__typename") -> str:
    """`...F{levels}` where each fragment spreads the one below it twice: 2**levels leaves."""
    lines = [f"query Q {{ ...F{levels} }}", f"fragment F0 on Query {{ {leaf} }}"]
    lines += [f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, levels + 1)]
    return "\n".join(lines)


async def test_fragment_fan_out_is_refused_quickly_and_health_stays_up(api):
    # Before: 22 levels took ~16 s of CPU in the depth and cost walks, blocking /health.
    document = fan_out(22)
    assert len(document) < 1100

    async def health_probe() -> list[float]:
        waits = []
        for _ in range(5):
            started = time.perf_counter()
            assert (await api.client.get("/health")).status_code == 200
            waits.append(time.perf_counter() - started)
        return waits

    started = time.process_time()
    response, waits = await asyncio.gather(api.gql(document), health_probe())
    assert time.process_time() - started < 2.0
    assert max(waits) < 1.0
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert error["extensions"]["selections"] == 2**22  # every __typename, once inlined


async def test_fragment_fan_out_of_objects_is_priced_at_its_expansion():
    schema = guarded_schema(make_settings())._schema
    # 2**10 `me` objects, each with a 20-item connection: the price says what it would load.
    document = parse(fan_out(10, leaf="me { sessions { edges { node { id } } } }"))
    # plus one point per 10 selections once inlined (2**10 x 5 of them)
    assert operation_cost(schema, document, None, None) == 2**10 * (1 + 1 + 20) + 2**10 * 5 // 10


VARIABLE_DEFAULT = """query Q($n: Int = 100) { users(first: $n) { edges { node {
  sessions(first: $n) { edges { node { messages(first: $n) { edges { node { id } } } } } } } } } }"""


@pytest.mark.parametrize("variables", [None, {}, {"n": 100.0}, {"n": 100}])
async def test_cost_uses_the_values_execution_uses(api, variables):
    # Before: the default was ignored and 100.0 fell back to 20 (priced 9,242, and ran).
    _, token = await api.user(tier="premium")
    response = await api.gql(VARIABLE_DEFAULT, variables, token=token)
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    literal = VARIABLE_DEFAULT.replace("($n: Int = 100)", "").replace("$n", "100")
    inline = (await api.gql(literal, token=token)).json()["errors"][0]
    # + 1: its 10 selections
    expected = 1 + 100 * (2 + 100 * 102) + 1
    assert error["extensions"]["cost"] == inline["extensions"]["cost"] == expected


async def test_skipped_fields_are_not_priced(api):
    _, token = await api.user(tier="pro")
    q = """query($skip: Boolean!) { me { id sessions(first: 50) @skip(if: $skip) {
      edges { node { id } } } } }"""
    skipped = await api.gql(q, {"skip": True}, token=token)
    kept = await api.gql(q, {"skip": False}, token=token)
    assert skipped.json()["extensions"]["rateLimit"]["cost"] == 1
    assert kept.json()["extensions"]["rateLimit"]["cost"] == 1 + 1 + 50


async def test_plain_lists_are_priced_by_their_size_argument(api):
    user, token = await api.user(tier="premium")
    q = "mutation($u: ID!, $n: Int) { generateExercise(userId: $u, count: $n) { id } }"
    costs = {}
    for n in (1, 10):
        response = await api.gql(q, {"u": user["_id"], "n": n}, token=token)
        assert len(response.json()["data"]["generateExercise"]) == n
        costs[n] = response.json()["extensions"]["rateLimit"]["cost"]
    assert costs == {1: 10 + 1, 10: 10 + 10}
    # errorStats(top) sets the size of its `items` list.
    stats = "query($u: ID!, $top: Int) { errorStats(userId: $u, top: $top) { items { count } } }"
    few = await api.gql(stats, {"u": user["_id"], "top": 1}, token=token)
    many = await api.gql(stats, {"u": user["_id"], "top": 50}, token=token)
    assert few.json()["extensions"]["rateLimit"]["cost"] == 1 + 1
    assert many.json()["extensions"]["rateLimit"]["cost"] == 1 + 50


async def test_execution_stops_at_its_deadline():
    async with running_api(make_settings(execution_timeout_ms=300)) as api:
        _, token = await api.user()
        await api.data("{ me { id } }", token=token)  # caches the caller's record
        before = Stall.cancelled
        started = time.perf_counter()
        with mongo_stalls(api.services.db):
            response = await api.gql("{ me { sessions { edges { node { id } } } } }", token=token)
        assert time.perf_counter() - started < 3
        # Its own code, not QUERY_TOO_COMPLEX (issue 28): a read stopped by a slow
        # database wrote nothing and may simply be retried.
        assert response.status_code == 504 and response.headers["retry-after"] == "1"
        error = response.json()["errors"][0]
        assert error["extensions"] == {"code": "TIMEOUT", "timeoutMs": 300, "mayHaveApplied": False}
        assert "300 ms" in error["message"] and "nothing was written" in error["message"]
        assert Stall.cancelled > before  # the database call was cancelled, not abandoned
        # and the server still answers
        assert (await api.gql("{ me { id } }", token=token)).status_code == 200


RECORD = """mutation($in: RecordMessageInput!) {
  recordMessage(input: $in) { id session { totalMessages } } }"""


async def test_a_mutation_stalled_half_applied_says_it_may_have_applied():
    """Issue 28: a recordMessage whose counter write stalls on a slow database answered
    QUERY_TOO_COMPLEX ("ask for less", do not retry) although its message was stored.
    Now TIMEOUT with mayHaveApplied, and the retry it recommends finishes the write once."""
    async with running_api(make_settings(execution_timeout_ms=300)) as api:
        user, token = await api.user()
        tutor = await api.tutor()
        start = 'mutation { startSession(input: {topic: "x"}) { id } }'
        sid = (await api.data(start, token=token))["startSession"]["id"]
        message = {
            "sessionId": sid,
            "role": "USER",
            "content": "I goes there",
            "errors": [{"category": "Grammar", "subcategory": "Verb Tense"}],
            "idempotencyKey": "stalled-1",
        }
        db = api.services.db
        gate = Gate(only="error_stats")  # the insert lands, a counter write hangs
        with db.wrapped(gate.wrap):
            response = await api.gql(RECORD, {"in": message}, token=tutor)
        assert response.status_code == 200  # an executed mutation: its writes may have run
        error = response.json()["errors"][0]
        assert error["extensions"] == {"code": "TIMEOUT", "timeoutMs": 300, "mayHaveApplied": True}
        assert "idempotencyKey" in error["message"]
        assert await db.messages.count_documents({"session_id": sid}) == 1  # half-applied
        retried = await api.data(RECORD, {"in": message}, token=tutor)
        assert retried["recordMessage"]["session"]["totalMessages"] == 1
        stats = [r async for r in db.error_stats.find({"user_id": user["_id"]})]
        assert [r["count"] for r in stats] == [1]


def test_default_settings_bound_execution():
    settings = Settings(_env_file=None)
    assert settings.execution_timeout_ms == 10_000 and settings.query_max_selections == 2_000


async def test_aggregations_over_unbounded_rows_are_priced_as_a_page(api):
    # Before: 26 aliased windowed errorStats (5 KB) cost ~1,300 points and 1.3 s of CPU.
    user, token = await api.user(tier="pro")
    q = "query($u: ID!) { errorStats(userId: $u, top: 5) { items { count } } }"
    plain = await api.gql(q, {"u": user["_id"]}, token=token)
    windowed = await api.gql(
        q.replace("top: 5", 'top: 5, since: "2026-01-01T00:00:00Z"'),
        {"u": user["_id"]},
        token=token,
    )
    assert plain.json()["extensions"]["rateLimit"]["cost"] == 1 + 5
    assert windowed.json()["extensions"]["rateLimit"]["cost"] == 100 + 1 + 5


async def test_progress_is_priced_as_the_aggregations_it_runs(api):
    # Found in review: progress (six aggregations over up to 366 buckets) cost 5, so 30
    # aliased year-long progress fields cost 150 points and 5 s of CPU on the embedded
    # database (3,000 messages), sustainable on a free tier's 40 points a second.
    _user, token = await api.user()
    one = 'progress(from: "2025-11-01T00:00:00Z", to: "2026-11-01T00:00:00Z") { bucket }'
    single = await api.gql("{ " + one + " }", token=token)
    assert single.json()["extensions"]["rateLimit"]["cost"] == 100 + 1
    many = await api.gql("{ " + " ".join(f"a{i}: {one}" for i in range(30)) + " }", token=token)
    # 3,030 points: more than a free tier's 2,000-point bucket, so it can never run
    assert many.status_code == 400
    assert many.json()["data"] is None
    assert many.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


async def test_long_documents_are_refused_before_they_are_parsed_and_cached(api):
    # Found in review: parse, validation and plan caches (512 entries each) keep each
    # document's source text; 150 distinct 1 MB documents (a comment pads `{ __typename }`)
    # grew the process by ~440 MB.
    limit = api.services.settings.query_max_chars
    padded = "# " + "x" * limit + "\n{ __typename }"
    response = await api.client.post("/graphql", json={"query": padded})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"] == {
        "code": "QUERY_TOO_COMPLEX",
        "maxChars": limit,
    }
    fits = "# " + "x" * (limit - 20) + "\n{ __typename }"
    assert (await api.client.post("/graphql", json={"query": fits})).status_code == 200


async def test_repeated_fields_are_refused_before_pairwise_merging(api):
    # 500 copies of `me { id }` (5 KB) took 0.8 s of CPU in graphql-core's field merging.
    _, token = await api.user()
    response = await api.gql("{ " + "me { id } " * 500 + "}", token=token)
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"] == {
        "code": "QUERY_TOO_COMPLEX",
        "repeats": 500,
        "maxRepeats": 50,
    }
    fine = await api.gql("{ " + "me { id } " * 50 + "}", token=token)
    assert fine.status_code == 200


SUBTREE = (
    "sessions(first: 100) { edges { node { id messages(first: 20) { edges { node { id } } } } } }"
)


def test_a_list_without_a_size_argument_is_priced_at_its_maximum():
    # Before: dailyPractice's exercises were priced as one item: the subtree under five
    # exercises cost what it costs once under user(id) (2,204 vs 2,202 points).
    schema = guarded_schema(make_settings())._schema
    daily = operation_cost(
        schema, parse(f"{{ dailyPractice {{ exercises {{ user {{ {SUBTREE} }} }} }} }}"), None, None
    )
    once = operation_cost(schema, parse(f'{{ user(id: "u") {{ {SUBTREE} }} }}'), None, None)
    assert daily >= 5 * (once - 1)
    # A message's errors: up to 20 per message.
    errors = parse(
        "{ me { sessions(first: 10) { edges { node { messages(first: 10) "
        "{ edges { node { errors { category } } } } } } } } }"
    )
    assert operation_cost(schema, errors, None, None) >= 10 * 10 * 20


def test_an_aggregation_is_priced_by_the_range_it_scans():
    # Before: 30 aliased progress(bucket: MONTH, from: "1997-01-01T00:00:00Z") took 8.6 s
    # on the embedded database and were priced ~3,200 points in all.
    schema = guarded_schema(make_settings())._schema
    one = 'progress(bucket: MONTH, from: "1997-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z")'
    long = operation_cost(schema, parse(f"{{ {one} {{ points {{ messages }} }} }}"), None, None)
    year = operation_cost(
        schema,
        parse(
            '{ progress(bucket: MONTH, from: "2025-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z")'
            " { points { messages } } }"
        ),
        None,
        None,
    )
    assert long >= 29 * 100 + 348  # 29 years scanned, 348 monthly points
    assert year <= 100 + 2 + 14
    aliased = " ".join(f"p{i}: {one} {{ points {{ messages }} }}" for i in range(30))
    assert operation_cost(schema, parse(f"{{ {aliased} }}"), None, None) > 25_000


def test_introspection_lists_are_priced_by_the_schema_they_walk():
    # Before: everything under `__schema` was free: 25 aliased `__schema { types { ...F } }`
    # (920 bytes, anonymous) took 0.28 s of CPU priced 53 points.
    schema = guarded_schema(make_settings())._schema
    fragment = "fragment F on __Type { name fields { name type { name } } }"
    aliased = " ".join(f"a{i}: __schema {{ types {{ ...F }} }}" for i in range(25))
    cost = operation_cost(schema, parse(f"{fragment} query Q {{ {aliased} }}"), None, None)
    assert cost > 500  # more than an anonymous caller's whole bucket
    assert operation_cost(schema, parse("{ __schema { queryType { name } } }"), None, None) <= 2
    # GraphiQL's own introspection query stays well within an anonymous budget.
    from graphql import get_introspection_query

    assert operation_cost(schema, parse(get_introspection_query()), None, None) < 200
