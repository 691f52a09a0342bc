"""The optional answer evaluator (issue 22, item 8) against a fake OpenAI-compatible
chat-completions server started in the test: used for free-text answers the rules reject,
the rule-based checker is the default and the fallback, and each call's cost is recorded
like any AI usage."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo.errors import AutoReconnect

from models.driver_calls import CollectionProxy
from resolvers.counters import GUARD_FIELD
from resolvers.rebuild import (
    rebuild_cost_daily,
    rebuild_cost_dims,
    rebuild_cost_totals,
    rebuild_provider_daily,
)
from tests.conftest import make_settings, running_api
from tests.faults import HeldWrites
from tests.servers import free_port
from tests.test_failover_exactly_once import Clocks, maintenance, replica

SUBMIT = """mutation($id: ID!, $a: String!) { submitExercise(id: $id, answer: $a) {
  correct feedback exercise { status outcome } } }"""
COSTS = """query($from: DateTime, $to: DateTime) { costReport(from: $from, to: $to) {
  totalCost totalRequests byTopic { key cost requests } } }"""
PROVIDERS = """query($from: DateTime, $to: DateTime) { providerStats(from: $from, to: $to) {
  provider model requests tokens cost } }"""


@dataclass
class FakeProvider:
    """Answers POST /v1/chat/completions with `reply` (a verdict dict, or raw text)."""

    port: int
    reply: Any = field(default_factory=lambda: {"correct": True, "feedback": "Well said."})
    status: int = 200
    delay: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        length = next(
            int(line.split(":", 1)[1])
            for line in lines
            if line.lower().startswith("content-length")
        )
        body = json.loads(await reader.readexactly(length))
        self.requests.append(
            {"path": lines[0].split()[1], "body": body, "headers": [line.lower() for line in lines]}
        )
        await asyncio.sleep(self.delay)
        content = self.reply if isinstance(self.reply, str) else json.dumps(self.reply)
        payload = json.dumps(
            {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
                "usage": {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150},
            }
        ).encode()
        writer.write(
            f"HTTP/1.1 {self.status} X\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
            + payload
        )
        await writer.drain()
        writer.close()


@pytest.fixture
async def provider() -> AsyncIterator[FakeProvider]:
    fake = FakeProvider(port=free_port())
    server = await asyncio.start_server(fake.handle, "127.0.0.1", fake.port)
    async with server:
        yield fake


def _exercise(user_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "_id": str(uuid.uuid4()),
        "user_id": user_id,
        "language": "English",
        "category": "Vocabulary",
        "subcategory": "Word Choice",
        "type": "error_correction",
        "difficulty": 3,
        "prompt": "Correct the sentence: I did a big mistake.",
        "answer": "I made a big mistake.",
        "status": "pending",
        "attempts": 0,
        "hints_used": 0,
        "created_at": datetime.now(UTC),
        **extra,
    }


async def _evaluated_api(provider: FakeProvider, **settings: Any):
    return running_api(
        make_settings(
            evaluator_llm_url=provider.url,
            evaluator_llm_model="gpt-4o-mini",
            evaluator_llm_api_key="sk-test",
            evaluator_llm_timeout_ms=settings.pop("timeout_ms", 2000),
            **settings,
        )
    )


async def test_the_evaluator_accepts_an_alternative_and_its_cost_is_recorded(provider):
    async with await _evaluated_api(provider) as api:
        user, token = await api.user()
        doc = _exercise(user["_id"])
        await api.services.db.exercises.insert_one(doc)
        answer = "I committed a big mistake."  # not listed: the rules say no
        out = (await api.data(SUBMIT, {"id": doc["_id"], "a": answer}, token=token))[
            "submitExercise"
        ]
        assert out["correct"] is True and "Well said." in out["feedback"]
        [call] = provider.requests
        assert call["path"] == "/v1/chat/completions"
        assert "authorization: bearer sk-test" in call["headers"]
        assert call["body"]["model"] == "gpt-4o-mini"
        sent = json.loads(call["body"]["messages"][1]["content"])
        assert sent["learner_answer"] == answer and sent["model_answers"] == [doc["answer"]]
        # Counted like any AI usage: 120 + 30 tokens of gpt-4o-mini.
        _, admin = await api.admin()
        window = {"from": None, "to": None}
        costs = (await api.data(COSTS, window, token=admin))["costReport"]
        assert costs["totalRequests"] == 1 and costs["totalCost"] > 0
        assert costs["byTopic"] == [
            {"key": "Answer checking", "cost": costs["totalCost"], "requests": 1}
        ]
        [stats] = (await api.data(PROVIDERS, window, token=admin))["providerStats"]
        assert (stats["provider"], stats["model"], stats["requests"], stats["tokens"]) == (
            "openai",
            "gpt-4o-mini",
            1,
            150,
        )
        db = api.services.db
        assert await db.ai_usage.count_documents({"user_id": user["_id"]}) == 1
        # The rebuilds recount the same rows, evaluator calls included.
        names = ("cost_daily", "cost_totals", "provider_daily", "cost_dims")
        before = {n: await _rows(db, n) for n in names}
        await rebuild_cost_daily(db)
        await rebuild_cost_totals(db)
        await rebuild_provider_daily(db)
        await rebuild_cost_dims(db)
        assert {n: await _rows(db, n) for n in names} == before


async def _rows(db: Any, name: str) -> list[dict[str, Any]]:
    """A collection's counters, without ids and the guards of applied calls."""
    keep = ("date", "provider", "model", "user_id", "requests", "tokens", "tokens_in", "cost")
    rows = [
        {k: (round(v, 12) if isinstance(v, float) else v) for k, v in d.items() if k in keep}
        async for d in db.collection(name).find({})
    ]
    return sorted(rows, key=repr)


