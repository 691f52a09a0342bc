"""A page's edges are its rows unless the client selects an edge `cursor`
(schema/pagination.py, selects_cursor): then no object is made per row. Wherever a
cursor is selected (directly, under an alias, in a named or inline fragment, in nested
fragments, under a directive) every edge carries the cursor the page gives, and the
pageInfo cursors are the same with or without edge cursors."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo.errors import OperationFailure

from models.rows import Row
from resolvers.dataloaders import PageKey
from resolvers.pagination import Edge
from tests.test_learner_api import start

PAGE = (
    "query($id: ID!, $after: String) "
    "{ session(id: $id) { messages(first: 3, after: $after) { %s } } } %s"
)
REFERENCE = PAGE % ("pageInfo { startCursor endCursor } edges { cursor node { id } }", "")
# (the connection's selection, fragments after the operation)
EDGE_SELECTIONS = {
    "direct": ("edges { cursor node { id } }", ""),
    "alias": ("edges { c: cursor node { id } }", ""),
    "named fragment on the edge": (
        "edges { ...E node { id } }",
        "fragment E on MessageEdge { cursor }",
    ),
    "inline fragment": ("edges { ... on MessageEdge { cursor } node { id } }", ""),
    "fragment on the connection": (
        "...C",
        "fragment C on MessageConnection { edges { cursor node { id } } }",
    ),
    "nested fragments": (
        "...C",
        "fragment C on MessageConnection { ...D } "
        "fragment D on MessageConnection { edges { ...E node { id } } } "
        "fragment E on MessageEdge { cursor }",
    ),
    "under @include": ("edges { cursor @include(if: true) node { id } }", ""),
}


async def _session_with_messages(api, n: int = 7) -> tuple[str, str]:
    user, token = await api.user()
    session = await start(api, token, user["_id"])
    stamp = datetime(2026, 5, 1, tzinfo=UTC)
    await api.services.db.messages.insert_many(
        [
            {
                "_id": f"m-{i:02d}",
                "session_id": session["id"],
                "user_id": user["_id"],
                "role": "user",
                "content": f"c{i}",
                "timestamp": stamp + timedelta(seconds=i // 2),  # ties, ordered by id
                "errors": [],
                "applied": True,
            }
            for i in range(n)
        ]
    )
    return session["id"], token


@pytest.mark.parametrize("name", list(EDGE_SELECTIONS))
async def test_every_selected_edge_cursor_is_there_and_pages(api, name):
    sid, token = await _session_with_messages(api)
    want = (await api.data(REFERENCE, {"id": sid}, token))["session"]["messages"]
    got = (await api.data(PAGE % EDGE_SELECTIONS[name], {"id": sid}, token))["session"]["messages"]
    cursors = [e.get("cursor", e.get("c")) for e in got["edges"]]
    assert cursors == [e["cursor"] for e in want["edges"]]
    assert all(cursors)
    # and each cursor pages on from its edge
    after = cursors[1]
    rest = (await api.data(REFERENCE, {"id": sid, "after": after}, token))["session"]["messages"]
    assert [e["node"]["id"] for e in rest["edges"]] == ["m-02", "m-03", "m-04"]


async def test_page_info_cursors_do_not_need_edge_cursors(api):
    sid, token = await _session_with_messages(api)
    without = PAGE % ("pageInfo { startCursor endCursor } edges { node { id } }", "")
    a = (await api.data(REFERENCE, {"id": sid}, token))["session"]["messages"]
    b = (await api.data(without, {"id": sid}, token))["session"]["messages"]
    assert a["pageInfo"] == b["pageInfo"]
    assert a["pageInfo"]["startCursor"] == a["edges"][0]["cursor"]
    assert a["pageInfo"]["endCursor"] == a["edges"][-1]["cursor"]
    assert [e["node"] for e in a["edges"]] == [e["node"] for e in b["edges"]]


async def test_a_page_without_cursors_makes_no_edge_objects(api):
    sid, _ = await _session_with_messages(api)
    loaders = api.services.new_loaders()
    [bare] = await loaders.messages_by_session.load_many([PageKey(sid, 3, cursors=False)])
    [edged] = await loaders.messages_by_session.load_many([PageKey(sid, 3)])
    assert [type(e) for e in bare.edges] == [Row] * 3
    assert all(isinstance(e, Edge) for e in edged.edges)
    assert [e["_id"] for e in bare.edges] == [e.node["_id"] for e in edged.edges]


def _huge_message(session_id: str, user_id: str, i: int) -> dict[str, Any]:
    """What recordMessage accepts at most, in 4-byte characters: 10,000 of content and 20
    errors with three 2,000-character texts each, ~520 KB of BSON."""
    text = "😀" * 2000
    return {
        "_id": f"h-{i:02d}",
        "session_id": session_id,
        "user_id": user_id,
        "role": "user",
        "content": "😀" * 10_000,
        "timestamp": datetime(2026, 5, 1, tzinfo=UTC) + timedelta(seconds=i),
        "errors": [
            {
                "category": "grammar",
                "subcategory": "tense",
                "excerpt": text,
                "correction": text,
                "explanation": text,
            }
            for _ in range(20)
        ],
        "applied": True,
    }


async def test_a_page_too_large_for_one_document_still_loads(api):
    """Page branches group their rows into one document on the server; a server refuses
    to return a document over 16 MB (the embedded adapter too). A learner can fill a
    page past that, and the page (and every other page read in the same batch) must
    still load, row by row."""
    user, token = await api.user()
    big = (await start(api, token, user["_id"], topic="big"))["id"]
    small = (await start(api, token, user["_id"], topic="small"))["id"]
    db = api.services.db
    await db.messages.insert_many([_huge_message(big, user["_id"], i) for i in range(35)])
    await db.messages.insert_many(
        [
            {**_huge_message(small, user["_id"], i), "_id": f"s-{i}", "content": "hi", "errors": []}
            for i in range(3)
        ]
    )
    with pytest.raises(OperationFailure) as refused:  # what a server answers to one group
        cursor = await db.messages.aggregate(
            [
                {"$match": {"session_id": big}},
                {"$group": {"_id": None, "rows": {"$push": "$$ROOT"}}},
            ]
        )
        await cursor.to_list(None)
    assert refused.value.code == 10334
    one = "query($id: ID!) { session(id: $id) { messages(first: 40) { totalCount edges { node { id } } } } }"
    page = (await api.data(one, {"id": big}, token))["session"]["messages"]
    assert page["totalCount"] == 35
    assert [e["node"]["id"] for e in page["edges"]] == [f"h-{i:02d}" for i in range(35)]
    both = "{ me { sessions { edges { node { topic messages(first: 40) { edges { cursor node { id } } } } } } } }"
    sessions = (await api.data(both, token=token))["me"]["sessions"]["edges"]
    by_topic = {s["node"]["topic"]: s["node"]["messages"]["edges"] for s in sessions}
    assert [e["node"]["id"] for e in by_topic["big"]] == [f"h-{i:02d}" for i in range(35)]
    assert [e["node"]["id"] for e in by_topic["small"]] == ["s-0", "s-1", "s-2"]
    assert all(e["cursor"] for e in by_topic["big"])


# --- A cursor belongs to the connection that issued it ---------------------------------

# Every connection as an admin reads it: (query taking $p, the parent, and the paging
# arguments; path to the connection). `$p` is the parent's id (unused by root connections).
ADMIN_CONNECTIONS = {
    "Session.messages": (
        "session(id: $p) { messages(%s) { %s } }",
        ("session", "messages"),
    ),
    "User.sessions": ("user(id: $p) { sessions(%s) { %s } }", ("user", "sessions")),
    "User.exercises": ("user(id: $p) { exercises(%s) { %s } }", ("user", "exercises")),
    "Query.dueExercises": ("dueExercises(userId: $p, %s) { %s }", ("dueExercises",)),
    "Query.users": ("users(%s) { %s } _p: node(id: $p) { id }", ("users",)),
    "Query.apiClients": ("apiClients(%s) { %s } _p: node(id: $p) { id }", ("apiClients",)),
}
ARGS = "first: $first, after: $after, last: $last, before: $before"
PAGE_SELECTION = "edges { cursor node { id } } pageInfo { startCursor endCursor }"


def _connection_query(name: str) -> str:
    body, _ = ADMIN_CONNECTIONS[name]
    return (
        "query($p: ID!, $first: Int, $after: String, $last: Int, $before: String) { "
        + body % (ARGS, PAGE_SELECTION)
        + " }"
    )


class Connections:
    """Two learners with sessions, messages and due exercises, API clients, and an admin
    who reads every connection of either learner."""

    def __init__(self, api: Any, admin: str, learners: list[str], sessions: list[list[str]]):
        self.api, self.admin, self.learners, self.sessions = api, admin, learners, sessions

    def parent(self, name: str, other: bool = False) -> str:
        learner = self.learners[1 if other else 0]
        if name == "Session.messages":
            return self.sessions[1 if other else 0][0]
        return learner

    async def page(self, name: str, other: bool = False, **args: Any) -> Any:
        response = await self.api.gql(
            _connection_query(name), {"p": self.parent(name, other), **args}, token=self.admin
        )
        return response.json()

    async def edges(self, name: str, other: bool = False, **args: Any) -> list[dict[str, Any]]:
        body = await self.page(name, other, **args)
        assert "errors" not in body, body
        data = body["data"]
        for key in ADMIN_CONNECTIONS[name][1]:
            data = data[key]
        return data["edges"]  # type: ignore[no-any-return]

    async def cursor(self, name: str, other: bool = False) -> str:
        """A cursor from the middle of the connection (the second row)."""
        return str((await self.edges(name, other, first=3))[1]["cursor"])


async def _connections(api: Any) -> Connections:
    from tests.factories import conversations
    from tests.test_relay import _exercises

    _, admin = await api.admin()
    learners = await conversations(api.services.db, users=2, sessions=3, messages=4)
    for learner in learners:
        await _exercises(api, learner, 4)
    for i in range(3):
        await api.tutor(f"tutor-{i}")
    sessions = [
        [s["_id"] async for s in api.services.db.sessions.find({"user_id": u}).sort("_id", 1)]
        for u in learners
    ]
    return Connections(api, admin, learners, sessions)


def _refusal(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("errors"), body
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    return error  # type: ignore[no-any-return]


async def test_a_cursor_of_another_connection_is_refused_naming_it_and_the_argument(api):
    """Every connection sorts by a date, so a bare (date, id) cursor of one read as a
    position in any other: a messages cursor given to `sessions` paged by a message's
    timestamp, silently."""
    c = await _connections(api)
    cursors = {name: await c.cursor(name) for name in ADMIN_CONNECTIONS}
    for target in ADMIN_CONNECTIONS:
        # its own cursor pages on, both ways
        assert await c.edges(target, first=2, after=cursors[target])
        assert await c.edges(target, last=2, before=cursors[target])
        for source, cursor in cursors.items():
            if source == target:
                continue
            for args, field in (
                ({"first": 2, "after": cursor}, "after"),
                ({"last": 2, "before": cursor}, "before"),
            ):
                error = _refusal(await c.page(target, **args))
                assert error["extensions"]["field"] == field, (source, target, error)
                assert source in error["message"] and target in error["message"], error


async def test_a_cursor_of_another_parents_connection_is_refused(api):
    """Session A's messages cursor given to session B's messages paged B by A's
    timestamps; the same for one learner's sessions, exercises and review queue given to
    another learner's."""
    c = await _connections(api)
    for name in ("Session.messages", "User.sessions", "User.exercises", "Query.dueExercises"):
        theirs = await c.cursor(name, other=True)
        for args, field in (
            ({"after": theirs}, "after"),
            ({"last": 1, "before": theirs}, "before"),
        ):
            error = _refusal(await c.page(name, **args))
            assert error["extensions"]["field"] == field
            assert "another" in error["message"] and name in error["message"], error


