"""The tutor service as a caller of its own: API clients, who writes what, what a TUTOR reads."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.auth import issue_token
from gateway.inprocess import in_process
from models.db import connect
from models.driver_calls import CollectionProxy
from tests.conftest import Api, make_settings, redis_url

FORGED = """mutation($s: ID!) { recordMessage(input: { sessionId: $s, role: ASSISTANT,
  content: "I am the tutor", provider: "anthropic", model: "claude-opus",
  tokensIn: 10000000, tokensOut: 10000000 }) { id cost } }"""
COSTS = "{ costReport { totalCost topUsers { user { id } cost } } }"
CREATE = """mutation($n: String!) { createApiClient(input: {name: $n, scopes: [TUTOR]}) {
  secret client { id name scopes createdAt lastUsedAt revokedAt } } }"""
REPLY = """mutation($s: ID!, $k: String) { recordMessage(input: { sessionId: $s, role: ASSISTANT,
  content: "Very good! One thing: 'since' takes a point in time.", provider: "anthropic",
  model: "claude-3-5-sonnet", tokensIn: 1200, tokensOut: 300, responseTimeMs: 900,
  idempotencyKey: $k }) { id cost role } }"""
ANNOTATE = """mutation($id: ID!, $k: String, $e: [LanguageErrorInput!]!) {
  annotateMessage(id: $id, idempotencyKey: $k, errors: $e) {
    id errors { category subcategory correction } } }"""
SINCE = [
    {
        "category": "Grammar",
        "subcategory": "Prepositions",
        "excerpt": "since three years",
        "correction": "for three years",
    }
]


async def _learner_session(api: Api) -> tuple[dict[str, Any], str, str]:
    learner, token = await api.user(tier="pro")
    data = await api.data('mutation { startSession(input: {topic: "Travel"}) { id } }', token=token)
    return learner, token, data["startSession"]["id"]


def _error(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("errors"), body
    return body["errors"][0]


async def test_a_learner_cannot_forge_the_ai_bill(api: Api) -> None:
    _, admin = await api.admin()
    _, token, session = await _learner_session(api)
    before = await api.data(COSTS, token=admin)
    body = (await api.gql(FORGED, {"s": session}, token)).json()
    err = _error(body)
    assert err["extensions"]["code"] == "FORBIDDEN"
    assert err["extensions"]["field"] == "tokensIn"
    assert set(err["extensions"]["fields"]) >= {"tokensIn", "tokensOut", "provider", "model"}
    assert await api.data(COSTS, token=admin) == before
    stored = await api.services.db.messages.count_documents({"session_id": session})
    assert stored == 0


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ("cost: 3.5", "cost"),
        ("tokensOut: 5", "tokensOut"),
        ('provider: "openai"', "provider"),
        ('model: "gpt-4o"', "model"),
        ("responseTimeMs: 10", "responseTimeMs"),
        ('errors: [{category: "Grammar", subcategory: "Articles"}]', "errors"),
    ],
)
async def test_every_usage_field_and_errors_from_a_learner_is_forbidden(
    api: Api, extra: str, field: str
) -> None:
    _, token, session = await _learner_session(api)
    q = f'mutation($s: ID!) {{ recordMessage(input: {{sessionId: $s, role: USER, content: "Hi", {extra}}}) {{ id }} }}'
    err = _error((await api.gql(q, {"s": session}, token)).json())
    assert (err["extensions"]["code"], err["extensions"]["field"]) == ("FORBIDDEN", field)


@pytest.mark.parametrize("role", ["ASSISTANT", "SYSTEM"])
async def test_a_learner_records_user_messages_only(api: Api, role: str) -> None:
    _, token, session = await _learner_session(api)
    q = f'mutation($s: ID!) {{ recordMessage(input: {{sessionId: $s, role: {role}, content: "x"}}) {{ id }} }}'
    err = _error((await api.gql(q, {"s": session}, token)).json())
    assert (err["extensions"]["code"], err["extensions"]["field"]) == ("FORBIDDEN", "role")
    ok = await api.data(
        'mutation($s: ID!) { recordMessage(input: {sessionId: $s, role: USER, content: "I live here since 2020."}) { role cost } }',
        {"s": session},
        token,
    )
    assert ok["recordMessage"] == {"role": "USER", "cost": None}


async def test_an_admin_creates_a_tutor_client_whose_reply_and_annotation_reach_the_reports(
    api: Api,
) -> None:
    _, admin = await api.admin()
    learner, token, session = await _learner_session(api)
    created = (await api.data(CREATE, {"n": "tutor-eu-1"}, admin))["createApiClient"]
    secret = created["secret"]
    assert secret.startswith("tgw_") and len(secret) >= 70
    assert created["client"]["scopes"] == ["TUTOR"] and created["client"]["revokedAt"] is None
    stored = await api.services.db.api_clients.find_one({"_id": created["client"]["id"]})
    assert secret not in json.dumps(stored, default=str)  # only the hash is kept

    utterance = await api.data(
        'mutation($s: ID!) { recordMessage(input: {sessionId: $s, role: USER, content: "My sister live in London since three years."}) { id } }',
        {"s": session},
        token,
    )
    mid = utterance["recordMessage"]["id"]
    reply = (await api.data(REPLY, {"s": session, "k": "turn-1-reply"}, secret))["recordMessage"]
    assert reply["role"] == "ASSISTANT" and reply["cost"] > 0
    annotated = await api.data(ANNOTATE, {"id": mid, "k": "turn-1-errors", "e": SINCE}, secret)
    assert annotated["annotateMessage"]["errors"][0]["correction"] == "for three years"

    report = await api.data(COSTS, token=admin)
    assert report["costReport"]["totalCost"] == pytest.approx(reply["cost"])
    assert report["costReport"]["topUsers"][0]["user"]["id"] == learner["_id"]
    stats = await api.data("{ providerStats { provider model requests } }", token=admin)
    assert {"provider": "anthropic", "model": "claude-3-5-sonnet", "requests": 1} in stats[
        "providerStats"
    ]
    mine = await api.data("{ errorStats { totalErrors items { subcategory count } } }", token=token)
    assert mine["errorStats"]["totalErrors"] == 1
    # The tutor reads what it needs to tutor: the session, its messages, the learner, stats.
    seen = await api.data(
        """query($s: ID!, $u: ID!) { session(id: $s) { messages { edges { node { role } } }
           user { level targetLanguage } }
           errorStats(userId: $u) { totalErrors } }""",
        {"s": session, "u": learner["_id"]},
        secret,
    )
    assert [e["node"]["role"] for e in seen["session"]["messages"]["edges"]] == [
        "USER",
        "ASSISTANT",
    ]
    assert seen["errorStats"]["totalErrors"] == 1
    listed = await api.data(
        "{ apiClients { totalCount edges { node { name lastUsedAt } } } }", token=admin
    )
    assert listed["apiClients"]["totalCount"] == 1
    assert listed["apiClients"]["edges"][0]["node"]["lastUsedAt"] is not None


@pytest.mark.parametrize(
    "query",
    [
        "{ users { totalCount } }",
        "{ costReport { totalCost } }",
        "{ providerStats { provider } }",
        "{ apiClients { totalCount } }",
        'mutation { createApiClient(input: {name: "x", scopes: [TUTOR]}) { secret } }',
        'mutation { revokeApiClient(id: "x") { id } }',
        'mutation { createUser(input: {email: "a@b.co", name: "A"}) { id } }',
    ],
)
async def test_a_tutor_reaches_no_admin_only_field(api: Api, query: str) -> None:
    secret = await api.tutor()
    err = _error((await api.gql(query, token=secret)).json())
    assert err["extensions"]["code"] == "FORBIDDEN"


async def test_a_tutor_does_not_act_as_the_learner(api: Api) -> None:
    learner, _token, session = await _learner_session(api)
    secret = await api.tutor()
    uid = learner["_id"]
    for q in [
        f'mutation {{ startSession(input: {{userId: "{uid}", topic: "x"}}) {{ id }} }}',
        f'mutation {{ endSession(id: "{session}") {{ id }} }}',
        f'mutation {{ updateUser(id: "{uid}", input: {{name: "Pwned"}}) {{ id }} }}',
        f'mutation {{ generateExercise(userId: "{uid}") {{ id }} }}',
        'mutation { submitExercise(id: "x", answer: "y") { correct } }',
        'mutation { rateMessage(id: "x", input: {rating: 5}) { id } }',
    ]:
        err = _error((await api.gql(q, token=secret)).json())
        assert err["extensions"]["code"] == "FORBIDDEN", q


async def test_a_second_learner_reaches_nothing_new(api: Api) -> None:
    """IDOR: annotations, API clients and another learner's message all stay out of reach."""
    _, token, session = await _learner_session(api)
    _other, other_token = await api.user()
    mid = (
        await api.data(
            'mutation($s: ID!) { recordMessage(input: {sessionId: $s, role: USER, content: "Hello"}) { id } }',
            {"s": session},
            token,
        )
    )["recordMessage"]["id"]
    for tok in (token, other_token):
        err = _error((await api.gql(ANNOTATE, {"id": mid, "e": SINCE}, tok)).json())
        assert err["extensions"]["code"] == "FORBIDDEN"
        err = _error((await api.gql("{ apiClients { totalCount } }", token=tok)).json())
        assert err["extensions"]["code"] == "FORBIDDEN"
    # the other learner cannot write into the session either (same answer as a missing id)
    q = 'mutation($s: ID!) { recordMessage(input: {sessionId: $s, role: USER, content: "x"}) { id } }'
    err = _error((await api.gql(q, {"s": session}, other_token)).json())
    assert err["extensions"]["code"] == "NOT_FOUND"


