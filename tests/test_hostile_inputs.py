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
