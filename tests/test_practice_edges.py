"""Practice edges (issue 22, item 7): unsupported target languages, sentences after a
language switch, shortfalls, expiring pending exercises, due reviews agreeing between
dailyPractice and dueExercises, and the allocation across targets."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from resolvers.practice.bank import load_bank
from resolvers.practice.generator import Target, allocate
from tests.factories import pending_exercise
from tests.test_exercise_answers import err, said

UPDATE = """mutation($id: ID!, $l: String) { updateUser(id: $id, input: {targetLanguage: $l}) {
  targetLanguage } }"""
GENERATE = """mutation($n: Int) { generateExercise(count: $n) {
  id language category subcategory prompt status } }"""
DAILY = "query { dailyPractice { exercises { id } } }"
DUE = "query { dueExercises { totalCount edges { node { id } } } }"
EXERCISES = "query($s: ExerciseStatus) { me { exercises(status: $s) { totalCount } } }"


async def test_an_unsupported_target_language_is_refused_naming_the_supported_ones(api):
    user, token = await api.user()
    body = (await api.gql(UPDATE, {"id": user["_id"], "l": "French"}, token=token)).json()
    ext = body["errors"][0]["extensions"]
    assert ext["code"] == "BAD_USER_INPUT" and ext["field"] == "targetLanguage"
    assert ext["supportedLanguages"] == ["English", "Spanish", "German"]
    for ok in ("Spanish", "es-MX", "Deutsch"):
        out = await api.data(UPDATE, {"id": user["_id"], "l": ok}, token=token)
        assert out["updateUser"]["targetLanguage"] == ok


async def test_sentences_written_before_a_language_switch_are_not_relabelled(api):
    user, token = await api.user(target_language="English")
    await said(
        api, user, "Yesterday I go to the beach.", [err("Grammar", "Verb Tense", "go", "went")]
    )
    await api.data(UPDATE, {"id": user["_id"], "l": "Spanish"}, token=token)
    made = (await api.data(GENERATE, {"n": 5}, token=token))["generateExercise"]
    assert {e["language"] for e in made} == {"Spanish"}
    assert not any("Yesterday I go" in e["prompt"] for e in made)


async def test_a_large_count_on_one_weak_spot_is_filled_without_repeats(api):
    user, token = await api.user()
    await said(
        api, user, "Yesterday I go to the beach.", [err("Grammar", "Verb Tense", "go", "went")]
    )
    first = (await api.data(GENERATE, {"n": 20}, token=token))["generateExercise"]
    second = (await api.data(GENERATE, {"n": 20}, token=token))["generateExercise"]
    assert len(first) == len(second) == 20
    db = api.services.db
    given = [
        d["bank_id"] async for d in db.exercises.find({"user_id": user["_id"]}, {"bank_id": 1})
    ]
    assert len(given) == 40 and len(set(given)) == 40  # nothing twice
    assert {e["subcategory"] for e in second} - {"Verb Tense"}  # neighbours filled in


async def test_pending_new_exercises_expire_but_reviews_wait(api):
    user, token = await api.user()
    db = api.services.db
    old = datetime.now(UTC) - timedelta(days=8)
    base = {
        "user_id": user["_id"],
        "language": "English",
        "category": "Grammar",
        "subcategory": "Articles",
        "type": "fill_in_the_blank",
        "difficulty": 2,
        "prompt": "p",
        "answer": "a",
        "status": "pending",
        "attempts": 0,
        "hints_used": 0,
        "created_at": old,
    }
    stale, review = str(uuid.uuid4()), str(uuid.uuid4())
    await db.exercises.insert_many(
        [
            {**base, "_id": stale},
            {**base, "_id": review, "review_of": "x", "due_at": old + timedelta(days=20)},
        ]
    )
    await api.data(GENERATE, {"n": 1}, token=token)
    assert (await db.exercises.find_one({"_id": stale}))["status"] == "expired"
    assert (await db.exercises.find_one({"_id": review}))["status"] == "pending"
    expired = (await api.data(EXERCISES, {"s": "EXPIRED"}, token=token))["me"]["exercises"]
    assert expired["totalCount"] == 1
    # Open new exercises never pile up past MAX_PENDING.
    for _ in range(3):
        await api.data(GENERATE, {"n": 10}, token=token)
    await db.exercises.update_many(
        {"user_id": user["_id"], "review_of": None},
        {"$set": {"created_at": datetime.now(UTC) - timedelta(days=2)}},
    )
    await api.data(GENERATE, {"n": 1}, token=token)
    pending = await db.exercises.count_documents(
        {"user_id": user["_id"], "status": "pending", "review_of": None}
    )
    assert pending <= 20


async def test_daily_practice_lists_only_reviews_due_now_like_due_exercises(api):
    user, token = await api.user()
    db = api.services.db
    now = datetime.now(UTC)
    review = {
        "_id": str(uuid.uuid4()),
        "user_id": user["_id"],
        "language": "English",
        "category": "Grammar",
        "subcategory": "Articles",
        "type": "fill_in_the_blank",
        "difficulty": 2,
        "prompt": "later today",
        "answer": "a",
        "status": "pending",
        "attempts": 0,
        "hints_used": 0,
        "created_at": now - timedelta(days=1),
        "due_at": now + timedelta(minutes=5),
        "review_of": "x",
    }
    await db.exercises.insert_one(review)
    due = (await api.data(DUE, token=token))["dueExercises"]
    daily = (await api.data(DAILY, token=token))["dailyPractice"]["exercises"]
    assert due["totalCount"] == 0
    assert review["_id"] not in {e["id"] for e in daily}


SUBMIT = """mutation($id: ID!, $a: String!) { submitExercise(id: $id, answer: $a) {
  exercise { status } } }"""


async def _missed_articles(api, token, user, language):
    """A typed Articles exercise in `language` answered wrongly three times: its skill's
    review is scheduled. Returns that review."""
    [item, *_] = [
        i for i in load_bank()[language][("Grammar", "Articles")] if i.type == "fill_in_the_blank"
    ]
    doc = await pending_exercise(api.services.db, user["_id"], item)
    for wrong in ("x y z", "z y x", "y x z"):
        await api.data(SUBMIT, {"id": doc["_id"], "a": wrong}, token=token)
    return await api.services.db.exercises.find_one({"review_of": doc["_id"]})


async def test_after_a_language_switch_reviews_stay_in_their_own_language(api):
    # Before: a learner who switched from Spanish to German found Spanish reviews at the
    # top of the German daily set and in dueExercises, and a German Articles miss moved
    # the Spanish Articles review instead of scheduling a German one.
    user, token = await api.user(target_language="Spanish")
    db = api.services.db
    spanish = await _missed_articles(api, token, user, "Spanish")
    assert spanish["language"] == "Spanish" and spanish["status"] == "pending"
    long_ago = (datetime.now(UTC) - timedelta(days=3)).replace(microsecond=0)
    await db.exercises.update_one({"_id": spanish["_id"]}, {"$set": {"due_at": long_ago}})
    await api.data(UPDATE, {"id": user["_id"], "l": "German"}, token=token)
    assert (await api.data(DUE, token=token))["dueExercises"]["totalCount"] == 0
    daily = "query { dailyPractice { exercises { id language } } }"
    exercises = (await api.data(daily, token=token))["dailyPractice"]["exercises"]
    assert {e["language"] for e in exercises} == {"German"}
    german = await _missed_articles(api, token, user, "German")
    assert german is not None and german["language"] == "German"
    assert german["status"] == "pending" and german["due_at"] > datetime.now(UTC)
    waiting = await db.exercises.find_one({"_id": spanish["_id"]})
    assert waiting["status"] == "pending" and waiting["due_at"] == long_ago  # not moved
    # Back to Spanish: the Spanish review is due again, the German one waits.
    await api.data(UPDATE, {"id": user["_id"], "l": "es"}, token=token)
    due = (await api.data(DUE, token=token))["dueExercises"]
    assert [e["node"]["id"] for e in due["edges"]] == [spanish["_id"]]


def test_the_heaviest_targets_get_the_most_exercises():
    weights = [6.65, 6.61, 2.90, 2.81]
    targets = [Target("Grammar", str(i), w) for i, w in enumerate(weights)]
    assert [n for _, n in allocate(targets, 5)] == [2, 1, 1, 1]
    for count in range(1, 21):
        shares = [n for _, n in allocate(targets, count)]
        assert sum(shares) == count
        assert shares == sorted(shares, reverse=True), (count, shares)
    three = [Target("Grammar", s, w) for s, w in (("a", 3.0), ("b", 2.0), ("c", 1.0))]
    assert [n for _, n in allocate(three, 6)] == [3, 2, 1]


DAILY_SET = "query { dailyPractice { date exercises { id language } } }"


async def test_a_language_switch_mid_day_gives_that_days_practice_in_the_new_language(api):
    # Before: the day's set was the first one built, so a learner who switched from
    # Spanish to German practised Spanish until local midnight.
    user, token = await api.user(target_language="Spanish")
    spanish = (await api.data(DAILY_SET, token=token))["dailyPractice"]
    assert spanish["exercises"] and {e["language"] for e in spanish["exercises"]} == {"Spanish"}
    await api.data(UPDATE, {"id": user["_id"], "l": "German"}, token=token)
    german = (await api.data(DAILY_SET, token=token))["dailyPractice"]
    assert german["date"] == spanish["date"]
    assert german["exercises"] and {e["language"] for e in german["exercises"]} == {"German"}
    assert german == (await api.data(DAILY_SET, token=token))["dailyPractice"]  # stable
    # Back to Spanish the same day: the day's Spanish set again, not a third one.
    await api.data(UPDATE, {"id": user["_id"], "l": "es"}, token=token)
    assert (await api.data(DAILY_SET, token=token))["dailyPractice"] == spanish
