"""The read path hands GraphQL the driver's documents as they are: decoded as Rows (nested
documents included), paged, ordered and wrapped in edges without a Python step per row
where C can do it, and with exactly the results the per-row code gave."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from strawberry.dataloader import DataLoader
from strawberry.exceptions import WrongNumberOfResultsReturned

from bench.replay import Replay
from models.db import connect
from models.rows import Row
from resolvers.cursors import encode_cursor
from resolvers.dataloaders import (
    COUNT_TAG,
    MESSAGE_ORDER,
    PAGE_ROWS,
    PAGE_TAG,
    PageKey,
    PageReader,
    Seen,
    _by_id_loader,
)
from resolvers.loader import BatchLoader
from resolvers.pagination import Edge, Order, build_connection
from schema.messages import Message

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _nested_classes(value: Any) -> set[type]:
    """The class of every document in `value`, however deep."""
    if isinstance(value, dict):
        return {type(value)}.union(*(_nested_classes(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_nested_classes(v) for v in value))
    return set()


async def _db_with_a_message() -> Any:
    db = await connect(None, f"t_{uuid.uuid4().hex[:8]}")
    await db.messages.insert_one(
        {
            "_id": "m1",
            "session_id": "s1",
            "timestamp": T0,
            "errors": [{"category": "grammar", "subcategory": "tense", "meta": {"n": 1}}],
        }
    )
    return db


async def test_the_embedded_rows_view_decodes_every_document_as_a_row():
    """As `CodecOptions(document_class=Row)` makes the driver do (mongomock refuses it):
    top-level and embedded documents, in arrays too, for every way of reading."""
    db = await _db_with_a_message()
    rows = db.rows("messages")
    assert rows.codec_options.document_class is Row
    assert rows.codec_options.tz_aware
    union = [
        {"$match": {"session_id": "s1"}},
        {"$unionWith": {"coll": "messages", "pipeline": [{"$match": {"_id": "none"}}]}},
    ]
    reads = {
        "find": await rows.find({"_id": "m1"}).to_list(None),
        "find (async for)": [d async for d in rows.find({"_id": "m1"})],
        "find_one": [await rows.find_one({"_id": "m1"})],
        "aggregate": await (await rows.aggregate([{"$match": {"_id": "m1"}}])).to_list(None),
        "aggregate $unionWith": await (await rows.aggregate(union)).to_list(None),
    }
    for how, docs in reads.items():
        assert len(docs) == 1, how
        assert _nested_classes(docs[0]) == {Row}, how
        assert docs[0]["timestamp"] == T0 and docs[0]["timestamp"].tzinfo is not None, how
        # Attribute access for declared fields; an undeclared key ("meta") by item only.
        assert docs[0].errors[0].category == "grammar", how
        assert docs[0].errors[0]["meta"]["n"] == 1, how
    # The plain view (and what Beanie and the write paths use) stays dicts.
    plain = await db.messages.find_one({"_id": "m1"})
    assert _nested_classes(plain) == {dict}
    assert db.messages.codec_options.document_class is dict


def test_a_row_reads_declared_fields_and_refuses_any_other_name():
    """A typo (`sesion_id`) raised nothing and read as null before: now it is an
    AttributeError naming it; a declared optional field the document leaves out is None."""
    row = Row({"_id": "m1", "session_id": "s1", "content": "Hola"})
    assert (row.id, row.session_id, row.content) == ("m1", "s1", "Hola")
    assert row.tokens_in is None and row.rating is None  # declared, not stored
    for typo in ("sesion_id", "contnet", "_type_definition", "__await__"):
        with pytest.raises(AttributeError, match=typo):
            getattr(row, typo)
        assert not hasattr(row, typo)


async def test_replay_hands_out_copies_of_the_class_it_recorded():
    db = await _db_with_a_message()
    replay = Replay()
    db.set_wrapper(replay.wrap)
    for _ in range(2):  # recorded, then replayed
        as_rows = await db.rows("messages").find({"_id": "m1"}).to_list(None)
        as_dicts = await db.messages.find({"_id": "m1"}).to_list(None)
        assert type(as_rows[0]) is Row and type(as_rows[0]["errors"][0]) is Row
        assert type(as_dicts[0]) is dict and type(as_dicts[0]["errors"][0]) is dict
    assert replay.misses == 2  # one record per view: the same read, two classes
    again = await db.rows("messages").find({"_id": "m1"}).to_list(None)
    assert again[0] == as_rows[0] and again[0] is not as_rows[0]  # a fresh top level


async def test_replay_answers_one_read_under_any_order_of_its_in_list():
    """The loaders build `$in` lists from sets, so one read arrives in any order: the
    benchmark store must answer all of them from one record with the same rows, or its
    misses would reach the database inside a measured round."""
    db = await _db_with_a_message()
    await db.messages.insert_one({"_id": "m2", "session_id": "s2", "timestamp": T0})
    replay = Replay()
    db.set_wrapper(replay.wrap)
    ids = ["m1", "m2", "none"]
    first = await db.messages.find({"_id": {"$in": ids}}).sort("_id", 1).to_list(None)
    for order in (ids[::-1], ["m2", "none", "m1"], ids):
        again = await db.messages.find({"_id": {"$in": order}}).sort("_id", 1).to_list(None)
        assert again == first and [d["_id"] for d in again] == ["m1", "m2"]
    assert replay.misses == 1
    other = await db.messages.find({"_id": {"$in": ["m2"]}}).sort("_id", 1).to_list(None)
    assert [d["_id"] for d in other] == ["m2"] and replay.misses == 2  # another read


def _row(i: int, parent: str, value: Any, missing: bool = False) -> Row:
    row = Row({"_id": f"r{i:03d}", "session_id": parent})
    if not missing:
        row["timestamp"] = value
    return row


class _FakeCollection:
    """Answers the page pipeline with prepared documents, in the order given."""

    name = "messages"

    def __init__(self, docs: list[Row]) -> None:
        self.docs = docs

    async def aggregate(self, pipeline: list[dict[str, Any]]) -> Any:
        docs = self.docs

        class Cursor:
            async def to_list(self, _n: Any) -> list[Row]:
                return [Row(d) for d in docs]

        return Cursor()


def _order_key(order: Order) -> Any:
    """MongoDB's order for (order.field, _id): a missing or null value sorts first."""

    def key(row: Row) -> tuple[bool, Any, str]:
        value = row.get(order.field)
        return (value is not None, value, row["_id"])

    return key


