"""The embedded database's lookups (models/embedded/collection.py): the same documents as
mongomock's full scan, at a cost that does not grow with the collection on every write.

Before, each recordMessage scanned the outbox (`session_events`) with mongomock's generic
matcher three ways (the published mark's `_id $in`, the unique index check of the insert,
the TTL check of every access): ~19 ms of CPU per write after 1,000 writes, growing, so
the embedded database topped out near 35 writes/s (bench W5).
"""

from __future__ import annotations

from datetime import timedelta

import mongomock
import mongomock.collection
import pytest

from models.embedded import collection as embedded

DOCS = [
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
]


def _collection() -> mongomock.Collection:
    coll = mongomock.MongoClient().db.things
    coll.insert_many([dict(d) for d in DOCS])
    return coll


@pytest.mark.parametrize("query", FILTERS, ids=str)
def test_the_fast_paths_find_what_a_full_scan_finds_in_the_same_order(query):
    coll = _collection()
    assert list(coll._iter_documents(query)) == list(embedded._scan(coll, query))


def test_an_insert_checks_its_unique_index_without_matching_every_document(monkeypatch):
    coll = mongomock.MongoClient().db.session_events
    coll.create_index([("session_id", 1), ("seq", 1)], unique=True)
    coll.insert_many([{"session_id": f"s{i % 50}", "seq": i} for i in range(2000)])
    calls = 0
    generic = mongomock.collection.filter_applies

    def counted(*a, **k):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return generic(*a, **k)

    monkeypatch.setattr(mongomock.collection, "filter_applies", counted)
    monkeypatch.setattr(embedded, "filter_applies", counted)
    coll.insert_one({"session_id": "s1", "seq": 5000})
    coll.update_many({"_id": {"$in": [coll.find_one({"seq": 7})["_id"]]}}, {"$set": {"p": 1}})
    assert calls < 20
    with pytest.raises(mongomock.DuplicateKeyError):
        coll.insert_one({"session_id": "s1", "seq": 5000})


def test_expired_documents_vanish_within_a_second_without_a_scan_per_access(monkeypatch):
    coll = mongomock.MongoClient().db.events
    coll.create_index([("at", 1)], expireAfterSeconds=60)
    now = mongomock.utcnow()
    coll.insert_many([{"_id": i, "at": now} for i in range(100)])
    coll.insert_one({"_id": "old", "at": now - timedelta(minutes=2)})
    assert coll.find_one({"_id": "old"}) is None  # expired when written: gone at once
    scans = 0
    expire_all = embedded._expire_all

    def counted(store):  # type: ignore[no-untyped-def]
        nonlocal scans
        scans += 1
        expire_all(store)

    monkeypatch.setattr(embedded, "_expire_all", counted)
    for i in range(50):
        assert coll.find_one({"_id": i}) is not None
    assert scans <= 1
    monkeypatch.setattr(mongomock, "utcnow", lambda: now + timedelta(minutes=2))
    assert coll.find_one({"_id": 3}) is None
    assert coll.count_documents({}) == 0
