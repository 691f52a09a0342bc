"""progress reads what it needs, whatever the learner's history (issue 28).

One default `progress` for a learner with 100k messages and 10k exercises read 58k-86k
documents: its filters had fields the indexes did not hold (the role of a message,
whether it has errors, an exercise's status), so every reply, every utterance without
errors and every skipped exercise in the windows was read to be thrown away.

The embedded database has no query planner, so this test plays a simple one over the
indexes the models declare (`models/documents/`): for each query progress sends, the
index that reads the fewest documents given the equality prefix and the one range its
keys serve (and its partial filter, when the query implies it), in index order up to a
`limit` when the index gives the sort. What it reads beyond the documents the query
matches is what an index failed to serve.
"""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from typing import Any

import pytest
from mongomock.filtering import filter_applies

from models.documents import DOCUMENT_MODELS, utcnow
from models.driver_calls import CollectionProxy, CursorProxy

PROGRESS = "{ progress { points { messages errors exercisesAttempted } skills { category } } }"
RANGE_OPS = {"$gt", "$gte", "$lt", "$lte"}


def declared_indexes() -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for model in DOCUMENT_MODELS:
        settings = model.Settings
        out[settings.name] = [
            {**i.document, "key": list(i.document["key"].items())}
            for i in getattr(settings, "indexes", [])
        ] + [{"key": [("_id", 1)], "name": "_id_"}]
    return out


def _implied(query: dict[str, Any], partial: dict[str, Any]) -> bool:
    for field, want in partial.items():
        got = query.get(field)
        if got == want:
            continue
        if want == {"$exists": True} and isinstance(got, dict) and RANGE_OPS & got.keys():
            continue  # a range on the field implies it exists
        return False
    return True


def _bound(query: dict[str, Any], keys: list[tuple[str, int]]) -> tuple[dict[str, Any], int]:
    """The part of `query` the index's bounds serve, and how many leading keys are
    equalities or `$in` points (the sort the index then gives follows them: a SORT_MERGE
    of the points' ranges)."""
    served: dict[str, Any] = {}
    equalities = 0
    for field, _ in keys:
        if field not in query:
            break
        cond = query[field]
        served[field] = cond
        if isinstance(cond, dict) and RANGE_OPS & cond.keys():
            break
        equalities += 1  # an `$in` too: one point per value, merged in key order
    return served, equalities


def examined(
    docs: list[dict[str, Any]],
    indexes: list[dict[str, Any]],
    query: dict[str, Any],
    sort: list[tuple[str, int]] | None,
    limit: int | None,
) -> int:
    best: int | None = None
    for index in indexes:
        partial = index.get("partialFilterExpression") or {}
        if partial and not _implied(query, partial):
            continue
        served, equalities = _bound(query, index["key"])
        if not served:
            continue
        candidates = [d for d in docs if filter_applies(partial, d) and filter_applies(served, d)]
        rest = index["key"][equalities:]
        if sort and limit and [f for f, _ in rest[: len(sort)]] == [f for f, _ in sort]:
            field, direction = sort[0]
            candidates.sort(key=lambda d: d.get(field), reverse=direction < 0)
            n = found = 0
            for d in candidates:
                n += 1
                found += filter_applies(query, d)
                if found >= limit:
                    break
        else:
            n = len(candidates)
        best = n if best is None else min(best, n)
    return best if best is not None else len(docs)  # no index: a collection scan


class _Recorded(CursorProxy):
    def __init__(self, cursor: Any, call: dict[str, Any]) -> None:
        super().__init__(cursor)
        self._call = call

    def __getattr__(self, name: str) -> Any:
        if name in ("sort", "limit"):
            chain = super().__getattr__(name)

            def record(*a: Any, **k: Any) -> Any:
                self._call[name] = a[0]
                return chain(*a, **k)

            return record
        return super().__getattr__(name)


class _Recorder(CollectionProxy):
    calls: list[dict[str, Any]] = []

    def _open(self, name: str, method: Any, a: tuple[Any, ...], k: dict[str, Any]) -> Any:
        call = {"collection": self.name, "query": a[0] if a else k.get("filter", {})}
        self.calls.append(call)
        return _Recorded(method(*a, **k), call)

    async def _call(self, name: str, method: Any, a: tuple[Any, ...], k: dict[str, Any]) -> Any:
        if name == "aggregate":
            pipeline = a[0] if a else k["pipeline"]
            self.calls.append({"collection": self.name, "query": pipeline[0].get("$match", {})})
        elif name in ("find_one", "count_documents"):
            self.calls.append({"collection": self.name, "query": a[0] if a else {}, "limit": 1})
        return await method(*a, **k)


async def _history(db: Any, user_id: str, messages: int, exercises: int) -> None:
    """A learner's history over the last 170 days: replies and utterances, one in twenty
    with an error; completed and skipped exercises."""
    rng = random.Random(messages)
    now = utcnow()
    sid = str(uuid.uuid4())
    docs = []
    for i in range(messages):
        user = i % 2 == 0
        docs.append(
            {
                "_id": str(uuid.uuid4()),
                "session_id": sid,
                "user_id": user_id,
                "role": "user" if user else "assistant",
                "content": "x",
                "timestamp": now - timedelta(days=rng.uniform(0, 170)),
                "errors": [{"category": "Grammar", "subcategory": "Articles"}]
                if user and rng.random() < 0.1
                else [],
                "applied": True,
            }
        )
    await db.messages.insert_many(docs)
    await db.exercises.insert_many(
        [
            {
                "_id": str(uuid.uuid4()),
                "user_id": user_id,
                "category": "Grammar",
                "subcategory": "Articles",
                "status": "completed" if i % 3 else "skipped",
                "correct": i % 2 == 0,
                "outcome": "correct" if i % 2 == 0 else "incorrect",
                "attempts": 1,
                "difficulty": 1,
                "created_at": now - timedelta(days=rng.uniform(0, 360)),
                "completed_at": now - timedelta(days=rng.uniform(0, 360)),
            }
            for i in range(exercises)
        ]
    )


async def _reads(api: Any, messages: int, exercises: int) -> tuple[int, int]:
    """(documents the planner reads, documents the queries match) for one progress."""
    db = api.services.db
    user, token = await api.user()
    await _history(db, user["_id"], messages, exercises)
    _Recorder.calls = []
    with db.wrapped(_Recorder):
        assert (await api.data(PROGRESS, token=token))["progress"]["points"]
    indexes = declared_indexes()
    read = needed = 0
    for call in _Recorder.calls:
        if call["collection"] not in ("messages", "exercises"):
            continue
        docs = [d async for d in db.collection(call["collection"]).find({})]
        sort = call.get("sort")
        limit = call.get("limit")
        n = examined(docs, indexes[call["collection"]], call["query"], sort, limit)
        matched = sum(filter_applies(call["query"], d) for d in docs)
        m = min(matched, limit) if limit else matched
        read += n
        needed += m
    return read, needed


@pytest.mark.slow
async def test_progress_reads_only_the_documents_it_counts(api):
    """1,600 messages and 480 exercises: every document read is one the answer counts
    (before: every reply, error-free utterance and skipped exercise of the windows too,
    several times what was needed)."""
    read, needed = await _reads(api, messages=1_600, exercises=480)
    assert needed > 0
    assert read == needed, (read, needed)