def _page_doc(rows: list[Row], tag: int) -> Row:
    """What a page branch returns: its rows grouped into one document, tagged."""
    return Row({"_id": None, PAGE_ROWS: rows, PAGE_TAG: tag})


async def test_pages_and_counts_find_their_keys_in_any_order():
    """The server returns one document per page (none for an empty page) and one per
    count, in whatever order $unionWith streams them: each page keeps its rows in the
    order the server grouped them, and each count lands on its parent."""
    rows = [
        [_row(10 * k + i, f"p{k}", T0 + timedelta(minutes=i)) for i in range(5)] for k in range(3)
    ]
    docs = [
        Row({"_id": "p2", "n": 7, COUNT_TAG: 0}),
        _page_doc(rows[2], 2),
        _page_doc(rows[0], 0),
        Row({"_id": "p0", "n": 5, COUNT_TAG: 0}),
    ]
    loader = PageReader(_FakeCollection(docs), "session_id", MESSAGE_ORDER, seen=Seen()).loader()
    keys = [PageKey(f"p{k}", 4, counted=True) for k in range(3)]
    conns = await loader.load_fn(keys)
    assert (
        [[e.node["_id"] for e in c.edges] for c in conns]
        == [
            [r["_id"] for r in rows[0][:4]],
            [],  # no document: no rows
            [r["_id"] for r in rows[2][:4]],
        ]
    )
    assert [c.has_next_page for c in conns] == [True, False, True]
    assert [c.total for c in conns] == [5, 0, 7]


