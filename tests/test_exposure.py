"""What the gateway shows about itself: no schema hints without introspection, no framing."""

from __future__ import annotations

import pytest

from tests.conftest import make_settings, running_api

GUESSES = [
    ("{ costReprt { totalCost } }", "costReport"),  # unknown field
    ("{ me { nme } }", "name"),  # unknown field on a type
    ("query { users(frist: 1) { totalCount } }", "first"),  # unknown argument
    ("query($t: SubscriptionTeir) { me { id } }", "SubscriptionTier"),  # unknown type
    ("{ users(tier: FRE) { totalCount } }", "FREE"),  # enum literal
]


@pytest.mark.parametrize(("query", "hint"), GUESSES)
async def test_no_suggestions_when_introspection_is_off(query, hint):
    async with running_api(make_settings(introspection_enabled=False)) as api:
        _, token = await api.admin()
        body = (await api.gql(query, token=token)).json()
        messages = " ".join(e["message"] for e in body["errors"])
        assert "Did you mean" not in messages and hint not in messages, messages
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        # enum values sent as variables are coerced at execution: no hint there either
        response = await api.gql(
            "query($t: SubscriptionTier) { users(tier: $t) { totalCount } }",
            {"t": "FRE"},
            token=token,
        )
        assert "Did you mean" not in response.text and "'FREE'" not in response.text


async def test_suggestions_stay_when_introspection_is_on(api):
    _, token = await api.admin()
    body = (await api.gql("{ costReprt { totalCost } }", token=token)).json()
    assert "Did you mean 'costReport'?" in body["errors"][0]["message"]


async def test_every_response_says_nosniff_and_cannot_be_framed(api):
    _, token = await api.user()
    responses = [
        await api.client.get("/health"),
        await api.gql("{ me { id } }", token=token),
        await api.client.post(
            "/graphql", content=b"{", headers={"content-type": "application/json"}
        ),
        await api.client.get("/graphql", headers={"accept": "text/html"}),
        await api.client.get("/graphiql-assets/graphiql@3.8.3/graphiql.min.css"),
        await api.client.get("/nowhere"),
    ]
    for response in responses:
        assert response.headers["x-content-type-options"] == "nosniff", response.url
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert responses[1].headers["content-security-policy"].startswith("default-src 'none'")


async def test_graphiql_policy_allows_only_the_vendored_assets(api):
    response = await api.client.get("/graphql", headers={"accept": "text/html"})
    policy = dict(
        [*part.strip().split(" ", 1), ""][:2]
        for part in response.headers["content-security-policy"].split(";")
    )
    assert policy["default-src"] == "'none'"
    script = policy["script-src"].split()
    assert script[0] == "'self'" and all(s.startswith("'sha256-") for s in script[1:])
    assert len(script) == 1 + response.text.count("<script>")  # each inline block by hash
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    assert "unpkg" not in response.text and "https://" not in policy.get("script-src", "")
    assert policy["connect-src"] == "'self'"


MISSING_REQUIRED = [
    # (document, variables): each names an input type or its required fields by default
    ('mutation { recordMessage(input: {content: "x"}) { id } }', None),
    ("mutation($in: RecordMessageInput!) { recordMessage(input: $in) { id } }", {"in": {}}),
    ("mutation { recordMessage { id } }", None),
    ('mutation { recordMessage(input: "x") { id } }', None),
    ("mutation($in: RecordMessageInput!) { recordMessage(input: $in) { id } }", {"in": 5}),
]


@pytest.mark.parametrize(("query", "variables"), MISSING_REQUIRED)
async def test_no_input_types_or_required_fields_when_introspection_is_off(query, variables):
    # Before: "Field 'RecordMessageInput.sessionId' of required type 'ID!' was not
    # provided." and the like told a client without introspection the schema's inputs.
    async with running_api(make_settings(introspection_enabled=False)) as api:
        _, token = await api.user()
        body = (await api.gql(query, variables, token=token)).json()
        messages = " ".join(e["message"] for e in body["errors"])
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        for secret in ("RecordMessageInput", "sessionId", "role", "MessageRole"):
            if secret not in query:
                assert secret not in messages, messages
    async with running_api(make_settings()) as api:  # introspection on: the full story
        _, token = await api.user()
        body = (await api.gql(MISSING_REQUIRED[0][0], token=token)).json()
        message = body["errors"][0]["message"]
        assert "'RecordMessageInput'" in message and "'sessionId'" in message