async def test_a_nested_connection_refuses_a_cursor_of_another_parent(api):
    """`sessions { messages(after:) }` checks the cursor against each session it pages."""
    c = await _connections(api)
    first_session = await c.cursor("Session.messages")
    query = (
        "query($u: ID!, $after: String) { user(id: $u) { sessions { edges { node { id "
        "messages(first: 2, after: $after) { edges { node { id } } } } } } } }"
    )
    body = (
        await c.api.gql(query, {"u": c.learners[0], "after": first_session}, token=c.admin)
    ).json()
    errors = body["errors"]
    assert errors and {e["extensions"]["field"] for e in errors} == {"after"}
    assert {e["extensions"]["code"] for e in errors} == {"BAD_USER_INPUT"}


async def test_a_bad_before_cursor_is_refused_as_before(api):
    """Errors named `after` whichever argument the cursor came in."""
    c = await _connections(api)
    for name in ADMIN_CONNECTIONS:
        error = _refusal(await c.page(name, last=2, before="not-a-cursor"))
        assert error["extensions"]["field"] == "before", (name, error)
        assert "'before'" in error["message"]


def _forged(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def _legacy(cursor: str) -> str:
    """The cursor of the same row in the format before cursors named their connection:
    ["d", date, id] (a cursor ends with those three, whichever its format)."""
    decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    return _forged(decoded[-3:])


def _row_id(cursor: str) -> str:
    return str(json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))[-1])