@pytest.mark.parametrize("descending", [False, True])
async def test_pages_come_out_in_the_exact_order_with_ties_and_nulls(descending):
    """(field, _id) with a missing or null value as the smallest and ties broken by _id:
    the server's $sort, kept by $push, on the embedded database too."""
    db = await connect(None, f"t_{uuid.uuid4().hex[:8]}")
    rng = random.Random(7)
    t = [T0 + timedelta(minutes=i) for i in range(4)]
    rows = [{"_id": f"r{i:02d}", "session_id": "p0", "timestamp": t[i % 4]} for i in range(12)] + [
        {"_id": "n1", "session_id": "p0", "timestamp": None},
        {"_id": "n0", "session_id": "p0"},
    ]
    rng.shuffle(rows)
    await db.messages.insert_many(rows)
    order = Order("timestamp", descending=descending)
    loader = PageReader(db.rows("messages"), "session_id", order, seen=Seen()).loader()
    [conn] = await loader.load_fn([PageKey("p0", 20)])
    want = sorted(map(Row, rows), key=_order_key(order), reverse=descending)
    assert [e.node["_id"] for e in conn.edges] == [r["_id"] for r in want]
    assert all(PAGE_TAG not in e.node and type(e.node) is Row for e in conn.edges)


async def test_paged_rows_are_served_by_id_without_a_query():
    seen = Seen()
    rows = [[_row(i, "p0", T0 + timedelta(minutes=i)) for i in range(3)]]
    loader = PageReader(
        _FakeCollection([_page_doc(rows[0], 0)]), "session_id", MESSAGE_ORDER, seen=seen
    ).loader()
    await loader.load_fn([PageKey("p0", 10)])

    class NoQueries:
        def find(self, *_a: Any) -> Any:
            raise AssertionError("queried")

    by_id = _by_id_loader(NoQueries(), seen=seen)
    found = await by_id.load_fn(["r001", "r000"])
    assert [r["_id"] for r in found] == ["r001", "r000"]


def test_edges_read_like_attributes_and_encode_the_same_cursors():
    rows = [_row(i, "p0", T0 + timedelta(minutes=i)) for i in range(3)]
    conn = build_connection(rows, 2, MESSAGE_ORDER)
    assert [e.node for e in conn.edges] == rows[:2]
    assert [e.cursor for e in conn.edges] == [
        encode_cursor(MESSAGE_ORDER.key, "p0", r["timestamp"], r["_id"]) for r in rows[:2]
    ]
    info = conn.page_info
    assert info.has_next_page and not info.has_previous_page
    assert info.start_cursor == encode_cursor(MESSAGE_ORDER.key, "p0", rows[0]["timestamp"], "r000")
    assert info.end_cursor == encode_cursor(MESSAGE_ORDER.key, "p0", rows[1]["timestamp"], "r001")
    assert isinstance(conn.edges[0], Edge)
    empty = build_connection([], 2, MESSAGE_ORDER).page_info
    assert empty.start_cursor is None and not empty.has_next_page


def test_message_errors_are_served_as_decoded():
    resolve = next(
        f for f in Message.__strawberry_definition__.fields if f.python_name == "errors"
    ).base_resolver.wrapped_func
    decoded = [Row({"category": "grammar"})]
    assert resolve(Row({"errors": decoded})) is decoded  # no copy per error
    built = resolve(Row({"errors": [{"category": "grammar"}]}))  # a message made here
    assert [type(e) for e in built] == [Row] and built[0].category == "grammar"
    mixed = [Row({"category": "a"}), {"category": "b"}]
    served = resolve(Row({"errors": mixed}))
    assert served is not mixed and [type(e) for e in served] == [Row, Row]
    assert resolve(Row({})) == []


# Strawberry's DataLoader is the reference: every behaviour is checked on both.
LOADERS = [DataLoader, BatchLoader]


