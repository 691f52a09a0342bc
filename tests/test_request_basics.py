"""The skeleton end to end: health, GraphiQL, a query and a mutation, errors, request logs."""

from __future__ import annotations

import json

from gateway.auth import issue_token

CREATE = """
mutation Create($input: CreateUserInput!) {
  createUser(input: $input) { id email name role subscriptionTier level nativeLanguage totalSessions streakDays }
}
"""


async def test_liveness_and_readiness(api):
    live = await api.client.get("/health")
    assert live.status_code == 200 and live.json() == {"status": "ok"}
    ready = await api.client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"]["mongodb"]["status"] == "ok"


async def test_readiness_reports_the_failing_component(api, monkeypatch):
    async def broken(*_a, **_k):
        raise ConnectionError("mongo down")

    monkeypatch.setattr(api.services.db, "ping", broken)
    ready = await api.client.get("/health/ready")
    assert ready.status_code == 503
    body = ready.json()
    assert body["failing"] == ["mongodb"]
    assert body["checks"]["mongodb"]["status"] == "failing"


async def test_graphiql_is_served_to_browsers(api):
    page = await api.client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()


async def test_create_then_read_user_round_trip(api):
    _, admin = await api.admin()
    created = (
        await api.data(
            CREATE,
            {
                "input": {
                    "email": "  Maria.Lopez@Example.COM ",
                    "name": "María López",
                    "level": "b2",
                    "nativeLanguage": "Spanish",
                    "subscriptionTier": "PRO",
                }
            },
            token=admin,
        )
    )["createUser"]
    assert created["email"] == "maria.lopez@example.com"  # normalised
    assert created["level"] == "B2"
    assert created["subscriptionTier"] == "PRO" and created["role"] == "USER"
    assert created["totalSessions"] == 0 and created["streakDays"] == 0
    read = await api.data(
        "query($id: ID!) { user(id: $id) { id name email } }", {"id": created["id"]}, token=admin
    )
    assert read["user"] == {
        "id": created["id"],
        "name": "María López",
        "email": "maria.lopez@example.com",
    }


async def test_bad_input_is_refused_and_nothing_is_written(api):
    _, admin = await api.admin()
    before = await api.services.db.users.count_documents({})
    response = await api.gql(CREATE, {"input": {"email": "not-an-email", "name": "X"}}, token=admin)
    body = response.json()
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "email"}
    assert body["data"] is None
    assert await api.services.db.users.count_documents({}) == before


async def test_duplicate_email_is_bad_user_input(api):
    _, admin = await api.admin()
    variables = {"input": {"email": "dup@example.com", "name": "One"}}
    await api.data(CREATE, variables, token=admin)
    body = (await api.gql(CREATE, variables, token=admin)).json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "already exists" in body["errors"][0]["message"]


async def test_unknown_id_is_not_found(api):
    _, admin = await api.admin()
    body = (await api.gql('{ user(id: "no-such-user") { id } }', token=admin)).json()
    assert body["data"] == {"user": None}
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert body["errors"][0]["path"] == ["user"]


