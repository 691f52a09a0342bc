"""Relay completeness: every connection pages both ways (`first`/`after`, `last`/`before`),
and every User, Session, Message and Exercise is a `Node` a client refetches by id.

Found by a frontend team: `last` was "Unknown argument" and `Session.messages` reads
oldest first, so a chat view of a long session could not open at the newest messages.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.test_learner_api import start
from tests.test_pagination_edges import _huge_message, _session_with_messages

CHAT = (
    "query($id: ID!, $last: Int, $before: String) { session(id: $id) { "
    "messages(last: $last, before: $before) { %s pageInfo { hasPreviousPage hasNextPage "
    "startCursor endCursor } } } }"
)
WITH_CURSORS = "edges { cursor node { id } }"
BARE = "edges { node { id } }"


@pytest.mark.parametrize("edges", [WITH_CURSORS, BARE])
async def test_a_chat_view_opens_at_the_newest_messages_and_pages_back(api, edges):
    sid, token = await _session_with_messages(api)  # m-00 .. m-06, timestamps with ties
    seen: list[list[str]] = []
    before = None
    for _ in range(5):
        page = (await api.data(CHAT % edges, {"id": sid, "last": 3, "before": before}, token))[
            "session"
        ]["messages"]
        seen.append([e["node"]["id"] for e in page["edges"]])
        assert page["pageInfo"]["hasNextPage"] is False
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    # Each page in conversation order (oldest first), the newest page first.
    assert seen == [["m-04", "m-05", "m-06"], ["m-01", "m-02", "m-03"], ["m-00"]]


async def test_backward_pages_of_many_sessions_are_one_batch(api):
    user, token = await api.user()
    a, b = (
        (await start(api, token, user["_id"]))["id"],
        (await start(api, token, user["_id"]))["id"],
    )
    t0 = datetime(2026, 5, 1, tzinfo=UTC)
    await api.services.db.messages.insert_many(
        [
            {
                "_id": f"{s}-{i}",
                "session_id": sid,
                "user_id": user["_id"],
                "role": "user",
                "content": "x",
                "timestamp": t0 + timedelta(minutes=i),
                "errors": [],
                "applied": True,
            }
            for s, sid in (("a", a), ("b", b))
            for i in range(4)
        ]
    )
    query = (
        "{ me { sessions { edges { node { id messages(last: 2) { "
        "pageInfo { hasPreviousPage } edges { node { id } } } } } } } }"
    )
    sessions = (await api.data(query, token=token))["me"]["sessions"]["edges"]
    pages = {s["node"]["id"]: s["node"]["messages"] for s in sessions}
    assert [e["node"]["id"] for e in pages[a]["edges"]] == ["a-2", "a-3"]
    assert [e["node"]["id"] for e in pages[b]["edges"]] == ["b-2", "b-3"]
    assert pages[a]["pageInfo"]["hasPreviousPage"] is True


async def test_a_backward_page_too_large_for_one_document_still_loads(api):
    user, token = await api.user()
    big = (await start(api, token, user["_id"], topic="big"))["id"]
    await api.services.db.messages.insert_many(
        [_huge_message(big, user["_id"], i) for i in range(35)]
    )
    page = (await api.data(CHAT % WITH_CURSORS, {"id": big, "last": 34}, token))["session"][
        "messages"
    ]
    assert [e["node"]["id"] for e in page["edges"]] == [f"h-{i:02d}" for i in range(1, 35)]
    assert page["pageInfo"]["hasPreviousPage"] is True


async def _exercises(api, user_id: str, n: int) -> None:
    now = datetime.now(UTC)
    await api.services.db.exercises.insert_many(
        [
            {
                "_id": str(uuid.uuid4()),
                "user_id": user_id,
                "type": "fill_in_the_blank",
                "category": "Grammar",
                "subcategory": "Tense",
                "difficulty": 2,
                "prompt": f"p{i}",
                "choices": [],
                "answer": "a",
                "hints": ["h1", "h2", "h3"],
                "status": "pending",
                "attempts": 0,
                "hints_used": 0,
                "created_at": now - timedelta(hours=n - i),
                "due_at": now - timedelta(hours=i + 1),
                "language": "English",
            }
            for i in range(n)
        ]
    )


# Every connection of the schema: (query with $first/$after/$last/$before, path to it).
CONNECTIONS = {
    "Session.messages": (
        "query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) "
        "{ session(id: $id) { messages(first: $first, after: $after, last: $last, "
        "before: $before) { %s } } }",
        ("session", "messages"),
    ),
    "User.sessions": (
        "query($first: Int, $after: String, $last: Int, $before: String) "
        "{ me { sessions(first: $first, after: $after, last: $last, before: $before) { %s } } }",
        ("me", "sessions"),
    ),
    "User.exercises": (
        "query($first: Int, $after: String, $last: Int, $before: String) "
        "{ me { exercises(first: $first, after: $after, last: $last, before: $before) { %s } } }",
        ("me", "exercises"),
    ),
    "Query.dueExercises": (
        "query($first: Int, $after: String, $last: Int, $before: String) "
        "{ dueExercises(first: $first, after: $after, last: $last, before: $before) { %s } }",
        ("dueExercises",),
    ),
    "Query.users": (
        "query($first: Int, $after: String, $last: Int, $before: String) "
        "{ users(first: $first, after: $after, last: $last, before: $before) { %s } }",
        ("users",),
    ),
    "Query.apiClients": (
        "query($first: Int, $after: String, $last: Int, $before: String) "
        "{ apiClients(first: $first, after: $after, last: $last, before: $before) { %s } }",
        ("apiClients",),
    ),
}
SELECTION = "edges { cursor node { id } } pageInfo { hasPreviousPage startCursor }"


def _schema_connections() -> dict[str, set[str]]:
    """Every field of the schema that returns a connection, with its argument names."""
    from gateway.app import create_app
    from tests.conftest import make_settings

    schema = create_app(make_settings()).state.schema._schema
    found = {}
    for type_ in schema.type_map.values():
        if type_.name.startswith("__"):
            continue
        for name, field in getattr(type_, "fields", {}).items():
            if str(field.type).rstrip("!").endswith("Connection"):
                found[f"{type_.name}.{name}"] = set(field.args)
    return found


@pytest.mark.parametrize("name", list(CONNECTIONS))
async def test_every_connection_pages_backward_as_it_pages_forward(api, name):
    user, token = await api.user()
    sid = None
    if name == "Session.messages":
        sid, token = await _session_with_messages(api)
    elif name == "User.sessions":
        for _ in range(5):
            await start(api, token, user["_id"])
    elif name == "Query.users":
        for _ in range(4):
            await api.user()
        _, token = await api.admin()
    elif name == "Query.apiClients":
        for i in range(5):
            await api.tutor(f"tutor-{i}")
        _, token = await api.admin()
    else:
        await _exercises(api, user["_id"], 5)
    query, path = CONNECTIONS[name]
    variables = {"id": sid} if sid else {}

    async def page(**args):
        data = await api.data(query % SELECTION, {**variables, **args}, token)
        for key in path:
            data = data[key]
        return data

    forward = [e["node"]["id"] for e in (await page(first=100))["edges"]]
    assert len(forward) >= 5
    backward: list[str] = []
    before = None
    while True:
        got = await page(last=2, before=before)
        backward = [e["node"]["id"] for e in got["edges"]] + backward
        if not got["pageInfo"]["hasPreviousPage"]:
            break
        before = got["pageInfo"]["startCursor"]
    assert backward == forward


def test_every_connection_in_the_schema_pages_both_ways():
    # The whole class: a connection added later (e.g. apiClients) takes last/before too
    # (resolvers/pagination.py page_window), and joins CONNECTIONS above.
    connections = _schema_connections()
    lacking = {
        name: sorted({"first", "after", "last", "before"} - args)
        for name, args in connections.items()
        if not {"first", "after", "last", "before"} <= args
    }
    assert not lacking, lacking
    assert set(connections) == set(CONNECTIONS), set(connections) ^ set(CONNECTIONS)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"first": 2, "last": 2}, "last"),
        ({"after": "x", "before": "y"}, "before"),
        ({"last": 101}, "last"),
        ({"last": -1}, "last"),
    ],
)
async def test_bad_backward_arguments_are_refused(api, args, field):
    sid, token = await _session_with_messages(api)
    query = CONNECTIONS["Session.messages"][0] % SELECTION
    response = await api.gql(query, {"id": sid, **args}, token=token)
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == field


# --- Node ------------------------------------------------------------------------------

NODE = """query($id: ID!) { node(id: $id) { __typename id
  ... on User { email } ... on Session { topic } ... on Message { content }
  ... on Exercise { prompt hintsUsed } } }"""


async def test_every_node_type_is_refetched_by_id(api):
    user, token = await api.user()
    session = await start(api, token, user["_id"], topic="cats")
    sid, mid = session["id"], None
    record = "mutation($in: RecordMessageInput!) { recordMessage(input: $in) { id } }"
    mid = (
        await api.data(record, {"in": {"sessionId": sid, "role": "USER", "content": "hi"}}, token)
    )["recordMessage"]["id"]
    await _exercises(api, user["_id"], 1)
    eid = (await api.data("{ me { exercises { edges { node { id } } } } }", token=token))["me"][
        "exercises"
    ]["edges"][0]["node"]["id"]
    want = {
        user["_id"]: {"__typename": "User", "email": user["email"]},
        sid: {"__typename": "Session", "topic": "cats"},
        mid: {"__typename": "Message", "content": "hi"},
        eid: {"__typename": "Exercise", "prompt": "p0", "hintsUsed": 0},
    }
    for node_id, fields in want.items():
        got = (await api.data(NODE, {"id": node_id}, token))["node"]
        assert got == {"id": node_id, **fields}
    many = await api.data(
        "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }",
        {"ids": [mid, "missing", sid, user["_id"], eid]},
        token,
    )
    assert [n and n["__typename"] for n in many["nodes"]] == [
        "Message",
        None,
        "Session",
        "User",
        "Exercise",
    ]


async def test_a_node_you_may_not_see_is_null_and_anonymous_callers_are_refused(api):
    owner, owner_token = await api.user()
    sid = (await start(api, owner_token, owner["_id"]))["id"]
    _, other = await api.user()
    for node_id in (sid, owner["_id"]):
        assert (await api.data(NODE, {"id": node_id}, other))["node"] is None
    anonymous = await api.gql(NODE, {"id": sid})
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    _, admin = await api.admin()
    assert (await api.data(NODE, {"id": sid}, admin))["node"]["__typename"] == "Session"


async def test_nodes_is_bounded_and_priced_by_its_ids(api):
    _, token = await api.user()
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
    too_many = await api.gql(query, {"ids": [f"x{i}" for i in range(101)]}, token=token)
    assert too_many.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    one = await api.gql(query, {"ids": ["a"]}, token=token)
    fifty = await api.gql(query, {"ids": [f"x{i}" for i in range(50)]}, token=token)
    assert (
        fifty.json()["extensions"]["rateLimit"]["cost"]
        == 50 * one.json()["extensions"]["rateLimit"]["cost"]
    )


async def test_node_types_keep_the_compiled_executor(api, monkeypatch):
    # Implementing an interface gives a type an `is_type_of` check, which the compiled
    # executor does not run: reads of these types must still be compiled.
    from gateway.execution import executor

    plans = []
    real = executor.build_plan

    def recording(*args, **kwargs):
        plans.append(real(*args, **kwargs))
        return plans[-1]

    monkeypatch.setattr(executor, "build_plan", recording)
    sid, token = await _session_with_messages(api)
    query = (
        "query($id: ID!) { session(id: $id) { id user { id } "
        "messages(last: 2) { edges { node { id session { id } } } } } }"
    )
    await api.data(query, {"id": sid}, token)
    assert plans and all(p is not None for p in plans)


# --- Mutation payloads that keep a client cache true -----------------------------------

HINT = "mutation($id: ID!) { requestHint(id: $id) { text hintsUsed exercise { id hintsUsed } } }"


async def test_a_hint_returns_the_exercise_as_it_stands(api):
    user, token = await api.user()
    await _exercises(api, user["_id"], 1)
    eid = (await api.data("{ me { exercises { edges { node { id } } } } }", token=token))["me"][
        "exercises"
    ]["edges"][0]["node"]["id"]
    for used in (1, 2, 3, 3):  # the last one repeats the last hint
        hint = (await api.data(HINT, {"id": eid}, token))["requestHint"]
        assert hint["hintsUsed"] == used
        assert hint["exercise"] == {"id": eid, "hintsUsed": used}


async def test_new_sessions_and_messages_come_with_their_edge_in_the_connection(api):
    _, token = await api.user()
    started = await api.data(
        'mutation { startSession(input: {topic: "t"}) { id edge { cursor node { id } } } }',
        token=token,
    )
    session = started["startSession"]
    assert session["edge"]["node"]["id"] == session["id"]
    listed = (await api.data("{ me { sessions { edges { cursor node { id } } } } }", token=token))[
        "me"
    ]["sessions"]["edges"]
    assert listed == [session["edge"]]
    record = (
        "mutation($in: RecordMessageInput!) { recordMessage(input: $in) { id "
        "edge { cursor node { id content } } } }"
    )
    message = (
        await api.data(
            record, {"in": {"sessionId": session["id"], "role": "USER", "content": "hola"}}, token
        )
    )["recordMessage"]
    page = (
        await api.data(
            "query($id: ID!) { session(id: $id) { messages(last: 1) { edges { cursor node { id content } } } } }",
            {"id": session["id"]},
            token,
        )
    )["session"]["messages"]["edges"]
    assert page == [message["edge"]]


async def test_a_bad_id_is_refused_naming_the_argument_it_came_in(api):
    """`node(id: "")` named `ids`, an argument `node` does not have."""
    _, token = await api.user()
    one = await api.gql('{ node(id: "") { id } }', token=token)
    assert one.json()["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "id"}
    many = await api.gql('{ nodes(ids: ["ok", ""]) { id } }', token=token)
    assert many.json()["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "ids"}