async def test_the_evaluator_can_reject_and_names_what_is_wrong(provider):
    provider.reply = {"correct": False, "feedback": "'Do' is wrong with 'mistake'."}
    async with await _evaluated_api(provider) as api:
        user, token = await api.user()
        doc = _exercise(user["_id"])
        await api.services.db.exercises.insert_one(doc)
        out = await api.data(SUBMIT, {"id": doc["_id"], "a": "I did big mistake."}, token=token)
        result = out["submitExercise"]
        assert result["correct"] is False and "'Do' is wrong" in result["feedback"]


async def test_rule_accepted_and_multiple_choice_answers_never_reach_the_evaluator(provider):
    async with await _evaluated_api(provider) as api:
        user, token = await api.user()
        right = _exercise(user["_id"])
        choice = _exercise(
            user["_id"],
            type="multiple_choice",
            prompt="Choose: I ___ a mistake.",
            choices=["made", "did", "had"],
            answer="made",
        )
        await api.services.db.exercises.insert_many([right, choice])
        ok = await api.data(SUBMIT, {"id": right["_id"], "a": "I made a big mistake"}, token=token)
        assert ok["submitExercise"]["correct"] is True
        wrong = await api.data(SUBMIT, {"id": choice["_id"], "a": "did"}, token=token)
        assert wrong["submitExercise"]["correct"] is False
        assert provider.requests == []


@pytest.mark.parametrize("failure", ["not json", "status", "slow"])
async def test_a_failing_evaluator_falls_back_to_the_rules(provider, failure):
    if failure == "not json":
        provider.reply = "Sure! The answer looks fine to me."
    elif failure == "status":
        provider.status = 500
    else:
        provider.delay = 1.0
    async with await _evaluated_api(provider, timeout_ms=300) as api:
        user, token = await api.user()
        doc = _exercise(user["_id"])
        await api.services.db.exercises.insert_one(doc)
        out = await api.data(SUBMIT, {"id": doc["_id"], "a": "I committed a mistake."}, token=token)
        assert out["submitExercise"]["correct"] is False  # the rule-based verdict
        assert await api.services.db.ai_usage.count_documents({}) == 0  # nothing billed


async def test_without_a_url_only_the_rules_judge(api):
    user, token = await api.user()
    doc = _exercise(user["_id"])
    await api.services.db.exercises.insert_one(doc)
    out = await api.data(SUBMIT, {"id": doc["_id"], "a": "I committed a big mistake."}, token=token)
    assert out["submitExercise"]["correct"] is False


