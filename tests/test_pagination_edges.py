"""A page's edges are its rows unless the client selects an edge `cursor`
(schema/pagination.py, selects_cursor): then no object is made per row. Wherever a
cursor is selected (directly, under an alias, in a named or inline fragment, in nested
fragments, under a directive) every edge carries the cursor the page gives, and the
pageInfo cursors are the same with or without edge cursors."""

from __future__ import annotations

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
