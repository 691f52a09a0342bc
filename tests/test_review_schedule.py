"""FSRS review scheduling (issue 22, item 5): one card per (learner, skill), ratings from
how an answer went, and a fresh item of the skill when it is due (not the same string)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from fsrs import Rating

from resolvers.localtime import local_date, start_of, zone
from resolvers.practice.bank import load_bank
from resolvers.practice.schedule import OLD_LADDER_DAYS, simulate
from tests.factories import finished_exercise, pending_exercise

SUBMIT = """mutation($id: ID!, $a: String!) { submitExercise(id: $id, answer: $a) {
  correct exercise { id status dueAt } } }"""
START = datetime(2026, 1, 1, tzinfo=UTC)


def intervals(ratings: list[Rating]) -> list[float]:
    """Days until each next review when every review is answered on its due day."""
    day, given, out = 0.0, [], []
    for rating in ratings:
        given.append((day, rating))
        due = (simulate(given)[-1] - START).total_seconds() / 86_400
        out.append(round(due - day, 2))
        day = due
    return out


def test_schedule_after_a_miss_and_after_a_clean_answer():
    """The worked example in docs/learning.md "Review schedule"."""
    good = Rating.Good
    assert intervals([Rating.Again, good, good, good, good]) == [1.0, 2.0, 6.0, 17.0, 44.0]
    assert intervals([good] * 5) == [2.0, 11.0, 46.0, 163.0, 365.0]
    assert intervals([Rating.Hard, good, good, good]) == [1.0, 5.0, 17.0, 50.0]
    assert intervals([Rating.Easy, good, good]) == [8.0, 39.0, 153.0]
    # a lapse after two clean reviews: back to 2 days, then growing again
    assert intervals([good, good, Rating.Again, good, good]) == [2.0, 11.0, 2.0, 5.0, 12.0]
    assert OLD_LADDER_DAYS == (1, 3, 7, 16, 35)  # the old ladder, for the comparison


def _exercise(user_id: str, sub: str, **extra) -> dict:
    return {
        "_id": str(uuid.uuid4()),
        "user_id": user_id,
        "language": "English",
        "category": "Grammar",
        "subcategory": sub,
        "type": "fill_in_the_blank",
        "difficulty": 2,
        "prompt": f"p {uuid.uuid4()}",
        "answer": "went",
        "status": "pending",
        "attempts": 0,
        "hints_used": 0,
        "created_at": datetime.now(UTC) - timedelta(minutes=10),
        **extra,
    }


async def test_a_clean_answer_is_reviewed_too_and_one_review_waits_per_skill(api):
    """Old: an item right the first time was never reviewed; each miss queued its own copy."""
    user, token = await api.user()
    db = api.services.db
    first, second = _exercise(user["_id"], "Verb Tense"), _exercise(user["_id"], "Verb Tense")
    await db.exercises.insert_many([first, second])
    out = await api.data(SUBMIT, {"id": first["_id"], "a": "went"}, token=token)
    due = datetime.fromisoformat(out["submitExercise"]["exercise"]["dueAt"])
    in_two_days = local_date(datetime.now(UTC) + timedelta(days=2), zone(None))
    assert due == start_of(in_two_days, zone(None))  # Good: the day after tomorrow (UTC)
    reviews = [
        r async for r in db.exercises.find({"user_id": user["_id"], "review_of": {"$ne": None}})
    ]
    assert len(reviews) == 1 and reviews[0]["subcategory"] == "Verb Tense"
    assert reviews[0]["prompt"] != first["prompt"] and reviews[0]["bank_id"]  # a fresh item
    for wrong in ("go", "goed", "going"):  # a repeated answer would count once
        out = await api.data(SUBMIT, {"id": second["_id"], "a": wrong}, token=token)
        if out["submitExercise"]["exercise"]["status"] != "PENDING":
            break
    again = [
        r async for r in db.exercises.find({"user_id": user["_id"], "review_of": {"$ne": None}})
    ]
    assert len(again) == 1  # the skill's one review, moved with its card
    card = await db.skill_cards.find_one({"user_id": user["_id"]})
    assert card["reps"] == 2
    assert again[0]["due_at"] == start_of(local_date(card["due_at"], zone(None)), zone(None))
    assert card["due_at"] - datetime.now(UTC) <= timedelta(days=1)  # the miss brought it forward


async def test_a_missed_easy_item_is_not_reviewed_on_a_much_harder_one(api):
    # Before: with the skill's easy items all given in the last 30 days, a miss at
    # difficulty 1 was reviewed on the nearest fresh item however hard (difficulty 3 or
    # more); now the exercise itself comes back.
    user, token = await api.user()
    db = api.services.db
    now = datetime.now(UTC)
    items = load_bank()["English"][("Grammar", "Articles")]
    easy = [i for i in items if i.difficulty <= 2]
    missed = next(i for i in easy if i.difficulty == 1 and i.type == "fill_in_the_blank")
    await db.exercises.insert_many(
        [
            finished_exercise(
                user["_id"], now - timedelta(days=1), True, bank_id=i.id, difficulty=i.difficulty
            )
            for i in easy
            if i.id != missed.id
        ]
    )
    doc = await pending_exercise(db, user["_id"], missed)
    await db.exercises.update_one({"_id": doc["_id"]}, {"$set": {"bank_id": missed.id}})
    for wrong in ("x y z", "z y x", "y x z"):
        await api.data(SUBMIT, {"id": doc["_id"], "a": wrong}, token=token)
    review = await db.exercises.find_one({"review_of": doc["_id"]})
    assert review["difficulty"] <= 2
    assert review["prompt"] == missed.prompt  # the exercise again: no fresh item fits


DUE = "query { dueExercises { edges { node { id dueAt } } } }"


async def test_a_review_is_due_from_the_start_of_its_local_day(api):
    """Before: due at the minute of the answer, a day later. A learner practising each
    evening at the same hour found the set built two minutes before it fell due, and got
    the 1-day review only the evening after (a day's set is the same all day)."""
    zone_name = "America/Los_Angeles"
    user, token = await api.user(time_zone=zone_name)
    db = api.services.db
    exercise = _exercise(user["_id"], "Articles")
    await db.exercises.insert_one(exercise)
    for wrong in ("go", "goed", "going"):  # missed: Again, one day
        out = await api.data(SUBMIT, {"id": exercise["_id"], "a": wrong}, token=token)
        if out["submitExercise"]["exercise"]["status"] != "PENDING":
            break
    finished = await db.exercises.find_one({"_id": exercise["_id"]})
    tz = zone(zone_name)
    answered = finished["completed_at"].replace(tzinfo=UTC)
    tomorrow = local_date(answered, tz) + timedelta(days=1)
    expected = start_of(tomorrow, tz)  # local midnight, whatever the hour of the answer
    due = datetime.fromisoformat(out["submitExercise"]["exercise"]["dueAt"])
    assert due == expected and due.astimezone(tz).hour == 0
    review = await db.exercises.find_one({"user_id": user["_id"], "review_of": exercise["_id"]})
    assert review["due_at"].replace(tzinfo=UTC) == expected
    # Not due before its day: the queue is still empty today.
    assert (await api.data(DUE, token=token))["dueExercises"]["edges"] == []