@pytest.mark.parametrize("loader_class", LOADERS)
async def test_load_many_answers_like_gather_in_key_order(loader_class):
    batches: list[list[int]] = []

    async def load_fn(keys: list[int]) -> list[int]:
        batches.append(list(keys))
        return [k * 10 for k in keys]

    loader = loader_class(load_fn=load_fn, max_batch_size=3)
    loader.prime(7, 700)
    assert await loader.load_many([1, 7, 2, 1, 3, 4]) == [10, 700, 20, 10, 30, 40]
    assert batches == [[1, 2, 3], [4]]  # cached and primed keys are not loaded again
    assert await loader.load_many([]) == []

    async def failing(keys: list[int]) -> list[int]:
        raise RuntimeError("down")

    with pytest.raises(RuntimeError, match="down"):
        await loader_class(load_fn=failing).load_many([1, 2])


@pytest.mark.parametrize("loader_class", LOADERS)
async def test_a_cancelled_load_many_cancels_its_keys_and_skips_the_query(loader_class):
    """As gather did: a request that went away (deadline) leaves no query behind."""
    calls: list[list[int]] = []

    async def load_fn(keys: list[int]) -> list[int]:
        calls.append(keys)
        return keys

    loader = loader_class(load_fn=load_fn)
    waiting = asyncio.ensure_future(loader.load_many([1, 2, 3]))
    await asyncio.sleep(0)  # the caller now waits on the first key
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert calls == []
    assert await loader.load_many([1, 2]) == [1, 2]  # cancelled keys load afresh


@pytest.mark.parametrize("loader_class", LOADERS)
async def test_loader_batches_caches_and_primes_like_strawberrys(loader_class):
    batches: list[list[str]] = []

    async def load_fn(keys: list[str]) -> list[Any]:
        batches.append(list(keys))
        return [ValueError(k) if k == "bad" else k.upper() for k in keys]

    loader = loader_class(load_fn=load_fn)
    a, b, again = loader.load("a"), loader.load("b"), loader.load("a")
    assert again is a  # one future per key
    loader.prime("b", "primed")  # still waiting in the batch not sent yet: served now
    bad = loader.load("bad")
    assert await a == "A" and await b == "primed"
    with pytest.raises(ValueError, match="bad"):
        await bad  # an exception instance fails its key only
    assert batches == [["a", "bad"]]
    assert await loader.load("a") == "A" and len(batches) == 1  # cached
    loader.clear("a")
    assert await loader.load("a") == "A" and batches[-1] == ["a"]
    loader.prime("a", "kept")
    assert await loader.load("a") == "A"  # prime does not replace without force
    loader.prime("a", "forced", force=True)
    assert await loader.load("a") == "forced"

    async def wrong(keys: list[str]) -> list[str]:
        return []

    with pytest.raises(WrongNumberOfResultsReturned):
        await loader_class(load_fn=wrong).load("x")

    uncached = loader_class(load_fn=load_fn, max_batch_size=1, cache=False)
    before = len(batches)
    assert await asyncio.gather(uncached.load("x"), uncached.load("x")) == ["X", "X"]
    assert batches[before:] == [["x"], ["x"]]


@pytest.mark.parametrize("loader_class", LOADERS)
async def test_a_batch_whose_callers_all_left_is_cancelled_in_flight(loader_class):
    started, cancelled = asyncio.Event(), []

    async def load_fn(keys: list[int]) -> list[int]:
        started.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(keys)
            raise
        return keys

    loader = loader_class(load_fn=load_fn)
    callers = [asyncio.ensure_future(loader.load(k)) for k in (1, 2)]
    await started.wait()
    callers[0].cancel()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert cancelled == []  # one caller is still waiting
    callers[1].cancel()
    await asyncio.gather(*callers, return_exceptions=True)
    for _ in range(3):
        await asyncio.sleep(0)
    assert cancelled == [[1, 2]]
