"""The compiled pipeline (gateway/pipeline.py): a document seen before skips Strawberry's
extension runner and must answer exactly what the full path answers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from graphql import parse
from strawberry.extensions import SchemaExtension

from gateway.graphql_http import GraphQLEndpoint
from gateway.guards import schema_extensions
from gateway.pipeline import (
    REPRODUCED_STRAWBERRY,
    CompiledPipeline,
    PipelineAssumptionBroken,
    check_reproduced,
    reads_only_identity,
)
from models.instrument import RoundTrips
from schema import build_schema
from tests.conftest import make_settings, running_api

# Values that differ between any two requests, whichever path answers them.
VARYING_HEADERS = {"x-request-id", "x-ratelimit-remaining", "x-ratelimit-reset", "content-length"}


def _shape(response: httpx.Response) -> tuple[int, dict[str, str], Any]:
    body = response.json()
    body.get("extensions", {}).pop("requestId", None)
    body.get("extensions", {}).pop("rateLimit", None)
    for error in body.get("errors") or []:
        error.get("extensions", {}).pop("requestId", None)
    headers = {k: v for k, v in response.headers.items() if k not in VARYING_HEADERS}
    return response.status_code, headers, body


class Twice:
    """Sends one request twice: the first runs the full path, the second the cached one."""

    def __init__(self, runner: running_api) -> None:
        self.runner = runner
        self.pipeline: CompiledPipeline = runner.app.state.pipeline
        self.client = runner.client
        self.full_runs = 0
        schema = self.pipeline.schema
        original = schema.execute

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.full_runs += 1
            return await original(*args, **kwargs)

        schema.execute = counted  # type: ignore[method-assign]

    async def send(self, method: str, **kwargs: Any) -> httpx.Response:
        return await self.client.request(method, "/graphql", **kwargs)

    async def same(self, method: str = "POST", **kwargs: Any) -> httpx.Response:
        first = await self.send(method, **kwargs)
        runs = self.full_runs
        second = await self.send(method, **kwargs)
        assert self.full_runs == runs, "the second request ran the full path"
        assert _shape(second) == _shape(first)
        return second


@pytest.fixture
async def twice():
    runner = running_api(make_settings(introspection_enabled=False, query_max_cost=150))
    api = await runner.__aenter__()
    try:
        yield Twice(runner), api
    finally:
        await runner.__aexit__(None, None, None)


async def test_a_repeated_document_answers_the_same_without_the_extension_runner(twice):
    t, api = twice
    _, token = await api.user(name="Ada", tier="pro")
    auth = {"Authorization": f"Bearer {token}"}
    response = await t.same(json={"query": "{ me { name subscriptionTier } }"}, headers=auth)
    assert response.json()["data"] == {"me": {"name": "Ada", "subscriptionTier": "PRO"}}
    assert response.headers["x-ratelimit-limit"]


async def test_operation_selection_is_checked_on_every_request(twice):
    t, api = twice
    _, token = await api.user()
    auth = {"Authorization": f"Bearer {token}"}
    query = "query A { me { id } } query B { me { name } }"
    unnamed = await t.same(json={"query": query}, headers=auth)
    assert "several operations" in unnamed.json()["errors"][0]["message"]
    assert (await t.same(json={"query": query, "operationName": "B"}, headers=auth)).json()["data"][
        "me"
    ]["name"]
    unknown = await t.same(json={"query": query, "operationName": "C"}, headers=auth)
    assert unknown.status_code == 400


async def test_each_operation_of_a_cached_document_has_its_own_cost(twice):
    t, api = twice
    _, token = await api.admin()
    auth = {"Authorization": f"Bearer {token}"}
    query = "query A { me { id } } query B { users(first: 100) { edges { node { id } } } }"
    costs = {}
    for name in ("A", "B", "A", "B"):
        body = {"query": query, "operationName": name}
        response = await t.send("POST", json=body, headers=auth)
        costs.setdefault(name, set()).add(response.json()["extensions"]["rateLimit"]["cost"])
    assert costs == {"A": {1}, "B": {101}}
    variables = "query($n: Int) { users(first: $n) { edges { node { id } } } }"
    for n, cost in ((5, 6), (100, 101), (5, 6)):
        response = await t.send(
            "POST", json={"query": variables, "variables": {"n": n}}, headers=auth
        )
        assert response.json()["extensions"]["rateLimit"]["cost"] == cost


async def test_a_mutation_cached_from_post_is_still_refused_over_get(twice):
    t, _ = twice
    query = "mutation { __typename }"
    await t.same(json={"query": query})
    assert query in t.pipeline._documents
    response = await t.send("GET", params={"query": query})
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert t.full_runs == 1


async def test_admission_and_hidden_suggestions_run_on_every_request(twice):
    t, api = twice
    _, token = await api.admin()
    auth = {"Authorization": f"Bearer {token}"}
    coerced = await t.same(
        json={
            "query": "query($t: SubscriptionTier) { users(tier: $t) { totalCount } }",
            "variables": {"t": "FRE"},
        },
        headers=auth,
    )
    assert "Did you mean" not in coerced.text
    too_costly = await t.same(
        json={
            "query": "{ users(first: 100) { edges { node { sessions(first: 100) { totalCount } } } } }"
        },
        headers=auth,
    )
    assert too_costly.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


async def test_the_request_budget_is_spent_on_the_cached_path_too():
    async with running_api(make_settings(rate_limit_free="2/minute")) as api:
        _, token = await api.user()
        query = "{ me { id } }"
        statuses = [(await api.gql(query, token=token)).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        assert query in api_pipeline(api)._documents


def api_pipeline(api: Any) -> CompiledPipeline:
    # The Api fixture has no app handle; the pipeline is reachable from the client's app
    # (gateway/inprocess.py in_process, around the app).
    return api.client._transport.app.app.state.pipeline  # type: ignore[no-any-return]


async def test_the_document_cache_is_bounded():
    async with running_api(make_settings()) as api:
        pipeline = api_pipeline(api)
        pipeline._documents.max_entries = 2
        for name in ("a", "b", "c"):
            await api.gql(f"query {name} {{ __typename }}")
        assert list(pipeline._documents) == ["query b { __typename }", "query c { __typename }"]


async def test_the_document_cache_is_bounded_by_the_bytes_it_retains():
    # Before: 512 documents whatever their size; a comment of 49,000 emoji is 196 KB.
    async with running_api(make_settings(document_cache_bytes=1_000_000)) as api:
        _, admin = await api.admin()  # exempt: the budget is not what is tested
        pipeline = api_pipeline(api)
        emoji = "\U0001f600" * 49_000
        padded = [f"query P{n} {{ __typename }} #{emoji}" for n in range(8)]
        for query in padded:
            assert (await api.gql(query, token=admin)).status_code == 200
        assert 0 < pipeline._documents.bytes <= 1_000_000
        assert len(pipeline._documents) <= 5  # each retains its text: ~196 KB
        assert padded[-1] in pipeline._documents and padded[0] not in pipeline._documents


def test_an_extension_the_pipeline_does_not_reproduce_stops_the_app_at_start_up():
    # Before: the pipeline turned itself off, and the gateway ran 2x slower on W4 unseen.
    class Unknown(SchemaExtension):
        pass

    settings = make_settings()
    CompiledPipeline(build_schema(schema_extensions(settings)))  # the app's own: accepted
    with pytest.raises(PipelineAssumptionBroken, match="does not reproduce: Unknown"):
        CompiledPipeline(build_schema([*schema_extensions(settings), Unknown]))
    with pytest.raises(PipelineAssumptionBroken, match="Unknown"):  # what create_app builds
        GraphQLEndpoint(build_schema([*schema_extensions(settings), Unknown]), 1_000_000)


def test_another_strawberry_version_stops_the_app_at_start_up():
    schema = build_schema(schema_extensions(make_settings()))
    check_reproduced(schema, REPRODUCED_STRAWBERRY)
    with pytest.raises(PipelineAssumptionBroken, match=r"Strawberry 0\.999\.0, not"):
        check_reproduced(schema, "0.999.0")


# --- `me` answered from the record authentication cached --------------------------------


async def _users_reads(api: Any, query: str, token: str) -> tuple[Any, int]:
    counter = RoundTrips()
    with api.services.db.wrapped(counter.wrap):
        data = await api.data(query, token=token)
    return data, sum(n for (coll, _), n in counter.calls.items() if coll == "users")


async def test_me_reads_identity_fields_from_the_cached_record(api):
    _, token = await api.user(name="Ada", tier="pro")
    query = "{ me { id name subscriptionTier } }"
    first, _ = await _users_reads(api, query, token)  # reads the record, caches the text
    again, reads = await _users_reads(api, query, token)
    assert again == first and first["me"]["name"] == "Ada"
    assert reads == 0


async def test_a_learners_page_reads_no_user_document_and_sees_a_new_session_at_once(api):
    """`me { name sessions }`: the relation needs the caller's id alone, so the cached record
    answers `me`; the sessions themselves are read afresh on every request."""
    _, token = await api.user(name="Ada")
    query = "{ me { name sessions(first: 3) { totalCount edges { node { topic } } } } }"
    await api.data(query, token=token)
    before, reads = await _users_reads(api, query, token)
    assert reads == 0 and before["me"] == {
        "name": "Ada",
        "sessions": {"totalCount": 0, "edges": []},
    }
    await api.data('mutation { startSession(input: {topic: "Trains"}) { id } }', token=token)
    after, reads = await _users_reads(api, query, token)
    assert reads == 0
    assert after["me"]["sessions"] == {"totalCount": 1, "edges": [{"node": {"topic": "Trains"}}]}


async def test_a_renamed_caller_sees_the_new_name_at_once(api):
    user, token = await api.user(name="Ada")
    query = "{ me { name } }"
    await api.data(query, token=token)
    await api.data(query, token=token)
    rename = 'mutation($id: ID!) { updateUser(id: $id, input: {name: "Grace"}) { name } }'
    response = await api.gql(rename, {"id": user["_id"]}, token=token)
    assert response.json()["data"]["updateUser"]["name"] == "Grace"
    assert (await api.data(query, token=token))["me"]["name"] == "Grace"


async def test_counters_are_read_fresh_not_from_the_cached_record(api):
    _, token = await api.user()
    query = "{ me { name totalSessions } }"
    assert (await api.data(query, token=token))["me"]["totalSessions"] == 0
    assert (await api.data(query, token=token))["me"]["totalSessions"] == 0
    start = 'mutation { startSession(input: {topic: "t"}) { id } }'
    await api.data(start, token=token)
    assert (await api.data(query, token=token))["me"]["totalSessions"] == 1


@pytest.mark.parametrize(
    ("query", "identity"),
    [
        ("{ me { name subscriptionTier } }", True),
        ("query W4 { me { id email role __typename } __typename }", True),
        ("{ me { totalSessions } }", False),
        ('{ me { name } user(id: "x") { name } }', False),
        ("{ me { ...F } } fragment F on User { name }", False),
        ("{ me { ... on User { name } } }", False),
        ("{ me { sessions { totalCount } } }", True),
        (
            "{ me { name sessions(first: 3) { edges { node { topic } } } errorStats { total } } }",
            True,
        ),
        ("{ me { exercises(status: PENDING) { totalCount } } }", True),
        ("{ me { sessions { totalCount } streakDays } }", False),
        ("{ me { ... on User { sessions { totalCount } } } }", False),
        ("mutation { __typename }", False),
    ],
)
def test_which_documents_read_only_identity_fields(query, identity):
    assert reads_only_identity(parse(query)) is identity
