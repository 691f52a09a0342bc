"""Error statistics and exercises: targeting, decay math, lifecycle."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from resolvers.decay import growth, weight_at, weight_of
from resolvers.localtime import local_date, start_of, zone
from resolvers.messages import apply_message
from resolvers.practice.bank import load_bank
from tests.factories import finished_exercise

STATS = """query($id: ID!, $since: DateTime, $until: DateTime, $top: Int) {
  errorStats(userId: $id, since: $since, until: $until, top: $top) {
    userId totalErrors since until
    items { category subcategory count share weight firstSeen lastSeen } } }"""
GENERATE = """mutation($id: ID!, $n: Int, $c: String) { generateExercise(userId: $id, count: $n, category: $c) {
  id type category subcategory difficulty prompt choices status attempts hintsUsed createdAt dueAt user { id } } }"""
SUBMIT = """mutation($id: ID!, $a: String!) { submitExercise(id: $id, answer: $a) {
  correct feedback expected attemptsLeft exercise { id status attempts completedAt dueAt } } }"""
HINT = "mutation($id: ID!) { requestHint(id: $id) { text hintsUsed hintsRemaining } }"
NOW = datetime.now(UTC)


async def history(api, user_id, errors, language="English"):
    """errors: [(days_ago, category, subcategory, excerpt, correction, content)] applied
    through the same incremental path recordMessage uses (which stores the language)."""
    db = api.services.db
    # Ages are measured from now, not from import time: a long suite must not age them.
    now = datetime.now(UTC)
    session_id = str(uuid.uuid4())
    await db.sessions.insert_one(
        {
            "_id": session_id,
            "user_id": user_id,
            "started_at": now - timedelta(days=400),
            "status": "completed",
            "total_messages": 0,
            "total_tokens": 0,
            "total_cost": 0.0,
        }
    )
    for days_ago, cat, sub, *extra in errors:
        excerpt, correction, content = [*extra, None, None, None][:3]
        err = {"category": cat, "subcategory": sub}
        if excerpt:
            err |= {"excerpt": excerpt, "correction": correction}
        doc = {
            "_id": str(uuid.uuid4()),
            "session_id": session_id,
            "user_id": user_id,
            "role": "user",
            "content": content or f"sentence with a {sub} error",
            "timestamp": now - timedelta(days=days_ago),
            "errors": [err],
            "language": language,
            "applied": False,
        }
        await db.messages.insert_one(doc)
        await apply_message(db, doc, api.services.settings.error_half_life_days)


def test_decay_math_matches_hand_computed_values():
    h = 14.0
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    assert weight_of(t0, t0, h) == pytest.approx(1.0)
    assert weight_of(t0, t0 + timedelta(days=14), h) == pytest.approx(0.5)
    assert weight_of(t0, t0 + timedelta(days=28), h) == pytest.approx(0.25)
    assert weight_of(t0, t0 + timedelta(days=7), h) == pytest.approx(1 / math.sqrt(2))
    # Three errors 0, 14 and 28 days before "now": 1 + 0.5 + 0.25.
    now = t0 + timedelta(days=28)
    total = sum(growth(t0 + timedelta(days=d), h) for d in (0, 14, 28))
    assert weight_at(total, now, h) == pytest.approx(1.75)
    assert weight_at(0.0, now, h) == 0.0


async def test_error_stats_counts_shares_and_weights(api):
    user, token = await api.user()
    await history(
        api,
        user["_id"],
        [
            (0, "Grammar", "Verb Tense"),
            (14, "Grammar", "Verb Tense"),
            (28, "Grammar", "Articles"),
            (28, "Grammar", "Articles"),
            (28, "Grammar", "Articles"),
        ],
    )
    stats = (await api.data(STATS, {"id": user["_id"]}, token=token))["errorStats"]
    assert stats["totalErrors"] == 5 and stats["since"] is None
    first, second = stats["items"]
    assert (first["subcategory"], first["count"]) == ("Verb Tense", 2)
    assert first["weight"] == pytest.approx(1.5, rel=1e-4)
    assert first["share"] == pytest.approx(0.4)
    assert (second["subcategory"], second["count"]) == ("Articles", 3)
    assert second["weight"] == pytest.approx(0.75, rel=1e-4)
    assert datetime.fromisoformat(first["lastSeen"]) > datetime.fromisoformat(first["firstSeen"])
    top1 = (await api.data(STATS, {"id": user["_id"], "top": 1}, token=token))["errorStats"]
    assert len(top1["items"]) == 1 and top1["totalErrors"] == 5


async def test_precomputed_and_windowed_paths_agree(api):
    user, token = await api.user()
    await history(
        api,
        user["_id"],
        [(d, "Grammar", "Verb Tense") for d in (1, 3, 40)]
        + [(d, "Vocabulary", "Word Choice") for d in (2, 90, 200)]
        + [(5, "Spelling", "Common Misspellings")],
    )
    pre = (await api.data(STATS, {"id": user["_id"]}, token=token))["errorStats"]
    window = {
        "id": user["_id"],
        "since": (NOW - timedelta(days=365)).isoformat(),
        "until": (NOW + timedelta(days=1)).isoformat(),
    }
    agg = (await api.data(STATS, window, token=token))["errorStats"]
    assert agg["totalErrors"] == pre["totalErrors"] == 7
    assert [(i["category"], i["subcategory"], i["count"]) for i in agg["items"]] == [
        (i["category"], i["subcategory"], i["count"]) for i in pre["items"]
    ]
    for a, p in zip(agg["items"], pre["items"], strict=True):
        assert a["weight"] == pytest.approx(p["weight"], rel=1e-3)
        assert a["share"] == pytest.approx(p["share"])
        assert a["firstSeen"] == p["firstSeen"] and a["lastSeen"] == p["lastSeen"]
    recent = await api.data(
        STATS, {"id": user["_id"], "since": (NOW - timedelta(days=10)).isoformat()}, token=token
    )
    assert recent["errorStats"]["totalErrors"] == 4


async def test_error_stats_input_and_access(api):
    user, token = await api.user()
    _, other = await api.user()
    bad_top = (await api.gql(STATS, {"id": user["_id"], "top": 0}, token=token)).json()
    assert bad_top["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "top"}
    inverted = (
        await api.gql(
            STATS,
            {
                "id": user["_id"],
                "since": NOW.isoformat(),
                "until": (NOW - timedelta(days=1)).isoformat(),
            },
            token=token,
        )
    ).json()
    assert inverted["errors"][0]["extensions"]["field"] == "since"
    foreign = (await api.gql(STATS, {"id": user["_id"]}, token=other)).json()
    assert foreign["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_recent_errors_outweigh_older_more_numerous_ones(api):
    user, token = await api.user(level="B1")
    await history(
        api,
        user["_id"],
        [(120 + i, "Grammar", "Articles") for i in range(12)]
        + [(d, "Grammar", "Verb Tense") for d in (0, 1, 2)],
    )
    stats = (await api.data(STATS, {"id": user["_id"]}, token=token))["errorStats"]
    assert stats["items"][0]["subcategory"] == "Verb Tense"
    assert stats["items"][1]["count"] == 12  # more numerous, but old
    made = (await api.data(GENERATE, {"id": user["_id"], "n": 4}, token=token))["generateExercise"]
    assert len(made) == 4
    assert {e["subcategory"] for e in made} == {"Verb Tense"}
    assert all(
        e["status"] == "PENDING" and e["attempts"] == 0 and e["user"]["id"] == user["_id"]
        for e in made
    )


async def test_count_is_spread_over_the_heaviest_targets(api):
    user, token = await api.user()
    await history(
        api,
        user["_id"],
        [(0, "Grammar", "Verb Tense")] * 3
        + [(0, "Grammar", "Articles")] * 2
        + [(0, "Vocabulary", "Collocations")],
    )
    made = (await api.data(GENERATE, {"id": user["_id"], "n": 6}, token=token))["generateExercise"]
    by_target = {}
    for e in made:
        by_target[e["subcategory"]] = by_target.get(e["subcategory"], 0) + 1
    assert by_target == {"Verb Tense": 3, "Articles": 2, "Collocations": 1}


async def test_category_filter_and_bad_input(api):
    user, token = await api.user()
    _, other = await api.user()
    await history(
        api, user["_id"], [(0, "Grammar", "Verb Tense"), (1, "Vocabulary", "Word Choice")]
    )
    made = (await api.data(GENERATE, {"id": user["_id"], "n": 2, "c": "vocabulary"}, token=token))[
        "generateExercise"
    ]
    assert {e["category"] for e in made} == {"Vocabulary"}
    unknown = (await api.gql(GENERATE, {"id": user["_id"], "c": "Poetry"}, token=token)).json()
    ext = unknown["errors"][0]["extensions"]
    assert ext["code"] == "BAD_USER_INPUT" and ext["field"] == "category"
    assert "Grammar" in unknown["errors"][0]["message"] and "Word Order" in ext["validCategories"]
    for n in (0, 21):
        body = (await api.gql(GENERATE, {"id": user["_id"], "n": n}, token=token)).json()
        assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "count"}
    foreign = (await api.gql(GENERATE, {"id": user["_id"]}, token=other)).json()
    assert foreign["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert await api.services.db.exercises.count_documents({}) == 2


async def test_no_repeats_of_recently_seen_exercises(api):
    user, token = await api.user()
    await history(api, user["_id"], [(0, "Grammar", "Verb Tense")])
    first = (await api.data(GENERATE, {"id": user["_id"], "n": 3}, token=token))["generateExercise"]
    second = (await api.data(GENERATE, {"id": user["_id"], "n": 3}, token=token))[
        "generateExercise"
    ]
    # Compared by bank item: reorder exercises share one prompt and differ in their words.
    ids = [e["id"] for e in first + second]
    stored = [d async for d in api.services.db.exercises.find({"_id": {"$in": ids}})]
    assert len({d["bank_id"] for d in stored}) == 6


async def test_own_sentences_become_error_correction_exercises(api):
    user, token = await api.user()
    await history(
        api,
        user["_id"],
        [
            (
                0,
                "Grammar",
                "Prepositions",
                "arrived to",
                "arrived at",
                "We arrived to the hotel very late.",
            )
        ],
    )
    made = (await api.data(GENERATE, {"id": user["_id"], "n": 2}, token=token))["generateExercise"]
    own = made[0]
    assert own["type"] == "ERROR_CORRECTION"
    assert "We arrived to the hotel very late." in own["prompt"]
    result = await api.data(
        SUBMIT, {"id": own["id"], "a": "we arrived at the hotel very late"}, token=token
    )
    assert result["submitExercise"]["correct"] is True


async def test_learner_without_errors_gets_level_appropriate_exercises(api):
    beginner, btoken = await api.user(level="A1")
    advanced, atoken = await api.user(level="C1")
    easy = (await api.data(GENERATE, {"id": beginner["_id"], "n": 5}, token=btoken))[
        "generateExercise"
    ]
    hard = (await api.data(GENERATE, {"id": advanced["_id"], "n": 5}, token=atoken))[
        "generateExercise"
    ]
    assert len(easy) == 5 and len(hard) == 5
    assert sum(e["difficulty"] for e in easy) / 5 < sum(e["difficulty"] for e in hard) / 5
    assert any(e["category"] == "Grammar" for e in easy)


async def test_difficulty_follows_ability(api):
    """Same level, same target: the learner who keeps succeeding gets harder exercises
    than the one who keeps missing (README: Learning > Adaptive difficulty)."""
    db = api.services.db
    made = {}
    for name, correct in (("strong", True), ("weak", False)):
        user, token = await api.user(level="B1")
        await history(api, user["_id"], [(0, "Grammar", "Articles")])
        await db.exercises.insert_many(
            [
                finished_exercise(
                    user["_id"],
                    NOW - timedelta(days=1, minutes=i),
                    correct,
                    bank_id=f"old-{i}",
                )
                for i in range(8)
            ]
        )
        made[name] = (await api.data(GENERATE, {"id": user["_id"], "n": 1}, token=token))[
            "generateExercise"
        ]
    assert all(e["subcategory"] == "Articles" for e in made["strong"] + made["weak"])
    assert min(e["difficulty"] for e in made["strong"]) > max(e["difficulty"] for e in made["weak"])


async def test_a_weak_learner_who_did_the_easy_items_gets_no_harder_ones(api):
    # Before: a learner missing every Articles item got, once the skill's 13 items of
    # difficulty 1-2 had been given in the last 30 days, Articles at difficulty 3, 4 and
    # 5 (at ability 0.05 a difficulty 3 succeeds 1 time in 12): the nearest fresh item,
    # however far. Now easy items of neighbouring skills come instead.
    user, token = await api.user(level="A2")
    db = api.services.db
    await history(api, user["_id"], [(0, "Grammar", "Articles")])
    easy = [i for i in load_bank()["English"][("Grammar", "Articles")] if i.difficulty <= 2]
    await db.exercises.insert_many(
        [
            finished_exercise(
                user["_id"],
                NOW - timedelta(days=1, minutes=n),
                False,
                difficulty=item.difficulty,
                bank_id=item.id,
            )
            for n, item in enumerate(easy)
        ]
    )
    made = (await api.data(GENERATE, {"id": user["_id"], "n": 5}, token=token))["generateExercise"]
    assert len(made) == 5
    assert max(e["difficulty"] for e in made) <= 2, made
    assert "Articles" not in {e["subcategory"] for e in made}


async def exercise_for(api, token, user_id, subcategory="Verb Tense"):
    await history(api, user_id, [(0, "Grammar", subcategory)])
    [made] = (await api.data(GENERATE, {"id": user_id, "n": 1}, token=token))["generateExercise"]
    stored = await api.services.db.exercises.find_one({"_id": made["id"]})
    return made, stored


def _day_start(answered: datetime, days: int) -> datetime:
    """The start of the day `days` after `answered`, for a learner with no zone (UTC)."""
    return start_of(local_date(answered + timedelta(days=days), zone(None)), zone(None))


async def test_submit_correct_answer_completes_and_starts_a_streak(api):
    user, token = await api.user()
    made, stored = await exercise_for(api, token, user["_id"])
    shouted = "  " + stored["answer"].upper() + "!!  "
    result = (await api.data(SUBMIT, {"id": made["id"], "a": shouted}, token=token))[
        "submitExercise"
    ]
    assert result["correct"] is True and result["expected"] == stored["answer"]
    assert result["exercise"]["status"] == "COMPLETED" and result["exercise"]["completedAt"]
    # Right first time, straight away: FSRS rates it Easy, the skill is back in 8 days
    # (the old ladder never reviewed it again).
    # Due from the start of that day (local midnight; UTC for a learner with no zone).
    answered = datetime.fromisoformat(result["exercise"]["completedAt"])
    assert datetime.fromisoformat(result["exercise"]["dueAt"]) == _day_start(answered, 8)
    # The same answer again (a retry after a lost response) answers as the first did;
    # another answer to a finished exercise is refused.
    again = (await api.data(SUBMIT, {"id": made["id"], "a": stored["answer"]}, token=token))[
        "submitExercise"
    ]
    assert again["correct"] is True and again["exercise"]["status"] == "COMPLETED"
    other = (await api.gql(SUBMIT, {"id": made["id"], "a": "something else"}, token=token)).json()
    assert other["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "id"}
    me = (
        await api.data(
            "{ me { streakDays exercises(status: COMPLETED) { totalCount } } }", token=token
        )
    )["me"]
    assert me == {"streakDays": 1, "exercises": {"totalCount": 1}}


async def test_three_misses_finish_the_exercise_and_schedule_review(api):
    user, token = await api.user()
    made, stored = await exercise_for(api, token, user["_id"])
    if stored["type"] == "multiple_choice":  # fewer tries: see test_exercise_answers.py
        await api.services.db.exercises.update_one(
            {"_id": made["id"]}, {"$set": {"type": "fill_in_the_blank", "choices": []}}
        )
    first = (await api.data(SUBMIT, {"id": made["id"], "a": "wrong"}, token=token))[
        "submitExercise"
    ]
    assert first["correct"] is False and first["expected"] is None and first["attemptsLeft"] == 2
    assert first["exercise"]["status"] == "PENDING"
    await api.data(SUBMIT, {"id": made["id"], "a": "still wrong"}, token=token)
    last = (await api.data(SUBMIT, {"id": made["id"], "a": "nope"}, token=token))["submitExercise"]
    assert last["correct"] is False and last["expected"] == stored["answer"]
    assert last["exercise"]["status"] == "COMPLETED" and last["exercise"]["attempts"] == 3
    due = datetime.fromisoformat(last["exercise"]["dueAt"])
    answered = datetime.fromisoformat(last["exercise"]["completedAt"])
    assert due == _day_start(answered, 1)  # Again: tomorrow
    me = (await api.data("{ me { streakDays } }", token=token))["me"]
    assert me["streakDays"] == 0


async def test_hints_come_in_order_and_the_last_one_repeats(api):
    user, token = await api.user()
    made, stored = await exercise_for(api, token, user["_id"])
    hints = stored["hints"]
    for i, expected in enumerate(hints, 1):
        got = (await api.data(HINT, {"id": made["id"]}, token=token))["requestHint"]
        assert got == {"text": expected, "hintsUsed": i, "hintsRemaining": len(hints) - i}
    again = (await api.data(HINT, {"id": made["id"]}, token=token))["requestHint"]
    assert again == {"text": hints[-1], "hintsUsed": len(hints), "hintsRemaining": 0}
    ex = await api.data(
        "query($id: ID!) { exercise(id: $id) { hintsUsed } }", {"id": made["id"]}, token=token
    )
    assert ex["exercise"]["hintsUsed"] == len(hints)
    done = (await api.data(SUBMIT, {"id": made["id"], "a": stored["answer"]}, token=token))[
        "submitExercise"
    ]
    assert done["correct"] is True and done["exercise"]["dueAt"] is not None  # needed help: review


async def test_someone_elses_exercise_is_not_found(api):
    user, token = await api.user()
    _, other = await api.user()
    made, stored = await exercise_for(api, token, user["_id"])
    for query, variables in (
        (SUBMIT, {"id": made["id"], "a": stored["answer"]}),
        (HINT, {"id": made["id"]}),
    ):
        body = (await api.gql(query, variables, token=other)).json()
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert (await api.services.db.exercises.find_one({"_id": made["id"]}))["attempts"] == 0


async def test_streak_continues_from_yesterday(api):
    user, token = await api.user()
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    await api.services.db.users.update_one(
        {"_id": user["_id"]}, {"$set": {"streak_days": 4, "streak_last_day": yesterday}}
    )
    assert (await api.data("{ me { streakDays } }", token=token))["me"]["streakDays"] == 4
    made, stored = await exercise_for(api, token, user["_id"])
    await api.data(SUBMIT, {"id": made["id"], "a": stored["answer"]}, token=token)
    assert (await api.data("{ me { streakDays } }", token=token))["me"]["streakDays"] == 5


async def test_broken_streak_reads_as_zero(api):
    user, token = await api.user()
    old = (datetime.now(UTC).date() - timedelta(days=3)).isoformat()
    await api.services.db.users.update_one(
        {"_id": user["_id"]}, {"$set": {"streak_days": 9, "streak_last_day": old}}
    )
    assert (await api.data("{ me { streakDays } }", token=token))["me"]["streakDays"] == 0


def test_answer_normalisation():
    from resolvers.practice.bank import answers_match

    assert answers_match("where do you live", ["Where do you live?"], "Word Order")
    assert answers_match("  WHERE   do you live ?", ["Where do you live?"], "Word Order")
    assert answers_match("My sister and I", ["I", "My sister and I"], "Grammar")
    assert not answers_match("Where you live", ["Where do you live?"], "Word Order")
    # Punctuation is the point of punctuation exercises: commas and apostrophes count.
    assert answers_match(
        "however, i don\u2019t agree with you", ["However, I don't agree with you."], "Punctuation"
    )
    assert not answers_match(
        "However I don't agree with you", ["However, I don't agree with you."], "Punctuation"
    )
    assert not answers_match("its raining", ["It's"], "Punctuation")


STREAKS = "{ me { streakDays } progress { bests { longestStreakDays } } }"


async def _three_day_run(api, user_id):
    now = datetime.now(UTC)
    await api.services.db.exercises.insert_many(
        [finished_exercise(user_id, now - timedelta(hours=1 + 24 * d), True) for d in range(3)]
    )


async def test_a_time_zone_change_recounts_the_streak_in_the_new_zone(api):
    # Found by a frontend team: after a learner changed time zone, me.streakDays read 26
    # while progress.bests.longestStreakDays read 10 (the counter kept the old zone's days).
    user, token = await api.user()
    await _three_day_run(api, user["_id"])
    today = datetime.now(UTC).date().isoformat()
    await api.services.db.users.update_one(
        {"_id": user["_id"]}, {"$set": {"streak_days": 26, "streak_last_day": today}}
    )
    await api.data(
        'mutation($id: ID!) { updateUser(id: $id, input: {timeZone: "Asia/Tokyo"}) { id } }',
        {"id": user["_id"]},
        token,
    )
    data = await api.data(STREAKS, token=token)
    assert data["me"]["streakDays"] == 3
    assert data["progress"]["bests"]["longestStreakDays"] == 3


async def test_a_time_zone_change_keeps_a_streak_longer_than_the_history_read(api):
    # Before: a 400-day streak read 366 after a change of time zone (the recount reads the
    # last 366 local days, and the run filled them all).
    user, token = await api.user()
    now = datetime.now(UTC)
    await api.services.db.exercises.insert_many(
        [
            finished_exercise(user["_id"], now - timedelta(hours=1 + 24 * d), True)
            for d in range(370)
        ]
    )
    today = now.date().isoformat()
    await api.services.db.users.update_one(
        {"_id": user["_id"]}, {"$set": {"streak_days": 400, "streak_last_day": today}}
    )
    await api.data(
        'mutation($id: ID!) { updateUser(id: $id, input: {timeZone: "Asia/Tokyo"}) { id } }',
        {"id": user["_id"]},
        token,
    )
    data = await api.data(STREAKS, token=token)
    assert data["me"]["streakDays"] == 400
    assert data["progress"]["bests"]["longestStreakDays"] == 400


async def test_the_longest_streak_is_never_shorter_than_the_current_one(api):
    user, token = await api.user()
    await _three_day_run(api, user["_id"])
    today = datetime.now(UTC).date().isoformat()
    await api.services.db.users.update_one(  # a run begun before the 366 days bests read
        {"_id": user["_id"]}, {"$set": {"streak_days": 400, "streak_last_day": today}}
    )
    data = await api.data(STREAKS, token=token)
    assert data["me"]["streakDays"] == 400
    assert data["progress"]["bests"]["longestStreakDays"] == 400
