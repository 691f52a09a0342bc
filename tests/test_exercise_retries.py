"""submitExercise and dailyPractice under failures, retries and duplicates (issue 28)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pymongo.errors import AutoReconnect

from models.driver_calls import CollectionProxy
from resolvers.maintenance import Maintenance
from resolvers.practice import attempts as attempts_module
from tests.conftest import Api
from tests.test_review_schedule import _exercise

SUBMIT = """mutation($id: ID!, $a: String!) { submitExercise(id: $id, answer: $a) {
  correct attemptsLeft exercise { id status outcome attempts dueAt } } }"""
DAILY = "query { dailyPractice { date total exercises { id status } } }"


async def test_a_failure_before_the_review_is_completed_by_the_retry(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: the exercise was finished, its review never inserted, and the retry refused
    ("already completed"). Now the retry with the same answer answers as the first would
    have and writes the review, the card (once) and the streak."""
    user, token = await api.user()
    db = api.services.db
    exercise = _exercise(user["_id"], "Verb Tense")
    await db.exercises.insert_one(exercise)
    real = attempts_module.schedule_fresh_item

    async def stepdown(*_a: Any, **_k: Any) -> None:
        raise AutoReconnect("not primary (simulated stepdown)")

    monkeypatch.setattr(attempts_module, "schedule_fresh_item", stepdown)
    failed = (await api.gql(SUBMIT, {"id": exercise["_id"], "a": "went"}, token=token)).json()
    assert failed["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert (await db.exercises.find_one({"_id": exercise["_id"]}))["status"] == "completed"
    monkeypatch.setattr(attempts_module, "schedule_fresh_item", real)
    retried = await api.data(SUBMIT, {"id": exercise["_id"], "a": "went"}, token=token)
    assert retried["submitExercise"]["correct"] is True
    assert retried["submitExercise"]["exercise"]["status"] == "COMPLETED"
    assert retried["submitExercise"]["exercise"]["dueAt"]
    reviews = await db.exercises.count_documents({"review_of": exercise["_id"]})
    card = await db.skill_cards.find_one({"user_id": user["_id"]})
    assert reviews == 1 and card["reps"] == 1  # the card was reviewed once, not twice
    stored = await db.exercises.find_one({"_id": exercise["_id"]})
    assert "finish_pending" not in stored
    assert (await db.users.find_one({"_id": user["_id"]}))["streak_days"] == 1


async def test_the_maintenance_pass_finishes_an_exercise_nobody_retries(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: a failure between finishing the exercise and inserting its review left it
    `finish_pending` for good when the client never sent the answer again (no review, no
    card, no streak). Now the maintenance pass writes them once the exercise is older than
    a live request (30 s, the server's clock), once, and a late retry changes nothing."""
    user, token = await api.user()
    db = api.services.db
    exercise = _exercise(user["_id"], "Verb Tense")
    await db.exercises.insert_one(exercise)
    real = attempts_module.schedule_fresh_item

    async def stepdown(*_a: Any, **_k: Any) -> None:
        raise AutoReconnect("not primary (simulated stepdown)")

    monkeypatch.setattr(attempts_module, "schedule_fresh_item", stepdown)
    failed = (await api.gql(SUBMIT, {"id": exercise["_id"], "a": "went"}, token=token)).json()
    assert failed["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    monkeypatch.setattr(attempts_module, "schedule_fresh_item", real)
    passes = Maintenance(db, 14.0, None, 3600, check_indexes=False)
    # As young as a live request: the pass leaves it to that request.
    assert (await passes.run_once())["exercises_completed"] == 0
    key = {"_id": exercise["_id"], "user_id": user["_id"]}
    stored = await db.exercises.find_one(key)
    assert stored["finish_pending"] is True
    older = stored["completed_at"] - timedelta(seconds=31)
    await db.exercises.update_one(key, {"$set": {"completed_at": older}})
    assert (await passes.run_once())["exercises_completed"] == 1
    stored = await db.exercises.find_one(key)
    assert "finish_pending" not in stored and stored["due_at"]
    assert await db.exercises.count_documents({"review_of": exercise["_id"]}) == 1
    card = await db.skill_cards.find_one({"user_id": user["_id"]})
    assert card["reps"] == 1
    assert (await db.users.find_one({"_id": user["_id"]}))["streak_days"] == 1
    assert (await passes.run_once())["exercises_completed"] == 0
    again = await api.data(SUBMIT, {"id": exercise["_id"], "a": "went"}, token=token)
    assert again["submitExercise"]["correct"] is True
    assert await db.exercises.count_documents({"review_of": exercise["_id"]}) == 1
    assert (await db.skill_cards.find_one({"user_id": user["_id"]}))["reps"] == 1


@pytest.mark.interleaved
async def test_eight_concurrent_copies_of_one_wrong_answer_use_one_attempt(api: Api) -> None:
    """Before: the copies used up the three attempts and finished the exercise INCORRECT."""
    user, token = await api.user()
    db = api.services.db
    exercise = _exercise(user["_id"], "Verb Tense")
    await db.exercises.insert_one(exercise)
    answers = await asyncio.gather(
        *(api.gql(SUBMIT, {"id": exercise["_id"], "a": "goed"}, token=token) for _ in range(8))
    )
    bodies = [a.json() for a in answers]
    assert all("errors" not in b for b in bodies), bodies
    assert {b["data"]["submitExercise"]["attemptsLeft"] for b in bodies} == {2}
    stored = await db.exercises.find_one({"_id": exercise["_id"]})
    assert stored["status"] == "pending" and stored["attempts"] == 1
    # and a right answer after them still counts as the second attempt
    right = await api.data(SUBMIT, {"id": exercise["_id"], "a": "went"}, token=token)
    assert right["submitExercise"]["correct"] is True
    assert right["submitExercise"]["exercise"]["attempts"] == 2


@pytest.mark.interleaved
async def test_eight_concurrent_copies_of_the_right_answer_finish_it_once(api: Api) -> None:
    user, token = await api.user()
    db = api.services.db
    exercise = _exercise(user["_id"], "Verb Tense")
    await db.exercises.insert_one(exercise)
    answers = await asyncio.gather(
        *(api.gql(SUBMIT, {"id": exercise["_id"], "a": "went"}, token=token) for _ in range(8))
    )
    bodies = [a.json() for a in answers]
    assert all(b["data"]["submitExercise"]["correct"] is True for b in bodies), bodies
    card = await db.skill_cards.find_one({"user_id": user["_id"]})
    assert card["reps"] == 1
    assert await db.exercises.count_documents({"review_of": exercise["_id"]}) == 1
    assert (await db.users.find_one({"_id": user["_id"]}))["streak_days"] == 1


async def test_an_answer_checked_across_midnight_extends_the_streak_of_its_day(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An 11-day streak; the answer is given at 23:59:50 in the learner's zone and checked
    (a slow evaluator, a slow database) until after midnight. Before: the write's time
    decided the day, yesterday had no answer, the streak went back to 1."""
    berlin = ZoneInfo("Europe/Berlin")
    given = datetime(2026, 12, 6, 23, 59, 50, tzinfo=berlin).astimezone(UTC)
    landed = given + timedelta(seconds=30)  # 00:00:20 on the 7th in Berlin
    yesterday = (given.astimezone(berlin).date() - timedelta(days=1)).isoformat()
    user, token = await api.user(time_zone="Europe/Berlin")
    db = api.services.db
    await db.users.update_one(
        {"_id": user["_id"]}, {"$set": {"streak_days": 11, "streak_last_day": yesterday}}
    )
    exercise = _exercise(user["_id"], "Verb Tense", created_at=given - timedelta(minutes=5))
    await db.exercises.insert_one(exercise)
    clock = [given]
    monkeypatch.setattr(attempts_module, "utcnow", lambda: clock[0])
    real_match = attempts_module.answers_match

    def slow_match(*a: Any, **k: Any) -> bool:
        clock[0] = landed  # the check took past midnight
        return real_match(*a, **k)

    monkeypatch.setattr(attempts_module, "answers_match", slow_match)
    out = await api.data(SUBMIT, {"id": exercise["_id"], "a": "went"}, token=token)
    assert out["submitExercise"]["correct"] is True
    stored = await db.users.find_one({"_id": user["_id"]})
    assert stored["streak_days"] == 12
    assert stored["streak_last_day"] == given.astimezone(berlin).date().isoformat()


async def test_a_late_answer_of_an_earlier_day_never_resets_a_later_streak(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    user, token = await api.user()
    db = api.services.db
    today = datetime.now(UTC).date()
    await db.users.update_one(
        {"_id": user["_id"]}, {"$set": {"streak_days": 5, "streak_last_day": today.isoformat()}}
    )
    exercise = _exercise(user["_id"], "Verb Tense")
    await db.exercises.insert_one(exercise)
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    monkeypatch.setattr(attempts_module, "utcnow", lambda: two_days_ago)
    await api.data(SUBMIT, {"id": exercise["_id"], "a": "went"}, token=token)
    stored = await db.users.find_one({"_id": user["_id"]})
    assert (stored["streak_days"], stored["streak_last_day"]) == (5, today.isoformat())


class _SetInsertFails(CollectionProxy):
    """A stepdown just before the daily set is stored (its exercises are)."""

    async def _call(self, name: str, method: Any, a: tuple[Any, ...], k: dict[str, Any]) -> Any:
        if self.name == "daily_sets" and name == "insert_one":
            raise AutoReconnect("not primary (simulated stepdown)")
        return await method(*a, **k)


async def test_a_daily_build_cut_off_and_built_again_leaves_one_set(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: the exercises of the cut-off build stayed and the retry drafted five more
    (10 pending). Now the retry's exercises are the first build's (the same ids)."""
    user, token = await api.user()
    db = api.services.db
    with db.wrapped(_SetInsertFails):
        failed = (await api.gql(DAILY, token=token)).json()
    assert failed["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    first_ids = {d["_id"] async for d in db.exercises.find({"user_id": user["_id"]})}
    assert len(first_ids) == 5
    daily = (await api.data(DAILY, token=token))["dailyPractice"]
    assert daily["total"] == 5
    pending = await db.exercises.count_documents({"user_id": user["_id"], "status": "pending"})
    assert pending == 5
    assert {e["id"] for e in daily["exercises"]} == first_ids
