"""annotateMessage: the tutor's errors on a learner's utterance, counted exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from pymongo.errors import AutoReconnect

from models.driver_calls import CollectionProxy
from resolvers.annotations import ANNOTATIONS
from resolvers.pending import finish_pending, settle
from resolvers.rebuild import rebuild_error_stats
from tests.conftest import Api

ANNOTATE = """mutation($id: ID!, $k: String, $e: [LanguageErrorInput!]!) {
  annotateMessage(id: $id, idempotencyKey: $k, errors: $e) { id errors { subcategory } } }"""
UTTER = """mutation($s: ID!) { recordMessage(input: {sessionId: $s, role: USER,
  content: "My sister live in London since three years."}) { id } }"""
STATS = "{ errorStats { totalErrors items { category subcategory count } } }"
PREP = {"category": "Grammar", "subcategory": "Prepositions", "correction": "for three years"}
TENSE = {"category": "Grammar", "subcategory": "Verb Tense", "correction": "has lived"}
ARTICLES = {"category": "Grammar", "subcategory": "Articles"}
WRITES = ("insert_one", "update_one", "update_many", "find_one_and_update", "bulk_write")


async def _utterance(api: Api) -> tuple[str, str, str]:
    """(learner token, tutor secret, message id)."""
    _, token = await api.user(tier="premium")
    sid = (
        await api.data('mutation { startSession(input: {topic: "Family"}) { id } }', token=token)
    )["startSession"]["id"]
    mid = (await api.data(UTTER, {"s": sid}, token))["recordMessage"]["id"]
    return token, await api.tutor(), mid


async def _counts(api: Api, token: str) -> dict[str, int]:
    items = (await api.data(STATS, token=token))["errorStats"]["items"]
    return {i["subcategory"]: i["count"] for i in items}


async def _stored_counts(api: Api) -> Counter[str]:
    """Every error_stats row's count: what the incremental path left (zero rows included)."""
    return Counter(
        {r["subcategory"]: r["count"] async for r in api.services.db.error_stats.find({})}
    )


async def _rebuilt_counts(api: Api) -> Counter[str]:
    """What a rebuild from the messages says the counts are."""
    await rebuild_error_stats(api.services.db, 14.0)
    return await _stored_counts(api)


async def test_annotating_again_moves_statistics_by_the_difference(api: Api) -> None:
    token, tutor, mid = await _utterance(api)
    first = await api.data(ANNOTATE, {"id": mid, "k": "a", "e": [PREP, TENSE]}, tutor)
    assert [e["subcategory"] for e in first["annotateMessage"]["errors"]] == [
        "Prepositions",
        "Verb Tense",
    ]
    assert await _counts(api, token) == {"Prepositions": 1, "Verb Tense": 1}
    await api.data(ANNOTATE, {"id": mid, "k": "b", "e": [PREP, ARTICLES]}, tutor)
    assert await _counts(api, token) == {"Prepositions": 1, "Articles": 1}
    # A retry of the first annotation changes nothing: it was applied once, long ago.
    again = await api.data(ANNOTATE, {"id": mid, "k": "a", "e": [PREP, TENSE]}, tutor)
    assert [e["subcategory"] for e in again["annotateMessage"]["errors"]] == [
        "Prepositions",
        "Articles",
    ]
    assert await _counts(api, token) == {"Prepositions": 1, "Articles": 1}
    total = (await api.data(STATS, token=token))["errorStats"]["totalErrors"]
    assert total == 2
    # Clearing every error takes them all back; skills and windows read the message itself.
    await api.data(ANNOTATE, {"id": mid, "k": "c", "e": []}, tutor)
    assert await _counts(api, token) == {}
    assert +(await _stored_counts(api)) == +(await _rebuilt_counts(api))


async def test_a_key_reused_with_other_errors_is_refused(api: Api) -> None:
    _, tutor, mid = await _utterance(api)
    await api.data(ANNOTATE, {"id": mid, "k": "a", "e": [PREP]}, tutor)
    body = (await api.gql(ANNOTATE, {"id": mid, "k": "a", "e": [TENSE]}, tutor)).json()
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "idempotencyKey"}


