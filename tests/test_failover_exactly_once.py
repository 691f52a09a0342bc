"""Exactly once under failover (issue 28): no attempt may count a message again once another
attempt finished it, however long it was held.

Every test runs interleaved, with several `Database` handles on one embedded client acting
as replicas of one gateway, the real maintenance pass, and a frozen driver from
tests/faults.py. Time passes by moving the server's clock (and the replicas' own clocks)
forward, never by sleeping.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from pymongo.errors import AutoReconnect, WriteConcernError

from models.db import Database
from models.driver_calls import CollectionProxy
from resolvers import annotations as annotations_module
from resolvers import messages as messages_module
from resolvers import outbox as outbox_module
from resolvers.annotations import apply_annotation
from resolvers.maintenance import Maintenance
from resolvers.messages import apply_message
from resolvers.outbox import HUB_KEY
from resolvers.turns import TURNS_KEY
from tests.conftest import Api
from tests.faults import AnswerLost, Gate, HeldWrites

pytestmark = pytest.mark.interleaved

RECORD = """mutation($in: RecordMessageInput!) {
  recordMessage(input: $in) { id session { totalMessages } } }"""
ANNOTATE = """mutation($id: ID!, $k: String, $e: [LanguageErrorInput!]!) {
  annotateMessage(id: $id, idempotencyKey: $k, errors: $e) { id } }"""
RATE = """mutation($id: ID!, $r: Int!) { rateMessage(id: $id, input: {rating: $r}) { id } }"""
START = 'mutation { startSession(input: {topic: "Family", provider: "openai"}) { id } }'
PREP = {"category": "Grammar", "subcategory": "Prepositions"}
TENSE = {"category": "Grammar", "subcategory": "Verb Tense"}
N = 12


def replica(db: Database) -> Database:
    """Another gateway process's handle on the same database."""
    return Database(
        client=db.client, db=db.db, embedded=True, events=db.events, interleave=db.interleave
    )


def maintenance(db: Database) -> Maintenance:
    return Maintenance(db, 14.0, None, 3600, check_indexes=False)


class Clocks:
    """Time passing: the server's clock and every replica's own clock move together;
    `skew` moves one replica's clock alone."""

    def __init__(self, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
        self.client = api.services.db.client
        self.offset = timedelta(0)
        real = messages_module.utcnow

        def replica_now() -> Any:
            return real() + self.offset

        for module in (messages_module, annotations_module, outbox_module):
            monkeypatch.setattr(module, "utcnow", replica_now)

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)
        advance = getattr(self.client, "advance", None)
        if advance is not None:
            advance(seconds)

    def skew(self, seconds: float) -> _Skew:
        return _Skew(self, seconds)


class _Skew:
    def __init__(self, clocks: Clocks, seconds: float) -> None:
        self.clocks, self.delta = clocks, timedelta(seconds=seconds)

    def __enter__(self) -> None:
        self.clocks.offset += self.delta

    def __exit__(self, *_: Any) -> None:
        self.clocks.offset -= self.delta


@pytest.fixture
def clocks(api: Api, monkeypatch: pytest.MonkeyPatch) -> Clocks:
    return Clocks(api, monkeypatch)


class _FailAfter(CollectionProxy):
    """A primary stepping down just after the insert: every later write fails (503), the
    insert (`keep`) and the API client's lastUsedAt aside."""

    keep = "messages"

    async def _call(self, name: str, method: Any, a: tuple[Any, ...], k: dict[str, Any]) -> Any:
        if self.name not in (self.keep, "api_clients") and name in HeldWrites.WRITES:
            raise AutoReconnect("not primary (simulated stepdown)")
        return await method(*a, **k)


async def _learner(api: Api) -> tuple[str, str, str]:
    user, token = await api.user(tier="premium")
    sid = (await api.data(START, token=token))["startSession"]["id"]
    return user["_id"], token, sid