async def test_malformed_json_body(api):
    response = await api.client.post(
        "/graphql", content=b'{"query": "{ me {', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_body_must_be_an_object_with_a_query(api):
    for body in (42, {"query": 5}, {"query": "{ me { id } }", "variables": [1]}):
        response = await api.client.post("/graphql", json=body)
        assert response.status_code == 400, body
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_unknown_field_and_wrong_type_are_bad_user_input(api):
    _, token = await api.user()
    unknown = await api.gql("{ me { id shoeSize } }", token=token)
    assert unknown.status_code == 400
    err = unknown.json()["errors"][0]
    assert err["extensions"]["code"] == "BAD_USER_INPUT" and "shoeSize" in err["message"]
    wrong = await api.gql(
        "query($id: ID!) { user(id: $id) { id } }", {"id": {"$gt": ""}}, token=token
    )
    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    syntax = await api.gql("{ me { id ", token=token)
    assert syntax.status_code == 400
    assert syntax.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_oversized_body_is_413(api):
    big = "{ me { id } }" + " " * (1_048_576 + 10)
    response = await api.client.post("/graphql", json={"query": big})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_mutation_over_get_is_refused(api):
    response = await api.client.get(
        "/graphql", params={"query": 'mutation { endSession(id: "x") { id } }'}
    )
    assert response.status_code == 405
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_query_over_get_works(api):
    _, token = await api.user(name="Getter")
    response = await api.client.get(
        "/graphql",
        params={"query": "{ me { name } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200 and response.json()["data"] == {"me": {"name": "Getter"}}


async def test_internal_errors_are_masked_with_the_request_id(api, monkeypatch):
    from resolvers import users

    async def explode(ctx):
        raise RuntimeError("secret driver detail: mongodb://user:pw@host")

    monkeypatch.setattr(users, "me", explode)
    _, token = await api.user()
    response = await api.gql("{ me { id } }", token=token, headers={"X-Request-ID": "req-123"})
    text = response.text
    assert "secret" not in text and "Traceback" not in text and "mongodb://" not in text
    err = response.json()["errors"][0]
    assert err["extensions"] == {"code": "INTERNAL", "requestId": "req-123"}
    assert "req-123" in err["message"]
    assert response.headers["x-request-id"] == "req-123"


async def test_request_log_line(api, capsys):
    user, token = await api.user()
    await api.gql("query Profile { me { id } }", token=token, headers={"X-Request-ID": "abc-42"})
    lines = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")
    ]
    done = [line for line in lines if line.get("event") == "request_completed"]
    assert len(done) == 1
    entry = done[0]
    assert entry["request_id"] == "abc-42"
    assert entry["method"] == "POST" and entry["path"] == "/graphql" and entry["status"] == 200
    assert entry["operation"] == "Profile" and entry["operation_type"] == "query"
    assert entry["user_id"] == user["_id"] and entry["tier"] == "free"
    assert isinstance(entry["duration_ms"], float)
    assert token not in json.dumps(lines)


async def test_generated_request_id_is_echoed(api):
    response = await api.client.get("/health")
    assert len(response.headers["x-request-id"]) == 32


async def test_invalid_request_id_header_is_replaced(api):
    response = await api.client.get("/health", headers={"X-Request-ID": "bad id\twith spaces"})
    assert response.headers["x-request-id"] != "bad id\twith spaces"


async def test_settings_refuse_a_missing_secret_with_a_real_database():
    import pytest

    from gateway.settings import Settings

    settings = Settings(_env_file=None, mongo_uri="mongodb://db:27017", jwt_secret="")
    with pytest.raises(ValueError, match="JWT_SECRET"):
        _ = settings.jwt_key
    short = Settings(_env_file=None, jwt_secret="short")
    with pytest.raises(ValueError, match="32"):
        _ = short.jwt_key


async def test_token_for_deleted_user_is_unauthenticated(api):
    token = issue_token(api.services.settings, "ghost")
    response = await api.gql("{ me { id } }", token=token)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_services_reach_requests_only_as_lifespan_state(capsys):
    # Before: also LazyServices, endpoint.services, app.state.services and app.state.holder.
    import httpx

    from gateway.app import create_app
    from gateway.inprocess import in_process
    from gateway.services import STATE_KEY
    from tests.conftest import make_settings

    app = create_app(make_settings())
    async with in_process(app) as served:
        assert set(served.state) == {STATE_KEY}
        assert not hasattr(app.state, "services") and not hasattr(app.state, "holder")
        # The same app called without its lifespan state (as httpx alone would) says why.
        bare = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
        async with bare:
            response = await bare.post("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 500
    assert "the app's lifespan has not run" in capsys.readouterr().out


async def test_a_stored_value_the_schema_cannot_write_is_internal_not_the_callers_fault(api):
    # A session's token count past 32 bits: graphql-core refuses to write it ("Int cannot
    # represent non 32-bit signed integer value"). That is the server's data, not the
    # request: it was answered BAD_USER_INPUT with HTTP 400, and a client that trusted the
    # code stopped retrying a query that was fine.
    _user, token = await api.user()
    start = 'mutation { startSession(input: {topic: "t"}) { id } }'
    sid = (await api.data(start, token=token))["startSession"]["id"]
    await api.services.db.sessions.update_one(
        {"_id": sid}, {"$set": {"total_tokens": 3_000_000_000}}
    )
    response = await api.gql(
        "{ me { sessions(first: 1) { edges { node { totalTokens } } } } }", token=token
    )
    body = response.json()
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INTERNAL" and error["extensions"]["requestId"]
    assert "32-bit" not in error["message"]
    assert error["path"][-1] == "totalTokens"
    assert response.status_code == 500  # nothing of the request could be answered
    # Input the client sent is still its own mistake.
    bad = await api.gql(
        "query($n: Int) { me { sessions(first: $n) { totalCount } } }",
        {"n": 3_000_000_000},
        token=token,
    )
    assert bad.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
