"""Requests refused before execution still count, stay small in the log, never crash."""

from __future__ import annotations

import json

import pytest

from tests.conftest import make_settings, running_api

STATUS = "{ rateLimit { remaining } }"


async def remaining(api, token=None) -> int:
    """What is left once this request itself is counted: reading it costs one request."""
    return (await api.data(STATUS, token=token))["rateLimit"]["remaining"] + 1


def post_raw(api, body: bytes | str, token: str | None = None, **headers: str):
    h = {"content-type": "application/json", **headers}
    if token:
        h["Authorization"] = f"Bearer {token}"
    return api.client.post("/graphql", content=body, headers=h)


@pytest.mark.slow
async def test_invalid_tokens_spend_the_client_ip_budget(api):
    # Before: 40 invalid-token requests left the anonymous budget at 29/30.
    statuses = []
    for _ in range(35):
        response = await api.gql("{ me { id } }", token="not-a-token")
        statuses.append(response.status_code)
    assert statuses[:30] == [401] * 30
    assert set(statuses[30:]) == {429}
    limited = await api.gql("{ me { id } }", token="not-a-token")
    assert limited.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert int(limited.headers["Retry-After"]) >= 1
    # the anonymous budget of that IP is the one spent
    assert (await api.gql("{ __schema { queryType { name } } }")).status_code == 429


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"42",
        json.dumps({"query": 5}),
        json.dumps({"query": "{ me { id } }", "variables": []}),
        json.dumps({"query": "{ me { id } }", "operationName": "Q" * 900_000}),
    ],
    ids=["bad-json", "not-an-object", "query-not-string", "variables-not-object", "huge-name"],
)
async def test_refused_requests_spend_the_callers_budget(api, body):
    _, token = await api.user(tier="free")
    before = await remaining(api, token)
    for _ in range(3):
        response = await post_raw(api, body, token)
        assert response.status_code == 400
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await remaining(api, token) == before - 1 - 3
    # anonymous: the client IP pays
    before_ip = await remaining(api)
    await post_raw(api, body)
    assert await remaining(api) == before_ip - 1 - 1


@pytest.mark.slow
async def test_a_spent_window_refuses_refusals_with_429():
    async with running_api(make_settings(rate_limit_free="3/minute")) as api:
        _, token = await api.user(tier="free")
        codes = [(await post_raw(api, b"{", token)).status_code for _ in range(5)]
        assert codes == [400, 400, 400, 429, 429]


async def test_oversize_operation_name_is_refused_and_log_stays_small(api, capsys):
    capsys.readouterr()
    name = "Q" * 900_000
    response = await post_raw(
        api, json.dumps({"query": "query Q { __typename }", "operationName": name})
    )
    assert response.status_code == 400
    assert "operationName" in response.json()["errors"][0]["message"]
    out = capsys.readouterr().out
    assert len(out) < 4_000, len(out)  # before: ~900 KB per request


async def test_long_client_values_are_cut_in_every_log_line(api, capsys):
    # A name under the refusal bound still reaches request_completed, capped.
    name = "Q" * 256
    capsys.readouterr()
    await post_raw(
        api, json.dumps({"query": f"query {name} {{ __typename }}", "operationName": name})
    )
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    [done] = [x for x in lines if x["event"] == "request_completed"]
    assert done["operation"] == name
    from gateway.logging import MAX_LOG_VALUE_CHARS, get_logger

    capsys.readouterr()
    get_logger("t").warning("client_value", value="x" * 100_000)
    [line] = capsys.readouterr().out.splitlines()
    assert len(line) < MAX_LOG_VALUE_CHARS + 300
    assert json.loads(line)["value"].startswith("x" * MAX_LOG_VALUE_CHARS)


def nested(depth: int) -> str:
    """JSON text of objects and lists nested `depth` levels."""
    return '{"a": [' * (depth // 2) + "1" + "]}" * (depth // 2)


@pytest.mark.parametrize("depth", [33, 1_000, 100_000])
async def test_deeply_nested_json_is_bad_user_input(api, depth):
    # Before: a 2 KB body nested 1,000 deep was a plain-text 500 (RecursionError).
    body = '{"query": "{ __typename }", "variables": {"v": ' + "[" * depth + "]" * depth + "}}"
    response = await post_raw(api, body, **{"X-Request-ID": "deep-1"})
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "requestId": "deep-1"}
    assert "nested deeper than 32" in error["message"]
    get = await api.client.get(
        "/graphql",
        params={"query": "{ __typename }", "variables": '{"v": ' + nested(min(depth, 1_000)) + "}"},
    )
    assert get.status_code == 400
    assert get.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_nesting_within_the_bound_still_works(api):
    _, token = await api.user()
    body = '{"query": "{ me { id } }", "variables": {"v": ' + nested(30) + "}}"
    assert (await post_raw(api, body, token)).status_code == 200


async def test_a_mutation_over_get_is_charged_too(api):
    _, token = await api.user(tier="free")
    before = await remaining(api, token)
    response = await api.client.get(
        "/graphql",
        params={"query": 'mutation { startSession(input: {userId: "x"}) { id } }'},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 405
    assert await remaining(api, token) == before - 1 - 1


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
async def test_other_methods_get_a_json_405_and_are_charged(api, method):
    """They used to get Starlette's plain-text 405, for free."""
    _, token = await api.user(tier="free")
    before = await remaining(api, token)
    response = await api.client.request(
        method, "/graphql", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await remaining(api, token) == before - 1 - 1


TOO_COSTLY = (
    "{ users(first: 100) { edges { node { sessions(first: 100) { edges { node {"
    " messages(first: 100) { edges { node { id } } } } } } } } } }"
)


@pytest.mark.slow
async def test_operations_over_the_cost_ceiling_spend_the_callers_budget():
    # Before: QUERY_TOO_COMPLEX was answered for free, however many were sent.
    async with running_api(make_settings(rate_limit_free="3/minute")) as api:
        _, token = await api.user(tier="free")
        answers = []
        for _ in range(5):
            response = await api.gql(TOO_COSTLY, token=token)
            answers.append((response.status_code, response.json()["errors"][0]["extensions"]))
        codes = [(status, ext["code"]) for status, ext in answers]
        assert codes == [(400, "QUERY_TOO_COMPLEX")] * 3 + [(429, "RATE_LIMITED")] * 2
        assert answers[0][1]["maxCost"] == 25_000
        # the points bucket is not charged for a refused operation
        refused = await api.gql("{ rateLimit { pointsRemaining } }", token=token)
        view = refused.json()["extensions"]["rateLimit"]
        assert view["pointsRemaining"] == view["pointsCapacity"]