def _reply(sid: str, i: int) -> dict[str, Any]:
    return {
        "sessionId": sid,
        "role": "ASSISTANT",
        "content": f"reply {i}",
        "model": "gpt-4o",
        "tokensIn": 10,
        "tokensOut": 5,
        "cost": 0.01,
        "idempotencyKey": f"reply-{i}",
    }


async def _exact(api: Api, user_id: str, sid: str) -> None:
    """Every counter equals what the stored messages say."""
    db = api.services.db
    stored = [m async for m in db.messages.find({"session_id": sid})]
    assert all(m["applied"] for m in stored)
    replies = [m for m in stored if m["role"] == "assistant"]
    session = await db.sessions.find_one({"_id": sid})
    assert session["total_messages"] == len(stored)
    assert session["total_cost"] == pytest.approx(sum(m.get("cost") or 0 for m in stored))
    errors = Counter(e["subcategory"] for m in stored for e in m.get("errors") or [])
    got = {r["subcategory"]: r["count"] async for r in db.error_stats.find({"user_id": user_id})}
    assert +Counter(got) == errors
    daily = [r async for r in db.cost_daily.find({"user_id": user_id})]
    assert sum(r["requests"] for r in daily) == len(replies)
    assert sum(r["cost"] for r in daily) == pytest.approx(sum(m["cost"] for m in replies))
    providers = [r async for r in db.provider_daily.find({})]
    assert sum(r.get("requests", 0) for r in providers) == len(replies)
    rated = [m for m in replies if m.get("rating") is not None]
    assert sum(r.get("rated", 0) for r in providers) == len(rated)
    assert sum(r.get("rating_sum", 0) for r in providers) == sum(m["rating"] for m in rated)
    totals = [r async for r in db.cost_totals.find({"_id": {"$regex": "^D:"}})]
    assert sum(r["requests"] for r in totals) == len(replies)


# --- 1. a slow replica's maintenance pass walking a stale batch -----------------------------