async def test_only_learner_utterances_are_annotated_with_known_errors(api: Api) -> None:
    _, tutor, mid = await _utterance(api)
    bad = [{"category": "Grammar", "subcategory": "Made Up"}]
    body = (await api.gql(ANNOTATE, {"id": mid, "e": bad}, tutor)).json()
    assert body["errors"][0]["extensions"]["field"] == "errors[0].subcategory"
    missing = (await api.gql(ANNOTATE, {"id": "nope", "e": [PREP]}, tutor)).json()
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.interleaved
async def test_concurrent_duplicates_and_rivals_leave_exact_statistics(api: Api) -> None:
    _token, tutor, mid = await _utterance(api)
    sets = [[PREP], [PREP, TENSE], [ARTICLES], [TENSE, ARTICLES], []]
    calls = [
        api.gql(ANNOTATE, {"id": mid, "k": f"k{i % len(sets)}", "e": sets[i % len(sets)]}, tutor)
        for i in range(30)  # each key six times, all at once
    ]
    for response in await asyncio.gather(*calls):
        assert "errors" not in response.json(), response.json()
    message = await api.services.db.messages.find_one({"_id": mid})
    final = Counter(e["subcategory"] for e in message["errors"])
    assert +(await _stored_counts(api)) == final
    assert +(await _rebuilt_counts(api)) == final
    assert message.get("annotating") is None


class _FailNthWrite(CollectionProxy):
    """The Nth write of the block (across collections) fails after nothing reached the row."""

    state: dict[str, int] = {}

    async def _call(self, name: str, method: Any, a: tuple[Any, ...], k: dict[str, Any]) -> Any:
        if name in WRITES:
            self.state["seen"] += 1
            if self.state["seen"] == self.state["fail_at"]:
                raise AutoReconnect("connection closed (simulated failover)")
        return await method(*a, **k)