TAMPERED = {
    "arbitrary JSON": {"hello": "world"},
    "a JSON string": "cursor",
    "a date where the order sorts by dates, as a number": [
        "User.sessions:-started_at",
        None,
        "d",
        1767225600,
        "x",
    ],
    "an operator for the value": ["User.sessions:-started_at", None, "v", {"$ne": None}, "x"],
    "an operator for the id": [
        "User.sessions:-started_at",
        None,
        "d",
        "2026-01-01T00:00:00+00:00",
        {"$gt": ""},
    ],
    "an operator for the parent": [
        "User.sessions:-started_at",
        {"$ne": None},
        "d",
        "2026-01-01T00:00:00+00:00",
        "x",
    ],
    "a number for the order": [7, None, "d", "2026-01-01T00:00:00+00:00", "x"],
    "an unknown order": ["Query.secrets:+at", None, "d", "2026-01-01T00:00:00+00:00", "x"],
    "an empty id": ["User.sessions:-started_at", None, "d", "2026-01-01T00:00:00+00:00", ""],
    # a date whose offset takes it out of range: an OverflowError in the driver, INTERNAL
    "a date past the end of time": ["d", "9999-12-31T23:59:59-14:00", "x"],
    "a date before the start of time": ["d", "0001-01-01T00:00:00+14:00", "x"],
    "a date that is not one": ["d", "2026-13-45T99:00:00", "x"],
    "four items": ["d", "2026-01-01T00:00:00+00:00", "x", "y"],
}