async def test_a_maintenance_batch_read_before_the_retries_counts_nothing_again(
    api: Api, clocks: Clocks
) -> None:
    """Replies left half-applied by a stepdown (503 after the insert); replica A's pass reads
    them in one batch and freezes; the clients retry (same key) and rate the replies;
    replica B's pass settles them a minute later; then A thaws and walks its batch. Before
    the fix A counted every reply again (totals, costs, provider rows over by 100%)."""
    user_id, token, sid = await _learner(api)
    tutor = await api.tutor()
    db = api.services.db
    with db.wrapped(_FailAfter):
        for i in range(N):
            failed = (await api.gql(RECORD, {"in": _reply(sid, i)}, tutor)).json()
            assert failed["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    clocks.advance(31)  # older than PENDING_AFTER: the pass takes them
    a, gate = replica(db), Gate()
    a.set_wrapper(gate.wrap)
    walking = asyncio.create_task(maintenance(a).run_once())
    await gate.reached.wait()
    for i in range(N):  # the retries the README prescribes after a 503
        reply = (await api.data(RECORD, {"in": _reply(sid, i)}, tutor))["recordMessage"]
        await api.data(RATE, {"id": reply["id"], "r": 1 + i % 5}, token)
    # A minute after the retries, and after the lease of each first attempt (cut off by the
    # stepdown: it may still have a write on its way) ran out.
    clocks.advance(300)
    assert (await maintenance(replica(db)).run_once())["settled"] == N
    gate.release()
    await walking
    await _exact(api, user_id, sid)
    assert (await api.data(RECORD, {"in": _reply(sid, 0)}, tutor))["recordMessage"]["session"][
        "totalMessages"
    ] == N


async def test_an_annotation_batch_read_before_the_retries_counts_nothing_again(
    api: Api, clocks: Clocks
) -> None:
    """The same for annotateMessage: annotations left half-done by a stepdown, a frozen
    replica's pass holding them, retries finishing them, another replica settling them."""
    user_id, _, sid = await _learner(api)
    tutor = await api.tutor()
    db = api.services.db
    mids = []
    for i in range(N):
        body = {"sessionId": sid, "role": "USER", "content": f"u{i}", "errors": [PREP]}
        mids.append((await api.data(RECORD, {"in": body}, tutor))["recordMessage"]["id"])
    _FailAfter.keep = "annotations"
    try:
        with db.wrapped(_FailAfter):
            for mid in mids:
                failed = (
                    await api.gql(ANNOTATE, {"id": mid, "k": "k", "e": [TENSE]}, tutor)
                ).json()
                assert failed["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    finally:
        _FailAfter.keep = "messages"
    clocks.advance(31)
    a, gate = replica(db), Gate("error_stats")  # A froze after re-reading the first one
    a.set_wrapper(gate.wrap)
    walking = asyncio.create_task(maintenance(a).run_once())
    await gate.reached.wait()
    for mid in mids:
        await api.data(ANNOTATE, {"id": mid, "k": "k", "e": [TENSE]}, tutor)
    clocks.advance(300)
    assert (await maintenance(replica(db)).run_once())["annotations_settled"] == N
    gate.release()
    await walking
    await _exact(api, user_id, sid)


# --- 2. a write that lands late -------------------------------------------------------------


@pytest.mark.parametrize("kind", ["message", "annotation"])
async def test_a_write_landing_after_the_guard_was_released_counts_nothing(
    api: Api, clocks: Clocks, kind: str
) -> None:
    """One error_stats write of an attempt is held 140 s (a frozen replica, a write already
    sent when the request was cancelled at its deadline); the maintenance pass finishes the
    message, settles it, the guard goes; then the held write lands. Before: count 2."""
    user_id, _, sid = await _learner(api)
    tutor = await api.tutor()
    db = api.services.db
    held, frozen = HeldWrites("error_stats"), replica(db)
    frozen.set_wrapper(held.wrap)
    if kind == "message":
        body = {"sessionId": sid, "role": "USER", "content": "u", "errors": [PREP]}
        with db.wrapped(_FailAfter):
            await api.gql(RECORD, {"in": body}, tutor)
        doc = await db.messages.find_one({"session_id": sid})
        attempt = asyncio.create_task(apply_message(frozen, doc, 14.0))
        finish = "completed"
    else:
        body = {"sessionId": sid, "role": "USER", "content": "u", "errors": [PREP]}
        mid = (await api.data(RECORD, {"in": body}, tutor))["recordMessage"]["id"]
        _FailAfter.keep = "annotations"
        try:
            with db.wrapped(_FailAfter):
                await api.gql(ANNOTATE, {"id": mid, "k": "k", "e": [TENSE]}, tutor)
        finally:
            _FailAfter.keep = "messages"
        doc = await db.annotations.find_one({"message_id": mid})
        attempt = asyncio.create_task(apply_annotation(frozen, doc, 14.0))
        finish = "annotations_completed"
    await held.reached.wait()
    await asyncio.sleep(0.05)  # every write of the attempt handed over
    clocks.advance(10)
    attempt.cancel()  # the request's deadline
    with pytest.raises(asyncio.CancelledError):
        await attempt
    clocks.advance(21)
    passes = maintenance(replica(db))
    assert (await passes.run_once())[finish] == 1
    for _ in range(12):  # the passes of the next six minutes
        clocks.advance(30)
        await passes.run_once()
    assert await db.messages.count_documents({"guarded": True}) == 0
    assert await db.annotations.count_documents({"guarded": True}) == 0
    held.release()
    await held.landed()
    await _exact(api, user_id, sid)


# --- 3. a replica whose clock runs ahead -----------------------------------------------------


@pytest.mark.parametrize("kind", ["message", "annotation"])
async def test_a_replica_clock_61_seconds_ahead_releases_no_guard_early(
    api: Api, clocks: Clocks, kind: str
) -> None:
    """Replica B's clock is 61 s fast: its pass must not release the guards of a message
    applied a moment ago while an attempt 2 s slow is still running. Before: count 2."""
    user_id, _, sid = await _learner(api)
    tutor = await api.tutor()
    db = api.services.db
    body = {
        "sessionId": sid,
        "role": "USER",
        "content": "u",
        "errors": [PREP],
        "idempotencyKey": "u",
    }
    if kind == "message":
        with db.wrapped(_FailAfter):
            await api.gql(RECORD, {"in": body}, tutor)
        doc = await db.messages.find_one({"session_id": sid})
        retry = RECORD, {"in": body}
    else:
        mid = (await api.data(RECORD, {"in": body}, tutor))["recordMessage"]["id"]
        _FailAfter.keep = "annotations"
        try:
            with db.wrapped(_FailAfter):
                await api.gql(ANNOTATE, {"id": mid, "k": "k", "e": [TENSE]}, tutor)
        finally:
            _FailAfter.keep = "messages"
        doc = await db.annotations.find_one({"message_id": mid})
        retry = ANNOTATE, {"id": mid, "k": "k", "e": [TENSE]}
    slow, gate = replica(db), Gate("error_stats")
    slow.set_wrapper(gate.wrap)
    apply = apply_message if kind == "message" else apply_annotation
    attempt = asyncio.create_task(apply(slow, dict(doc), 14.0))
    await gate.reached.wait()
    await api.data(*retry, tutor)  # another attempt finishes it
    clocks.advance(2)
    with clocks.skew(61):
        await maintenance(replica(db)).run_once()
    gate.release()
    await attempt
    await _exact(api, user_id, sid)


# --- 4. a write applied, its answer lost -----------------------------------------------------


async def _settled(api: Api, clocks: Clocks) -> None:
    """Eight passes of one replica, 40 s apart: everything pending is finished, published
    and settled."""
    passes = maintenance(replica(api.services.db))
    passes.hub = api.services.extras[HUB_KEY]
    for _ in range(8):
        clocks.advance(40)
        await passes.run_once()


async def _one_event_each(api: Api, sid: str, kind: str, turns: int) -> None:
    db = api.services.db
    events = [e async for e in db.session_events.find({"session_id": sid})]
    assert Counter(e["type"] for e in events)[kind] == 1
    assert all(e["published"] for e in events)
    queue = api.services.extras[TURNS_KEY]
    assert sum(1 for e in queue.entries.values() if e["session_id"] == sid) == turns
    assert await db.messages.count_documents({"guarded": True}) == 0
    assert await db.annotations.count_documents({"guarded": True}) == 0


# How many writes each call makes: one more position checks that none was added unswept.
RECORD_WRITES = {"USER": 13, "ASSISTANT": 24}
ANNOTATE_WRITES = 12


@pytest.mark.parametrize("retry", [True, False], ids=["retried", "left-to-the-pass"])
@pytest.mark.parametrize(
    ("role", "nth"),
    [(role, n) for role, count in RECORD_WRITES.items() for n in range(1, count + 2)],
)
async def test_any_write_of_a_turn_applied_with_its_answer_lost_counts_once(
    api: Api, clocks: Clocks, role: str, nth: int, retry: bool
) -> None:
    """Each write of recordMessage in turn: applied by the server, answer lost (the
    driver's retry failing too). The client retries with the same key, or nobody does and
    the pass finishes it: every counter once, one MESSAGE_RECORDED event, published, one
    turn for a learner's message, no guard left."""
    user_id, _, sid = await _learner(api)
    tutor = await api.tutor()
    body: dict[str, Any] = {"sessionId": sid, "role": role, "content": "u", "idempotencyKey": "k"}
    if role == "USER":
        body["errors"] = [PREP, TENSE]
    else:
        body.update(model="gpt-4o", tokensIn=10, tokensOut=5, cost=0.01, responseTimeMs=900)
    lost = AnswerLost(nth)
    with api.services.db.wrapped(lost.wrap):
        first = (await api.gql(RECORD, {"in": body}, tutor)).json()
    if lost.hit is None:
        assert nth == RECORD_WRITES[role] + 1, f"recordMessage makes {lost.seen} writes"
        return
    if lost.hit == "session_events.update_many":  # the write was done: only a hint lost
        assert "errors" not in first, first
    if retry:
        again = (await api.gql(RECORD, {"in": body}, tutor)).json()
        assert "errors" not in again, (lost.hit, again)
    await _settled(api, clocks)
    await _exact(api, user_id, sid)
    await _one_event_each(api, sid, "message_recorded", 1 if role == "USER" else 0)


@pytest.mark.parametrize("retry", [True, False], ids=["retried", "left-to-the-pass"])
@pytest.mark.parametrize("nth", range(1, ANNOTATE_WRITES + 2))
async def test_any_write_of_an_annotation_applied_with_its_answer_lost_counts_once(
    api: Api, clocks: Clocks, nth: int, retry: bool
) -> None:
    """The same for each write of annotateMessage."""
    user_id, _, sid = await _learner(api)
    tutor = await api.tutor()
    body = {"sessionId": sid, "role": "USER", "content": "u", "errors": [PREP]}
    mid = (await api.data(RECORD, {"in": body}, tutor))["recordMessage"]["id"]
    call = {"id": mid, "k": "a", "e": [TENSE, PREP]}
    lost = AnswerLost(nth)
    with api.services.db.wrapped(lost.wrap):
        first = (await api.gql(ANNOTATE, call, tutor)).json()
    if lost.hit is None:
        assert nth == ANNOTATE_WRITES + 1, f"annotateMessage makes {lost.seen} writes"
        return
    if lost.hit == "session_events.update_many":
        assert "errors" not in first, first
    if retry:
        again = (await api.gql(ANNOTATE, call, tutor)).json()
        assert "errors" not in again, (lost.hit, again)
    await _settled(api, clocks)
    await _exact(api, user_id, sid)
    await _one_event_each(api, sid, "message_annotated", 1)
    message = await api.services.db.messages.find_one({"_id": mid})
    assert "annotating" not in message
    assert [e["subcategory"] for e in message["errors"]] == ["Verb Tense", "Prepositions"]


def _stepdown_during_the_majority_wait() -> WriteConcernError:
    """What the driver raises for a write the old primary applied while it waited for a
    majority and then stepped down (InterruptedDueToReplStateChange), when its one retry
    found no primary yet: PyMongo raises the first attempt's error again."""
    message = "operation was interrupted because of a replication state change"
    return WriteConcernError(
        message,
        11602,
        {"code": 11602, "errmsg": message, "errorLabels": ["RetryableWriteError"]},
    )


@pytest.mark.parametrize("nth", [1, 3, 4], ids=["insert", "session", "error_stats"])
async def test_a_write_concern_error_is_unavailable_and_the_retry_counts_once(
    api: Api, clocks: Clocks, nth: int
) -> None:
    """The write ran on the old primary and may be rolled back: the caller must retry with
    the same key. Before, a writeConcernError was not a database failure to the gateway:
    an INTERNAL error ("unhandled_resolver_error" in the log), which a client does not retry, so
    a rolled-back message was lost with nobody told to send it again."""
    user_id, _, sid = await _learner(api)
    tutor = await api.tutor()
    body = {
        "sessionId": sid,
        "role": "USER",
        "content": "u",
        "errors": [PREP],
        "idempotencyKey": "k",
    }
    lost = AnswerLost(nth, _stepdown_during_the_majority_wait)
    with api.services.db.wrapped(lost.wrap):
        response = await api.gql(RECORD, {"in": body}, tutor)
    assert lost.hit is not None
    assert response.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    again = (await api.data(RECORD, {"in": body}, tutor))["recordMessage"]
    assert again["session"]["totalMessages"] == 1
    await _settled(api, clocks)
    await _exact(api, user_id, sid)
    await _one_event_each(api, sid, "message_recorded", 1)