HINT = "mutation($id: ID!) { requestHint(id: $id) { text hintsUsed } }"


async def test_a_hint_after_a_wrong_answer_is_about_that_answer(provider):
    provider.reply = {
        "correct": False,
        "feedback": "Not with 'do'.",
        "hint": "Which verb goes with 'mistake' in English?",
    }
    async with await _evaluated_api(provider) as api:
        user, token = await api.user()
        doc = _exercise(user["_id"], hints=["Look at the verb.", "The last hint."])
        await api.services.db.exercises.insert_one(doc)
        first = (await api.data(HINT, {"id": doc["_id"]}, token=token))["requestHint"]
        assert first["text"] == "Look at the verb." and provider.requests == []  # no answer yet
        await api.data(SUBMIT, {"id": doc["_id"], "a": "I did a big mistake."}, token=token)
        second = (await api.data(HINT, {"id": doc["_id"]}, token=token))["requestHint"]
        assert second == {"text": "Which verb goes with 'mistake' in English?", "hintsUsed": 2}
        assert len(provider.requests) == 2  # the answer, then the hint
        assert await api.services.db.ai_usage.count_documents({}) == 2


async def test_a_tailored_hint_that_gives_the_answer_away_is_not_used(provider):
    provider.reply = {"correct": False, "feedback": "No.", "hint": "Say: I made a big mistake."}
    async with await _evaluated_api(provider) as api:
        user, token = await api.user()
        doc = _exercise(user["_id"], hints=["Look at the verb.", "The last hint."])
        await api.services.db.exercises.insert_one(doc)
        await api.data(SUBMIT, {"id": doc["_id"], "a": "I did a big mistake."}, token=token)
        hint = (await api.data(HINT, {"id": doc["_id"]}, token=token))["requestHint"]
        assert hint["text"] == "Look at the verb."


class _CostRowsDown(CollectionProxy):
    """A stepdown for the cost rows: every counter write there fails (503)."""

    async def _call(self, name: str, method: Any, a: tuple[Any, ...], k: dict[str, Any]) -> Any:
        if (
            self.name in ("cost_totals", "provider_daily", "cost_dims")
            and name in HeldWrites.WRITES
        ):
            raise AutoReconnect("not primary (simulated stepdown)")
        return await method(*a, **k)


@pytest.mark.slow
async def test_an_evaluator_call_cut_off_is_counted_once_whatever_lands_late(provider, monkeypatch):
    """Issue 28: the evaluator's cost writes had no lease and no completion. A request
    cut off after storing the call (its cost_daily write held on the wire, the other rows
    refused by a stepdown) left the call uncounted in cost_totals, provider_daily and
    cost_dims for ever, and its ids in the rows' guards. Now the maintenance pass finishes
    it under a lease of its own, settles its guards, and the held write, landing after
    its lease, counts nothing."""
    async with await _evaluated_api(provider, execution_timeout_ms=2000) as api:
        clocks = Clocks(api, monkeypatch)
        user, token = await api.user()
        db = api.services.db
        doc = _exercise(user["_id"])
        await db.exercises.insert_one(doc)
        held = HeldWrites("cost_daily")
        with db.wrapped(lambda c: held.wrap(c) if c.name == "cost_daily" else _CostRowsDown(c)):
            out = await api.gql(SUBMIT, {"id": doc["_id"], "a": "I committed it."}, token=token)
        # Cut off at its deadline (2 s: the fake provider's answer must come first, even
        # on a loaded machine) with its cost_daily write held.
        assert held.reached.is_set()
        assert out.json()["errors"][0]["extensions"]["code"] == "TIMEOUT"
        assert await db.ai_usage.count_documents({}) == 1
        clocks.advance(31)  # past the cut-off attempt's lease
        passes = maintenance(replica(db))
        assert (await passes.run_once())["usage_completed"] == 1
        for _ in range(4):  # the passes of the next two minutes
            clocks.advance(30)
            await passes.run_once()
        held.release()
        await held.landed()
        usage = await db.ai_usage.find_one({})
        assert usage["applied"] is True and "guarded" not in usage
        daily = [r async for r in db.cost_daily.find({"user_id": user["_id"]})]
        assert [r["requests"] for r in daily] == [1]
        day = await db.cost_totals.find_one({"_id": {"$regex": "^D:"}})
        assert day["requests"] == 1 and day["cost"] == pytest.approx(usage["cost"])
        assert sum([r.get("requests", 0) async for r in db.provider_daily.find({})]) == 1
        for name in ("cost_daily", "cost_totals", "provider_daily", "cost_dims"):
            async for row in db.collection(name).find({}):
                assert row.get(GUARD_FIELD, []) == [], name


