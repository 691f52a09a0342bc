"""Hostile values inside otherwise valid requests: cursors, dates, nested JSON."""

from __future__ import annotations

import base64
import json

import pytest

from tests.factories import conversations

SESSIONS = (
    "query($id: ID!, $after: String) { user(id: $id) { sessions(first: 10, after: $after) "
    "{ edges { node { topic } } } } }"
)
USERS = "query($after: String) { users(first: 50, after: $after) { edges { node { id } } } }"


def forged(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "payload",
    [
        ["v", {"$ne": None}, "~"],  # was evaluated by MongoDB: every row came back
        ["v", {"$foo": 1}, "~"],  # was a 500 INTERNAL
        ["v", ["a"], "~"],
        ["v", "2026-01-01", "~"],  # a string where the order sorts by a date
        ["v", 5, "~"],
        ["d", "2026-01-01T00:00:00+00:00", {"$gt": ""}],
        ["d", {"$gt": ""}, "x"],
        ["x", None, "x"],
        {"v": 1},
    ],
)
async def test_forged_cursors_are_bad_user_input(api, payload):
    _, admin = await api.admin()
    [uid] = await conversations(api.services.db, users=1, sessions=3, messages=0)
    cursor = forged(payload)
    for query, variables in ((SESSIONS, {"id": uid, "after": cursor}), (USERS, {"after": cursor})):
        response = await api.gql(query, variables, token=admin)
        body = response.json()
        assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}
        assert not (body["data"] or {}).get("users")


async def test_issued_cursors_still_page(api):
    _, admin = await api.admin()
    [uid] = await conversations(api.services.db, users=1, sessions=3, messages=0)
    q = (
        "query($id: ID!, $after: String) { user(id: $id) { sessions(first: 2, after: $after) "
        "{ pageInfo { endCursor } edges { node { topic } } } } }"
    )
    first = (await api.data(q, {"id": uid}, token=admin))["user"]["sessions"]
    rest = await api.data(q, {"id": uid, "after": first["pageInfo"]["endCursor"]}, token=admin)
    assert [e["node"]["topic"] for e in rest["user"]["sessions"]["edges"]] == ["topic 0"]


EDGE_DATES = [
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "0001-01-03T00:00:00Z",
    "1899-12-31T23:59:59Z",
    "9000-01-01T00:00:00Z",
    "0001-01-01T00:00:00",
]


DATE_FIELDS = [  # (selection using $u and DATE, learner or admin)
    ("errorStats(userId: $u, since: DATE) { totalErrors }", "learner"),
    ("errorStats(userId: $u, until: DATE) { totalErrors }", "learner"),
    ("user(id: $u) { errorStats(since: DATE) { totalErrors } }", "learner"),
    ("costReport(to: DATE) { totalCost } u: user(id: $u) { id }", "admin"),
    ("costReport(from: DATE) { totalCost } u: user(id: $u) { id }", "admin"),
]


@pytest.mark.parametrize("when", EDGE_DATES)
async def test_out_of_range_dates_are_bad_user_input(api, when, capsys):
    user, learner = await api.user()
    _, admin = await api.admin()
    tokens = {"learner": learner, "admin": admin}
    capsys.readouterr()
    for selection, caller in DATE_FIELDS:
        variables = "query($u: ID!, $d: DateTime) { " + selection.replace("DATE", "$d") + " }"
        literal = "query($u: ID!) { " + selection.replace("DATE", f'"{when}"') + " }"
        for query, values in (
            (variables, {"u": user["_id"], "d": when}),
            (literal, {"u": user["_id"]}),
        ):
            response = await api.gql(query, values, token=tokens[caller])
            body = response.json()
            assert response.status_code == 400, body
            assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
            assert "DateTime" in body["errors"][0]["message"]
    # and nobody can make the server write error lines at will
    assert "unhandled_resolver_error" not in capsys.readouterr().out


async def test_dates_in_range_keep_their_instant(api):
    user, token = await api.user()
    q = "query($u: ID!, $s: DateTime) { errorStats(userId: $u, since: $s) { since } }"
    body = await api.data(q, {"u": user["_id"], "s": "2026-01-01T10:00:00+02:00"}, token=token)
    assert body["errorStats"]["since"] == "2026-01-01T08:00:00+00:00"
    naive = await api.data(q, {"u": user["_id"], "s": "2026-01-01T10:00:00"}, token=token)
    assert naive["errorStats"]["since"] == "2026-01-01T10:00:00+00:00"


