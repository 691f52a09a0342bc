"""GraphQL over HTTP: media types, status codes, one operation per request, Allow, WWW-Authenticate."""

from __future__ import annotations

import pytest

SPEC = "application/graphql-response+json"
ME = "{ me { id } }"


async def test_the_spec_media_type_is_served_when_asked_for(api):
    for accept in (SPEC, f"{SPEC}, application/json;q=0.9", f"application/json;q=0.5, {SPEC}"):
        response = await api.gql("{ __typename }", headers={"Accept": accept})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(SPEC), accept
        assert response.json()["data"] == {"__typename": "Query"}


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", f"{SPEC};q=0.1, */*"])
async def test_application_json_stays_the_default(api, accept):
    headers = {"Accept": accept} if accept else {}
    response = await api.gql("{ __typename }", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")


async def test_an_unacceptable_media_type_is_406(api):
    response = await api.gql("{ __typename }", headers={"Accept": "text/csv"})
    assert response.status_code == 406


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("{", 400),  # does not parse
        ("{ nope }", 400),  # does not validate
        ("query A { __typename } query B { __typename }", 400),  # which one?
    ],
)
async def test_request_errors_are_4xx_without_data_under_the_spec_type(api, query, status):
    response = await api.gql(query, headers={"Accept": SPEC})
    assert response.status_code == status
    body = response.json()
    assert "data" not in body and body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    legacy = await api.gql(query)  # application/json keeps `data: null`
    assert legacy.json()["data"] is None


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("query($id: ID!) { session(id: $id) { id } }", {}),  # missing
        ("query($id: ID!) { session(id: $id) { id } }", {"id": 5.5}),  # not an ID
        ("mutation($id: ID!) { endSession(id: $id) { id } }", {"id": None}),  # null
    ],
    ids=["missing", "wrong-type", "null-mutation"],
)
async def test_variables_that_do_not_coerce_are_a_request_error(api, query, variables):
    """Nothing ran: under the spec type a 4xx without `data` (before: 200, `data: null`)."""
    _, token = await api.user()
    response = await api.gql(query, variables, token=token, headers={"Accept": SPEC})
    assert response.status_code == 400
    body = response.json()
    assert "data" not in body and body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    legacy = await api.gql(query, variables, token=token)
    assert legacy.status_code == 400 and legacy.json()["data"] is None


async def test_bad_json_and_a_missing_query_are_request_errors(api):
    for body in (b"{nope", b'{"variables": {}}'):
        response = await api.client.post(
            "/graphql", content=body, headers={"Accept": SPEC, "Content-Type": "application/json"}
        )
        assert response.status_code == 400
        assert "data" not in response.json()


async def test_several_operations_need_an_operation_name(api):
    doc = "query A { __typename } query B { rateLimit { tier } }"
    response = await api.gql(doc)
    assert response.status_code == 400
    assert "operationName" in response.json()["errors"][0]["message"]
    named = await api.client.post("/graphql", json={"query": doc, "operationName": "B"})
    assert named.status_code == 200 and named.json()["data"] == {"rateLimit": {"tier": "ANONYMOUS"}}


async def test_non_null_data_is_200_under_the_spec_type(api):
    # An anonymous `me` fails as a whole: application/json says 401, the spec type sees a
    # response with data ({"me": null}) and answers 200.
    legacy = await api.gql(ME)
    assert legacy.status_code == 401 and legacy.headers["www-authenticate"] == "Bearer"
    spec = await api.gql(ME, headers={"Accept": SPEC})
    assert spec.status_code == 200
    body = spec.json()
    assert body["data"] == {"me": None}
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_refused_token_is_401_with_www_authenticate_in_both_types(api):
    for accept in ("application/json", SPEC):
        response = await api.gql(ME, token="not.a.jwt", headers={"Accept": accept})
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"


async def test_the_embedded_secret_hint_on_an_invalid_token():
    import jwt

    from tests.conftest import make_settings, running_api

    settings = make_settings(jwt_secret="")  # embedded mode: a random secret per start
    async with running_api(settings) as api:
        stale = jwt.encode({"sub": "u1", "exp": 2_000_000_000}, "x" * 48, algorithm="HS256")
        response = await api.gql(ME, token=stale)
    assert response.status_code == 401
    assert "changes at every start" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/graphql", "POST"),
        ("DELETE", "/graphql", "GET"),
        ("OPTIONS", "/graphql", "GET, POST"),  # not a preflight: was text/plain, Allow: PATCH…
        ("POST", "/health", "GET"),
        ("POST", "/metrics", "GET"),
    ],
)
async def test_every_405_says_what_is_allowed(api, method, path, allow):
    response = await api.client.request(method, path)
    assert response.status_code == 405
    assert allow in response.headers["allow"]
    if path == "/graphql":
        assert response.headers["allow"] == "GET, POST"
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_an_unknown_operation_name_is_400_and_says_so(api, method):
    # Found in review: over GET it was 405 "Allow: POST" (POST would not help) and, either
    # way, told a client that had named an operation to name one.
    params = {"query": "query A { __typename }", "operationName": "B"}
    if method == "GET":
        response = await api.client.get("/graphql", params=params)
    else:
        response = await api.client.post("/graphql", json=params)
    assert response.status_code == 400
    assert "allow" not in response.headers
    assert response.json()["errors"][0]["message"] == (
        "'operationName' does not name an operation in the document."
    )


async def test_a_mutation_over_get_is_405_with_allow_post(api):
    response = await api.client.get(
        "/graphql",
        params={"query": "mutation { __typename }"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


async def test_a_throttled_refusal_is_a_spec_request_error_too():
    from tests.conftest import make_settings, running_api

    async with running_api(make_settings(rate_limit_anonymous="1/minute")) as api:
        headers = {"Accept": SPEC, "Content-Type": "application/json"}
        first = await api.client.post("/graphql", content=b"{", headers=headers)
        second = await api.client.post("/graphql", content=b"{", headers=headers)
    assert first.status_code == 400 and second.status_code == 429
    assert second.headers["content-type"].startswith(SPEC)
    assert "data" not in second.json() and second.headers["retry-after"]


# One status rule (gateway/negotiation.py): a 4xx/5xx means nothing executed, so a client
# may retry it without repeating a write. Found by a frontend team: a failed field of an
# executed mutation answered 400 without `data`, and a client retrying on 4xx wrote twice.

HINT_NOPE = 'mutation { requestHint(id: "nope") { text } }'
TWO = (
    'mutation Two { s: startSession(input: {topic: "Partial"}) { id } '
    'h: requestHint(id: "nope") { text } }'
)


@pytest.mark.parametrize("accept", [SPEC, "application/json"])
async def test_an_executed_mutation_that_fails_is_200_with_data(api, accept):
    _, token = await api.user()
    response = await api.gql(HINT_NOPE, token=token, headers={"Accept": accept})
    assert response.status_code == 200
    body = response.json()
    assert "data" in body and body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize("accept", [SPEC, "application/json"])
async def test_a_mutation_that_wrote_before_failing_is_200(api, accept):
    _, token = await api.user()
    response = await api.gql(TWO, token=token, headers={"Accept": accept})
    assert response.status_code == 200
    assert "data" in response.json()
    # The session was created: a retry (which a 4xx invites) would create a second one.
    sessions = await api.data("{ me { sessions { totalCount } } }", token=token)
    assert sessions["me"]["sessions"]["totalCount"] == 1


async def test_an_executed_query_that_fails_as_a_whole_is_200_under_the_spec_type(api):
    query = "{ dailyPractice { date } }"  # non-null root: an anonymous caller gets data null
    spec = await api.gql(query, headers={"Accept": SPEC})
    assert spec.status_code == 200
    body = spec.json()
    assert "data" in body and body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    legacy = await api.gql(query)  # a read under application/json keeps its code
    assert legacy.status_code == 401


@pytest.mark.parametrize("accept", [SPEC, "application/json"])
async def test_a_mutation_refused_before_it_runs_is_a_request_error(accept):
    from tests.conftest import make_settings, running_api

    async with running_api(make_settings(query_max_cost=5)) as api:
        _, token = await api.user()
        mutation = 'mutation { startSession(input: {topic: "x"}) { id } }'
        response = await api.gql(mutation, token=token, headers={"Accept": accept})
        assert response.status_code == 400
        assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        assert ("data" in response.json()) == (accept != SPEC)
        count = await api.services.db.sessions.count_documents({})
    assert count == 0


async def test_a_mutation_past_its_deadline_is_200_under_both_types():
    from tests.conftest import make_settings, running_api
    from tests.faults import mongo_stalls

    async with running_api(make_settings(execution_timeout_ms=300)) as api:
        _, token = await api.user()
        await api.data("{ me { id } }", token=token)
        for accept in (SPEC, "application/json"):
            with mongo_stalls(api.services.db):
                response = await api.gql(
                    'mutation { startSession(input: {topic: "x"}) { id } }',
                    token=token,
                    headers={"Accept": accept},
                )
            assert response.status_code == 200, accept
            body = response.json()
            assert body["data"] is None
            extensions = body["errors"][0]["extensions"]
            assert extensions["code"] == "TIMEOUT" and extensions["mayHaveApplied"] is True


async def test_the_406_body_carries_the_request_id(api):
    response = await api.gql("{ __typename }", headers={"Accept": "text/csv"})
    assert response.status_code == 406
    assert response.json()["extensions"]["requestId"] == response.headers["x-request-id"]