@pytest.mark.parametrize("name", list(TAMPERED))
async def test_a_tampered_cursor_is_bad_user_input_on_every_connection(api, name):
    c = await _connections(api)
    cursor = _forged(TAMPERED[name])
    for target in ADMIN_CONNECTIONS:
        for args, field in (
            ({"after": cursor}, "after"),
            ({"last": 2, "before": cursor}, "before"),
        ):
            body = await c.page(target, **args)
            error = _refusal(body)
            assert error["extensions"]["field"] == field, (target, error)


async def test_an_over_long_cursor_is_refused_saying_so(api):
    c = await _connections(api)
    real = await c.cursor("Session.messages")
    error = _refusal(await c.page("Session.messages", after=real + "A" * 600))
    assert error["extensions"]["field"] == "after"
    assert "at most 512 characters" in error["message"]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"first": 2, "last": 2}, "last"),
        ({"first": 2, "before": "x"}, "before"),
        ({"after": "x", "last": 2}, "last"),
        ({"first": -1}, "first"),
        ({"last": -1}, "last"),
        ({"first": 101}, "first"),
        ({"last": 2**31 - 1}, "last"),
        ({"first": 2**31 - 1}, "first"),
    ],
)
async def test_bad_page_sizes_are_refused_naming_the_argument_on_every_connection(api, args, field):
    c = await _connections(api)
    for name in ADMIN_CONNECTIONS:
        error = _refusal(await c.page(name, **args))
        assert error["extensions"]["field"] == field, (name, error)


