"""The embedded database's lookups (models/embedded/collection.py): the same documents as
mongomock's full scan, at a cost that does not grow with the collection on every write.

Before, each recordMessage scanned the outbox (`session_events`) with mongomock's generic
matcher three ways (the published mark's `_id $in`, the unique index check of the insert,
the TTL check of every access): ~19 ms of CPU per write after 1,000 writes, growing, so
the embedded database topped out near 35 writes/s (bench W5). Since: ~5 ms.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import mongomock
import mongomock.collection
import pytest

from models.embedded import collection as embedded

DOCS = [
    {"_id": 10, "a": 2.0, "b": "y"},
    {"_id": 11, "a": [2, 3], "b": "z"},
    {"_id": 1, "a": 1, "b": "y"},
    {"_id": 2, "a": 1.0, "b": "y"},
    {"_id": 3, "a": True, "b": "y"},
    {"_id": 4, "a": [1, 2], "b": "y"},
    {"_id": 5, "b": "y"},
    {"_id": 6, "a": "1", "b": "z"},
    {"_id": 7, "a": {"x": 1}, "b": "y"},
    {"_id": 8, "a": None, "b": "y"},
    {"_id": "k", "a": 2, "b": ["y", "z"]},
]
FILTERS = [
    {"a": 1},
    {"a": "1"},
    {"a": 2},
    {"a": 1, "b": "y"},
    {"b": "z"},
    {"b": "y", "a": 2},
    {"_id": 3},
    {"_id": "k", "a": 2},
    {"_id": {"$in": [7, 1, 4]}},
    {"_id": {"$in": [7, 1, 4]}, "a": 1},
    {"_id": {"$in": ["k", 99]}},
    {"_id": {"$in": [3, 3]}},
    {"a": True},
    {"a": {"$in": [1, "1"]}},
    {"a": {"$in": [2]}, "b": "z"},
]


def _collection() -> mongomock.Collection:
    coll = mongomock.MongoClient().db.things
    coll.insert_many([dict(d) for d in DOCS])
    return coll


@pytest.mark.parametrize("query", FILTERS, ids=str)
def test_the_fast_paths_find_what_a_full_scan_finds_in_the_same_order(query):
    coll = _collection()
    assert list(coll._iter_documents(query)) == list(embedded._scan(coll, query))


def count_matcher_calls(monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """How often mongomock's matcher runs from now on (documents it is handed)."""
    calls = 0
    generic = mongomock.collection.filter_applies

    def counted(*a, **k):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return generic(*a, **k)

    monkeypatch.setattr(mongomock.collection, "filter_applies", counted)
    monkeypatch.setattr(embedded, "filter_applies", counted)
    return lambda: calls


@pytest.mark.slow
def test_a_write_to_the_outbox_matches_only_its_sessions_documents(monkeypatch):
    """The unique (session_id, seq) check of an insert and the published mark (`_id $in`)
    that every recordMessage sends: mongomock's matcher sees the session's documents,
    not the whole collection (2,000 calls each before)."""
    coll = mongomock.MongoClient().db.session_events
    coll.create_index([("session_id", 1), ("seq", 1)], unique=True)
    coll.insert_many([{"_id": f"e{i}", "session_id": f"s{i % 50}", "seq": i} for i in range(2000)])
    calls = count_matcher_calls(monkeypatch)
    coll.insert_one({"_id": "new", "session_id": "s1", "seq": 5000, "published": False})
    coll.update_many({"_id": {"$in": ["new"]}, "published": False}, {"$set": {"published": True}})
    assert calls() < 200
    assert coll.find_one({"_id": "new"})["published"] is True  # type: ignore[index]
    with pytest.raises(mongomock.DuplicateKeyError):
        coll.insert_one({"session_id": "s1", "seq": 5000})


@pytest.mark.slow
def test_a_long_sessions_outbox_insert_matches_only_its_own_seq(monkeypatch):
    """One session's events all share its id: the unique check's `seq` narrows them."""
    coll = mongomock.MongoClient().db.session_events
    coll.create_index([("session_id", 1), ("seq", 1)], unique=True)
    coll.insert_many([{"session_id": "s1", "seq": i} for i in range(2000)])
    calls = count_matcher_calls(monkeypatch)
    coll.insert_one({"session_id": "s1", "seq": 2000})
    assert calls() < 20


def test_expired_documents_are_removed_by_a_pass_per_monitor_interval(monkeypatch):
    coll = mongomock.MongoClient().db.events
    coll.create_index([("at", 1)], expireAfterSeconds=60)
    now = mongomock.utcnow()  # type: ignore[attr-defined]
    coll.insert_many([{"_id": i, "at": now} for i in range(100)])
    passes = 0
    expire_now = embedded._expire_now

    def counted(store):  # type: ignore[no-untyped-def]
        nonlocal passes
        passes += 1
        expire_now(store)

    monkeypatch.setattr(embedded, "_expire_now", counted)
    for i in range(50):
        assert coll.find_one({"_id": i}) is not None
    assert passes <= 1  # not a scan of every document on every read
    coll.insert_one({"_id": "old", "at": now - timedelta(minutes=2)})
    coll._store._ttl_next_pass = 0.0  # the monitor's next pass is due
    assert coll.find_one({"_id": "old"}) is None
    assert coll.count_documents({}) == 100