async def test_a_tutor_records_a_learner_utterance_with_its_errors(api: Api) -> None:
    _learner, token, session = await _learner_session(api)
    secret = await api.tutor()
    q = """mutation($s: ID!, $e: [LanguageErrorInput!]) { recordMessage(input: {sessionId: $s,
      role: USER, content: "My sister live in London since three years.", errors: $e}) { id } }"""
    await api.data(q, {"s": session, "e": SINCE}, secret)
    mine = await api.data("{ errorStats { totalErrors } }", token=token)
    assert mine["errorStats"]["totalErrors"] == 1


async def test_tutor_scoped_tokens_are_tutor_callers(api: Api) -> None:
    _, token, session = await _learner_session(api)
    settings = api.services.settings
    for n, scope_claim in enumerate(("tutor", "openid tutor")):
        tutor = issue_token(settings, "tutor-oauth-client", scope=scope_claim)
        reply = await api.data(REPLY, {"s": session, "k": f"k-{n}"}, tutor)
        assert reply["recordMessage"]["cost"] > 0
    status = await api.data(
        "{ rateLimit { tier limit } }", token=issue_token(settings, "c", scope="tutor")
    )
    assert status["rateLimit"] == {"tier": "TUTOR", "limit": 6000}
    # a learner's token without the scope stays a learner
    err = _error((await api.gql(REPLY, {"s": session}, token)).json())
    assert err["extensions"]["code"] == "FORBIDDEN"