async def test_cursors_issued_before_they_named_their_connection_still_page_there(api):
    """Clients hold cursors of the old format (a bare (date, id)) in caches and URLs: each
    still pages the connection it came from, both ways, and is refused by any other (and
    by the same connection of another parent), as its row tells."""
    c = await _connections(api)
    legacy = {name: _legacy(await c.cursor(name)) for name in ADMIN_CONNECTIONS}
    for name, cursor in legacy.items():
        new = await c.cursor(name)
        assert await c.edges(name, first=2, after=cursor) == await c.edges(name, first=2, after=new)
        assert await c.edges(name, last=2, before=cursor) == await c.edges(name, last=2, before=new)
        for target in ADMIN_CONNECTIONS:
            if target == name:
                continue
            error = _refusal(await c.page(target, first=2, after=cursor))
            assert error["extensions"]["field"] == "after"
            assert "earlier version" in error["message"], error
    for name in ("Session.messages", "User.sessions", "User.exercises", "Query.dueExercises"):
        theirs = _legacy(await c.cursor(name, other=True))
        error = _refusal(await c.page(name, last=2, before=theirs))
        assert error["extensions"]["field"] == "before"


async def test_an_old_cursor_whose_row_is_gone_is_refused_not_guessed(api):
    """Its row was all that could tell which connection it came from."""
    c = await _connections(api)
    cursor = await c.cursor("User.sessions")
    await api.services.db.sessions.delete_one({"_id": _row_id(cursor)})
    error = _refusal(await c.page("User.sessions", after=_legacy(cursor)))
    assert error["extensions"]["field"] == "after"


async def test_a_cursor_keeps_paging_when_the_filters_change(api):
    """A filter narrows the rows of one order: the cursor's position means the same."""
    c = await _connections(api)
    cursor = await c.cursor("User.sessions")
    query = (
        "query($u: ID!, $after: String) { user(id: $u) { "
        "sessions(first: 5, after: $after, status: COMPLETED) { edges { node { id } } } } }"
    )
    body = (await c.api.gql(query, {"u": c.learners[0], "after": cursor}, token=c.admin)).json()
    assert "errors" not in body, body
    assert len(body["data"]["user"]["sessions"]["edges"]) == 1


async def test_the_edge_of_a_new_session_and_message_pages_their_connection(api):
    """startSession's and recordMessage's `edge { cursor }` are cursors of User.sessions
    and Session.messages of their own parent."""
    _, token = await api.user()
    started = await api.data(
        'mutation { startSession(input: {topic: "t"}) { id edge { cursor } } }', token=token
    )
    sid = started["startSession"]["id"]
    sessions = "query($a: String) { me { sessions(after: $a) { edges { node { id } } } } }"
    assert (await api.data(sessions, {"a": started["startSession"]["edge"]["cursor"]}, token))[
        "me"
    ]["sessions"]["edges"] == []
    record = "mutation($in: RecordMessageInput!) { recordMessage(input: $in) { edge { cursor } } }"
    said = await api.data(record, {"in": {"sessionId": sid, "role": "USER", "content": "a"}}, token)
    cursor = said["recordMessage"]["edge"]["cursor"]
    messages = (
        "query($id: ID!, $b: String) { session(id: $id) { messages(last: 5, before: $b) "
        "{ edges { node { id } } } } }"
    )
    assert (await api.data(messages, {"id": sid, "b": cursor}, token))["session"]["messages"][
        "edges"
    ] == []
    refused = (await api.gql(sessions, {"a": cursor}, token=token)).json()
    assert _refusal(refused)["extensions"]["field"] == "after"
