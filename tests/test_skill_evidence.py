"""Skills a learner can trust (issue 22, items 3 and 4): first-attempt, later-attempt,
hinted and skipped answers are different evidence; ability moves with evidence, does not
drift towards "better" when idle, and carries a confidence the API exposes."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from resolvers.practice.skills import MASTERED_ABILITY
from tests.factories import finished_exercise

SKILLS = """{ progress { skills { subcategory ability confidence attempts accuracy }
  mastered { subcategory } struggling { subcategory } } }"""


async def skills(api, token):
    data = (await api.data(SKILLS, token=token))["progress"]
    return {s["subcategory"]: s for s in data["skills"]}, data


async def test_later_attempt_hinted_and_skipped_answers_are_weaker_evidence(api):
    user, token = await api.user()
    now = datetime.now(UTC)
    kinds = {
        "Articles": {"attempts": 1, "hints_used": 0},  # right at the first attempt
        "Plurals": {"attempts": 1, "hints_used": 1},  # right after a hint
        "Pronouns": {"attempts": 2, "hints_used": 0},  # right at the second attempt
    }
    docs = []
    for sub, extra in kinds.items():
        for i in range(5):
            at = now - timedelta(hours=10 - i)
            docs.append(finished_exercise(user["_id"], at, True, sub, **extra))
    for i in range(5):
        at = now - timedelta(hours=10 - i)
        skipped = finished_exercise(user["_id"], at, False, "Prepositions")
        skipped.update(status="skipped", outcome="skipped")
        docs.append(skipped)
    await api.services.db.exercises.insert_many(docs)
    by_sub, data = await skills(api, token)
    clean, hinted, later = by_sub["Articles"], by_sub["Plurals"], by_sub["Pronouns"]
    assert clean["ability"] > hinted["ability"] > later["ability"]
    assert (clean["accuracy"], hinted["accuracy"], later["accuracy"]) == (1.0, 0.0, 0.0)
    assert by_sub["Prepositions"]["ability"] < 0.5  # skipping is not knowing
    assert [m["subcategory"] for m in data["mastered"]] == ["Articles"]


async def test_a_skip_is_no_attempt_and_no_miss_in_accuracy(api):
    # Before: five skipped Prepositions read "attempts 5, accuracy 0.0" in progress.skills
    # while progress.points and me.exercises(status: COMPLETED) counted no answer at all.
    user, token = await api.user()
    now = datetime.now(UTC)
    docs = [finished_exercise(user["_id"], now - timedelta(hours=5), True, "Prepositions")]
    for i in range(5):
        skipped = finished_exercise(
            user["_id"], now - timedelta(hours=4 - i), False, "Prepositions"
        )
        skipped.update(status="skipped", outcome="skipped")
        docs.append(skipped)
    await api.services.db.exercises.insert_many(docs)
    by_sub, _ = await skills(api, token)
    prepositions = by_sub["Prepositions"]
    assert (prepositions["attempts"], prepositions["accuracy"]) == (1, 1.0)
    assert prepositions["ability"] < 0.6462  # the skips still weigh: one clean answer alone
    counted = "{ progress { points { exercisesAttempted } } me { exercises(status: COMPLETED) { totalCount } } }"
    out = await api.data(counted, token=token)
    assert sum(p["exercisesAttempted"] for p in out["progress"]["points"]) == 1
    assert out["me"]["exercises"]["totalCount"] == 1


async def test_after_a_language_switch_skills_are_the_new_languages(api):
    # Before: a learner who left Spanish for German read "struggling: Ser and Estar" (a
    # skill German has none of) and a German Articles ability made of Spanish misses.
    user, token = await api.user(target_language="Spanish")
    db = api.services.db
    now = datetime.now(UTC)
    spanish = [
        finished_exercise(user["_id"], now - timedelta(hours=9 - i), False, sub)
        | {"language": "Spanish"}
        for i, sub in enumerate(["Ser and Estar"] * 4 + ["Articles"] * 4)
    ]
    german = [
        finished_exercise(user["_id"], now - timedelta(hours=1), True) | {"language": "German"}
    ]
    await db.exercises.insert_many(spanish + german)
    by_sub, data = await skills(api, token)
    assert {"subcategory": "Ser and Estar"} in data["struggling"]
    assert by_sub["Articles"]["attempts"] == 4  # the Spanish ones
    await db.users.update_one({"_id": user["_id"]}, {"$set": {"target_language": "German"}})
    by_sub, data = await skills(api, token)
    assert set(by_sub) == {"Articles"} and data["struggling"] == []
    assert (by_sub["Articles"]["attempts"], by_sub["Articles"]["accuracy"]) == (1, 1.0)
    assert by_sub["Articles"]["ability"] == 0.6462  # one clean answer (the worked example)


async def test_guessing_at_three_choices_never_masters_a_skill(api):
    """Old: three attempts at three choices always ended CORRECT, accuracy 1.0."""
    user, token = await api.user()
    rng = random.Random(3)
    now = datetime.now(UTC)
    docs = []
    for i in range(20):  # one try each (3 choices): a guess is right a third of the time
        right = rng.random() < 1 / 3
        docs.append(finished_exercise(user["_id"], now - timedelta(hours=40 - i), right))
    await api.services.db.exercises.insert_many(docs)
    by_sub, data = await skills(api, token)
    assert by_sub["Articles"]["ability"] < 0.5 and data["mastered"] == []


async def test_consistent_success_masters_and_mixed_results_rank_below_it(api):
    user, token = await api.user()
    now = datetime.now(UTC)
    docs = [
        finished_exercise(user["_id"], now - timedelta(days=7 - i), True, "Adverb Placement")
        for i in range(7)
    ]
    for doc in docs:
        doc["category"] = "Word Order"
    rng = random.Random(5)
    outcomes = [True] * 12 + [False] * 7  # 63% over 19 answers
    rng.shuffle(outcomes)
    for i, ok in enumerate(outcomes):
        docs.append(
            finished_exercise(user["_id"], now - timedelta(days=19 - i), ok, "Common Misspellings")
            | {"category": "Spelling"}
        )
    await api.services.db.exercises.insert_many(docs)
    by_sub, data = await skills(api, token)
    adverbs, spelling = by_sub["Adverb Placement"], by_sub["Common Misspellings"]
    assert adverbs["ability"] >= MASTERED_ABILITY and adverbs["confidence"] >= 0.5
    assert {"subcategory": "Adverb Placement"} in data["mastered"]
    assert spelling["ability"] < adverbs["ability"]
    assert spelling["ability"] < 0.6  # 63% right is not the learner's best skill
    assert spelling["confidence"] > adverbs["confidence"]  # more evidence


async def test_an_idle_weak_skill_does_not_rise_and_becomes_unsure(api):
    """Old: after 45 idle days a weak skill rose from 0.442 to 0.4795 (towards the prior)."""
    user, token = await api.user()
    db = api.services.db
    now = datetime.now(UTC)
    long_ago = now - timedelta(days=45)
    results = [False, True, False, False, True]
    docs = [
        finished_exercise(user["_id"], long_ago - timedelta(days=len(results) - i), ok)
        for i, ok in enumerate(results)
    ]
    await db.exercises.insert_many(docs)
    idle = (await skills(api, token))[0]["Articles"]
    # The same evidence, read the day after it was given:
    other, other_token = await api.user()
    await db.exercises.insert_many(
        [
            {
                **d,
                "_id": d["_id"] + "-fresh",
                "user_id": other["_id"],
                "completed_at": d["completed_at"] + timedelta(days=44),
                "created_at": d["created_at"] + timedelta(days=44),
            }
            for d in docs
        ]
    )
    fresh = (await skills(api, other_token))[0]["Articles"]
    assert fresh["ability"] < 0.5  # weak
    assert idle["ability"] <= fresh["ability"] + 1e-4  # not "better" for being idle
    assert idle["confidence"] < fresh["confidence"] - 0.2  # but much less sure