REFUSALS = [  # (method, kwargs for httpx, expected status)
    pytest.param("GET", {}, 400, id="GET without a query"),
    pytest.param(
        "POST",
        {"content": b"{not json", "headers": {"content-type": "application/json"}},
        400,
        id="bad JSON",
    ),
    pytest.param(
        "POST",
        {"content": b"query=1", "headers": {"content-type": "text/plain"}},
        415,
        id="not JSON",
    ),
    pytest.param("PUT", {}, 405, id="wrong method"),
    pytest.param(
        "POST",
        {"json": {"query": "{ me { id } }", "operationName": "x" * 300}},
        400,
        id="oversize operationName",
    ),
    pytest.param(
        "POST",
        {"json": {"query": "{ me { id } }"}, "headers": {"authorization": "Bearer not-a-token"}},
        401,
        id="invalid token",
    ),
]


@pytest.mark.parametrize(("method", "kwargs", "status"), REFUSALS)
async def test_every_refusal_carries_its_request_id(api, method, kwargs, status):
    """A request refused before execution names its request id in the body too (as every
    executed response does), not only in the X-Request-ID header."""
    response = await api.client.request(method, "/graphql", **kwargs)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["errors"], body
    assert body["extensions"]["requestId"] == response.headers["x-request-id"]


START = "mutation($in: StartSessionInput!) { startSession(input: $in) { id } }"
RECORD = "mutation($in: RecordMessageInput!) { recordMessage(input: $in) { id } }"
RATE = "mutation($id: ID!, $in: RateMessageInput!) { rateMessage(id: $id, input: $in) { id } }"
UPDATE = "mutation($id: ID!, $in: UpdateUserInput!) { updateUser(id: $id, input: $in) { id } }"
LONE = "\ud800"


def lone_surrogate_cases(user_id: str, sid: str, reply: str) -> dict[str, tuple[str, dict]]:
    said = {"sessionId": sid, "role": "USER", "content": "I has a cat."}
    error = {"category": "Grammar", "subcategory": "Verb Tense"}
    return {
        "recordMessage.content": (RECORD, {"in": {**said, "content": f"hi {LONE}"}}),
        "startSession.topic": (START, {"in": {"topic": f"x{LONE}"}}),
        "errors[].excerpt": (RECORD, {"in": {**said, "errors": [{**error, "excerpt": LONE}]}}),
        "updateUser.name": (UPDATE, {"id": user_id, "in": {"name": f"A{LONE}"}}),
        "rateMessage.comment": (RATE, {"id": reply, "in": {"rating": 3, "comment": LONE}}),
    }


async def test_lone_surrogates_are_bad_user_input_not_500(api, capsys):
    # Before: each of these was HTTP 500 with an error-level `unhandled_resolver_error`
    # (BSON cannot encode a lone surrogate): any learner could fire alert-grade tracebacks.
    user, token = await api.user()
    sid = (await api.data(START, {"in": {"topic": "t"}}, token=token))["startSession"]["id"]
    reply = {"sessionId": sid, "role": "ASSISTANT", "content": "Hello!"}
    answer = (await api.data(RECORD, {"in": reply}, token=await api.writer(token, reply)))[
        "recordMessage"
    ]["id"]
    capsys.readouterr()
    for name, (query, variables) in lone_surrogate_cases(user["_id"], sid, answer).items():
        # json.dumps writes the surrogate as the escape `\ud800`, as a client would send it.
        body = json.dumps({"query": query, "variables": variables})
        assert "\\ud800" in body
        response = await api.client.post(
            "/graphql",
            content=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        assert response.status_code == 400, (name, response.text)
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", name
        assert "surrogate" in error["message"]
    get = await api.client.get(
        "/graphql",
        params={"query": "query($t: String) { __typename }", "variables": '{"t": "\\udc00"}'},
    )
    assert get.status_code == 400
    levels = [json.loads(line).get("level") for line in capsys.readouterr().out.splitlines()]
    assert "error" not in levels
    # A valid pair (an emoji) is fine.
    emoji = {"in": {"topic": "\U0001f600"}}
    assert (await api.data(START, emoji, token=token))["startSession"]["id"]


async def test_variables_with_more_values_than_any_operation_takes_are_refused_unparsed(api):
    """200,000 ids for `nodes(ids: $ids)` (1 MB) were coerced twice by graphql-core, 0.85 s
    of CPU, before the resolver said "at most 100 ids": the variables were never priced,
    so a FREE learner's window held the event loop most of every minute."""
    _, learner = await api.user()
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
    response = await api.gql(query, {"ids": ["a"] * 100_000}, token=learner)
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "'variables' holds more than" in error["message"]
    nested = {"input": {"errors": [{"category": "a", "subcategory": "b"}] * 3_000}}
    response = await api.gql("query($input: X) { __typename }", nested, token=learner)
    assert "'variables' holds more than" in response.json()["errors"][0]["message"]
    # a real operation's variables are far below the bound
    ok = await api.gql(query, {"ids": ["a"] * 100}, token=learner)
    assert ok.status_code == 200, ok.json()