def _capitalisation_exercise(user_id: str) -> dict[str, Any]:
    return _exercise(
        user_id,
        language="German",
        category="Spelling",
        subcategory="Noun Capitalisation",
        prompt="Correct the sentence: Ich habe einen hund.",
        answer="Ich habe einen Hund.",
    )


@pytest.mark.parametrize(
    ("answer", "named"),
    [
        ("ich habe einen hund", '"ich", "hund"'),
        ("Ich habe einen hund.", '"hund"'),
        ("Ich besitze einen hund.", '"hund"'),  # another verb, the same small noun
    ],
)
async def test_an_evaluator_never_overrides_a_capitals_rejection_where_capitals_are_the_skill(
    provider, answer, named
):
    """The rules reject "ich habe einen hund" in a noun-capitalisation exercise because of
    its capitals, the very thing the exercise trains: an evaluator that would accept it
    (this one accepts everything) is not asked, and the learner hears about the capitals."""
    async with await _evaluated_api(provider) as api:
        user, token = await api.user(target_language="German")
        doc = _capitalisation_exercise(user["_id"])
        await api.services.db.exercises.insert_one(doc)
        out = (await api.data(SUBMIT, {"id": doc["_id"], "a": answer}, token=token))[
            "submitExercise"
        ]
        assert out["correct"] is False
        assert provider.requests == []  # not asked: the capitals decide
        assert await api.services.db.ai_usage.count_documents({}) == 0
        if answer.startswith("ich habe"):
            assert f"Check the capital letters: {named}." in out["feedback"]


async def test_a_lower_case_noun_typed_without_its_umlaut_is_a_capitals_rejection_too(provider):
    """ "tuer" is German's keyboard spelling of "Tür": the same word, so its small letter is
    the capitals mistake the exercise trains, and no evaluator is asked to overrule it."""
    async with await _evaluated_api(provider) as api:
        user, token = await api.user(target_language="German")
        doc = _exercise(
            user["_id"],
            language="German",
            category="Spelling",
            subcategory="Noun Capitalisation",
            prompt="Correct the sentence: Die tür ist offen.",
            answer="Die Tür ist offen.",
        )
        await api.services.db.exercises.insert_one(doc)
        out = (await api.data(SUBMIT, {"id": doc["_id"], "a": "Die tuer ist offen."}, token=token))[
            "submitExercise"
        ]
        assert out["correct"] is False
        assert provider.requests == []
        assert await api.services.db.ai_usage.count_documents({}) == 0


async def test_an_evaluator_still_judges_a_capitalisation_answer_with_its_capitals_right(
    provider,
):
    """Capitals right, a verb the item does not list: the evaluator may accept it, and is
    told that capitals are judged (for words the model answer lacks)."""
    async with await _evaluated_api(provider) as api:
        user, token = await api.user(target_language="German")
        doc = _capitalisation_exercise(user["_id"])
        await api.services.db.exercises.insert_one(doc)
        answer = "Ich besitze einen Hund."
        out = (await api.data(SUBMIT, {"id": doc["_id"], "a": answer}, token=token))[
            "submitExercise"
        ]
        assert out["correct"] is True
        [call] = provider.requests
        sent = json.loads(call["body"]["messages"][1]["content"])
        assert sent["learner_answer"] == answer and sent["capitals_judged"] is True
        assert "capitals_judged" in call["body"]["messages"][0]["content"]