async def test_a_wrong_or_malformed_secret_is_refused(api: Api) -> None:
    secret = await api.tutor()
    for bad in (secret[:-1] + ("A" if secret[-1] != "A" else "B"), "tgw_nothing", secret + "x"):
        response = await api.gql("{ rateLimit { tier } }", token=bad)
        assert response.status_code == 401, bad
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_last_used_is_kept_without_a_write_per_request(api: Api) -> None:
    secret = await api.tutor()
    writes: list[str] = []

    class Counting(CollectionProxy):
        async def _call(self, name: str, method: Any, a: Any, k: Any) -> Any:
            if name in ("update_one", "update_many", "find_one_and_update"):
                writes.append(self._inner.name)
            return await method(*a, **k)

    api.services.settings.api_client_cache_seconds = 0  # every request reads the client again
    with api.services.db.wrapped(Counting):
        for _ in range(15):
            await api.data("{ rateLimit { tier } }", token=secret)
    assert writes.count("api_clients") == 1
    doc = await api.services.db.api_clients.find_one({})
    assert doc["last_used_at"] is not None


async def test_the_request_log_names_the_client(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = await api.tutor("tutor-log-check")
    capsys.readouterr()
    await api.data("{ rateLimit { tier } }", token=secret)
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    done = [x for x in lines if x.get("event") == "request_completed"]
    assert done and done[-1]["client"] == "tutor-log-check" and done[-1]["tier"] == "tutor"


@pytest.mark.slow
async def test_a_revoked_secret_is_refused_by_another_replica_within_seconds() -> None:
    """Two gateways on one database and one Redis: revoking on A stops the secret on B."""
    settings = make_settings(redis_url=redis_url())
    db = await connect(settings.mongo_uri, settings.mongo_db, 2000, 5000)
    apps = [create_app(settings, db=db), create_app(settings, db=db)]
    spans = [in_process(app) for app in apps]
    for span in spans:
        await span.__aenter__()
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=span), base_url="http://t")
        for span in spans
    ]
    try:
        api_a = Api(clients[0], spans[0].services)
        api_b = Api(clients[1], spans[1].services)
        _, admin = await api_a.admin()
        created = (await api_a.data(CREATE, {"n": "tutor-b"}, admin))["createApiClient"]
        secret, cid = created["secret"], created["client"]["id"]
        assert (await api_b.gql("{ rateLimit { tier } }", token=secret)).status_code == 200
        revoked = await api_a.data(
            "mutation($id: ID!) { revokeApiClient(id: $id) { revokedAt } }", {"id": cid}, admin
        )
        assert revoked["revokeApiClient"]["revokedAt"] is not None
        assert (await api_a.gql("{ rateLimit { tier } }", token=secret)).status_code == 401
        start = time.monotonic()
        while (await api_b.gql("{ rateLimit { tier } }", token=secret)).status_code != 401:
            assert time.monotonic() - start < 5, "replica B still accepts a revoked secret"
            await asyncio.sleep(0.2)
    finally:
        for c in clients:
            await c.aclose()
        for span in spans:
            await span.__aexit__(None, None, None)
        await db.close()