@pytest.mark.parametrize("fail_at", range(1, 8))
async def test_a_failure_between_any_two_steps_is_finished_once(api: Api, fail_at: int) -> None:
    """A write of the first annotation fails (a step-down); then a retry, a rival annotation
    and the maintenance pass all finish what it began, and the counts are exact."""
    token, tutor, mid = await _utterance(api)
    await api.data(ANNOTATE, {"id": mid, "k": "first", "e": [PREP]}, tutor)
    _FailNthWrite.state = {"seen": 0, "fail_at": fail_at}
    with api.services.db.wrapped(_FailNthWrite):
        failed = (await api.gql(ANNOTATE, {"id": mid, "k": "second", "e": [TENSE]}, tutor)).json()
    if _FailNthWrite.state["seen"] < fail_at:
        pytest.skip(f"the annotation needs fewer than {fail_at} writes")
    assert failed["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE", failed
    # A rival annotation arrives before the retry: it finishes `second` first.
    await api.data(ANNOTATE, {"id": mid, "k": "third", "e": [TENSE, ARTICLES]}, tutor)
    await api.data(ANNOTATE, {"id": mid, "k": "second", "e": [TENSE]}, tutor)
    db = api.services.db
    assert await finish_pending(db, ANNOTATIONS, older=timedelta(0)) == 0
    message = await db.messages.find_one({"_id": mid})
    final = Counter(e["subcategory"] for e in message["errors"])
    # `second` is ordered before `third` once it held the message (its claim), after it
    # when it failed before that: either way the counts are those of the final errors.
    assert final in (Counter(["Verb Tense", "Articles"]), Counter(["Verb Tense"]))
    assert await _counts(api, token) == dict(final)
    assert +(await _stored_counts(api)) == final == +(await _rebuilt_counts(api))
    assert message.get("annotating") is None


async def test_the_maintenance_pass_finishes_an_abandoned_annotation(api: Api) -> None:
    token, tutor, mid = await _utterance(api)
    _FailNthWrite.state = {"seen": 0, "fail_at": 3}  # after the insert and the claim
    with api.services.db.wrapped(_FailNthWrite):
        await api.gql(ANNOTATE, {"id": mid, "k": "x", "e": [PREP, TENSE]}, tutor)
    db = api.services.db
    assert await finish_pending(db, ANNOTATIONS, older=timedelta(0)) == 1
    assert await _counts(api, token) == {"Prepositions": 1, "Verb Tense": 1}
    # After the grace period the annotation's id leaves the rows' guards.
    assert await settle(db, ANNOTATIONS, grace=timedelta(0)) == 1
    [annotation] = [a async for a in db.annotations.find({})]
    rows = [r async for r in db.error_stats.find({})]
    assert len(rows) == 2 and all(annotation["_id"] not in r.get("guard_ids", []) for r in rows)


@pytest.mark.parametrize("fail_at", (2, 3, 4, 5))
async def test_a_rebuild_then_the_pass_count_a_half_applied_annotation_once(
    api: Api, fail_at: int
) -> None:
    """An annotation cut off after its insert, its claim or one of its rows (a step-down),
    then `scripts.rebuild_stats` and the maintenance pass: the learner's statistics are
    those of the message's final errors, each once (the rebuild must count only what the
    pass will not count again)."""
    from scripts.rebuild_stats import rebuild_all

    token, tutor, mid = await _utterance(api)
    await api.data(ANNOTATE, {"id": mid, "k": "first", "e": [PREP]}, tutor)
    _FailNthWrite.state = {"seen": 0, "fail_at": fail_at}
    with api.services.db.wrapped(_FailNthWrite):
        await api.gql(ANNOTATE, {"id": mid, "k": "second", "e": [TENSE, ARTICLES]}, tutor)
    assert _FailNthWrite.state["seen"] >= fail_at
    db = api.services.db
    await rebuild_all(db, 14.0, progress=False)
    await finish_pending(db, ANNOTATIONS, older=timedelta(0))
    assert await _counts(api, token) == {"Verb Tense": 1, "Articles": 1}
    assert +(await _stored_counts(api)) == Counter(["Verb Tense", "Articles"])


KEYED_UTTER = """mutation($s: ID!, $k: String, $e: [LanguageErrorInput!]) {
  recordMessage(input: {sessionId: $s, role: USER, errors: $e, idempotencyKey: $k,
  content: "My sister live in London since three years."}) {
  id errors { subcategory } session { totalMessages } } }"""


@pytest.mark.parametrize("writer", ["learner", "tutor"])
async def test_a_retry_after_the_tutor_annotated_the_message_is_the_same_call(
    api: Api, writer: str
) -> None:
    """The learner's answer was lost (a 503 after the insert, a timeout with
    mayHaveApplied); the message became a turn and the tutor annotated it before the app
    retried with the same key. The annotation changed the stored errors, not the call:
    the retry gets its message back, counted once. Before, it was refused as a key
    reused "with different values", and an app that then sent it under a new key stored
    and counted the utterance twice (and the tutor got a second turn)."""
    _, token = await api.user(tier="premium")
    tutor = await api.tutor()
    sid = (
        await api.data('mutation { startSession(input: {topic: "Family"}) { id } }', token=token)
    )["startSession"]["id"]
    # The tutor records on the learner's behalf with the errors it found first.
    caller, sent = (token, None) if writer == "learner" else (tutor, [ARTICLES])
    call = {"s": sid, "k": "u-1", "e": sent}
    first = (await api.data(KEYED_UTTER, call, caller))["recordMessage"]
    await api.data(ANNOTATE, {"id": first["id"], "k": "a", "e": [PREP, TENSE]}, tutor)
    again = await api.gql(KEYED_UTTER, call, caller)
    body = again.json()
    assert "errors" not in body, body
    retry = body["data"]["recordMessage"]
    assert retry["id"] == first["id"]
    assert [e["subcategory"] for e in retry["errors"]] == ["Prepositions", "Verb Tense"]
    assert retry["session"]["totalMessages"] == 1
    assert await api.services.db.messages.count_documents({"session_id": sid}) == 1
    assert await _counts(api, token) == {"Prepositions": 1, "Verb Tense": 1}
    # A key reused for another utterance is still refused.
    other = KEYED_UTTER.replace("My sister live", "My brother live")
    refused = (await api.gql(other, call, caller)).json()
    assert refused["errors"][0]["extensions"]["field"] == "idempotencyKey"
