"""Batched requests (a JSON array of operations, Apollo's BatchHttpLink): one array back,
each operation run, priced and charged as if sent alone.

Found by a frontend team: an array got 400 "The request body must be a JSON object",
which Apollo showed as "server returned results with length 1, expected length of 3".
"""

from __future__ import annotations

import pytest

from gateway.persisted import sha256_hex
from tests.conftest import make_settings, running_api

SPEC = "application/graphql-response+json"


async def _post(api, body, token=None, accept=None):
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if accept:
        headers["Accept"] = accept
    return await api.client.post("/graphql", json=body, headers=headers)


@pytest.mark.parametrize("accept", [None, SPEC])
async def test_a_batch_answers_an_array_in_order(api, accept):
    _, token = await api.user()
    batch = [
        {"query": "query A { me { name } }", "operationName": "A"},
        {"query": 'mutation B { startSession(input: {topic: "t"}) { id topic } }'},
        {"query": "{ nope }"},  # invalid: its own request error, the others still run
        {"query": "{ me { sessions { totalCount } } }"},
    ]
    response = await _post(api, batch, token, accept)
    assert response.status_code == 200
    results = response.json()
    assert isinstance(results, list) and len(results) == 4
    assert results[0]["data"] == {"me": {"name": "Test User"}}
    assert results[1]["data"]["startSession"]["topic"] == "t"
    assert results[2]["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert ("data" in results[2]) == (accept != SPEC)
    assert results[3]["data"]["me"]["sessions"]["totalCount"] == 1  # ran after B
    request_id = response.headers["x-request-id"]
    assert all(r["extensions"]["requestId"] == request_id for r in results)


async def test_each_operation_is_priced_and_charged_as_if_sent_alone():
    async with running_api(make_settings(rate_limit_free="6/minute")) as api:
        _, token = await api.user()
        query = {"query": "{ me { sessions(first: 10) { edges { node { id } } } } }"}
        alone = (await _post(api, query, token)).json()["extensions"]["rateLimit"]
        batch = (await _post(api, [query, query, {"query": "{"}], token)).json()
        # The costs are the single request's; three requests left the window (the invalid
        # one too, as a refusal sent alone would).
        assert [r["extensions"]["rateLimit"]["cost"] for r in batch[:2]] == [alone["cost"]] * 2
        after = (await _post(api, query, token)).json()["extensions"]["rateLimit"]
        assert after["remaining"] == alone["remaining"] - 4
        # The window is spent mid-batch: the rest are refused one by one.
        spent = (await _post(api, [query, query], token)).json()
        assert spent[0]["data"] is not None
        assert spent[1]["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


@pytest.mark.parametrize(
    ("body", "limit", "message"),
    [
        ([], 10, "1 to 10"),
        ([{"query": "{ __typename }"}] * 11, 10, "1 to 10"),
        ([{"query": "{ __typename }"}], 0, "off"),
    ],
)
async def test_a_batch_out_of_bounds_is_one_graphql_shaped_refusal(body, limit, message):
    async with running_api(make_settings(batch_max_operations=limit)) as api:
        response = await _post(api, body)
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and message in error["message"]
    assert error["extensions"]["maxOperations"] == limit


async def test_persisted_queries_inside_a_batch(api):
    doc = "query Budget { rateLimit { tier } }"
    ext = {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(doc)}}
    miss = (await _post(api, [{"extensions": ext}, {"query": "{ __typename }"}])).json()
    assert miss[0]["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert miss[1]["data"] == {"__typename": "Query"}
    await _post(api, [{"query": doc, "extensions": ext}])
    hit = (await _post(api, [{"extensions": ext}])).json()
    assert hit[0]["data"] == {"rateLimit": {"tier": "ANONYMOUS"}}
