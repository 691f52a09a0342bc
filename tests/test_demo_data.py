"""The demo data a fresh `make run` shows reads like real tutoring.

Seeded the way the embedded database is seeded on start-up (20 learners, seed 42): many
distinct learner sentences in three target languages, mistakes that are really in the
sentence, tutor replies that name the fix and don't repeat, and four weeks of practice.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gateway.auth import issue_token
from resolvers.demo.corpus import check_language, load_corpus
from resolvers.demo.corpus.common import TOPICS
from resolvers.demo.corpus.model import TENSE, E, U
from resolvers.demo.seed import DEMO_LEARNER_STREAK, PRACTICE_DAYS, seed_database
from resolvers.localtime import local_date, validate_time_zone, zone
from resolvers.practice.bank import bank_for
from resolvers.taxonomy import TAXONOMY

LANGUAGES = {"English", "Spanish", "German"}
MAX_REPLY_REUSE = 3


async def _seeded(api: Any, now: datetime) -> dict[str, list[dict[str, Any]]]:
    db = api.services.db
    summary = await seed_database(db, users=20, seed=42, now=now)
    return {
        "users": [u async for u in db.users.find({"role": "user"})],
        "messages": [
            m async for m in db.messages.find({}).sort([("session_id", 1), ("timestamp", 1)])
        ],
        "exercises": [e async for e in db.exercises.find({})],
        "sessions": [s async for s in db.sessions.find({})],
        "demo": [u async for u in db.users.find({"_id": summary.learner_id})],
    }


def test_the_corpus_has_hundreds_of_distinct_sentences_in_every_language() -> None:
    corpora = load_corpus()
    assert set(corpora) == LANGUAGES
    everything = set()
    for language, corpus in corpora.items():
        texts = {u.text for rows in corpus.utterances.values() for u in rows}
        assert len(texts) >= 100, language
        everything |= texts
        pairs = {e.pair for rows in corpus.utterances.values() for u in rows for e in u.errors}
        assert len(pairs) >= 12, f"{language} covers only {len(pairs)} subcategories"
        for topic, clean in corpus.clean.items():
            assert clean and all(not u.errors for u in clean), (language, topic)
    assert len(everything) >= 300


def test_the_corpus_check_refuses_a_mistake_that_is_not_in_the_sentence() -> None:
    english = load_corpus()["English"]
    broken = U(
        "Yesterday I go to the beach.",
        E("I goes", "I went", TENSE, "Finished past time takes the past simple."),
    )
    made_up = U(
        "Yesterday I go to the park.",
        E("I go", "I went", ("Grammar", "Made Up"), "Finished past time takes the past simple."),
    )
    rows = {**english.utterances, "Travel": (*english.utterances["Travel"], broken, made_up)}
    problems = "\n".join(check_language(dataclasses.replace(english, utterances=rows)))
    assert "'I goes' occurs 0 times" in problems
    assert "('Grammar', 'Made Up') is not in the taxonomy" in problems


@pytest.mark.slow
async def test_seeded_conversations_read_like_tutoring(api: Any) -> None:
    data = await _seeded(api, datetime.now(UTC))
    users = {u["_id"]: u for u in data["users"]}
    assert {u["target_language"] for u in users.values()} == LANGUAGES
    with_zone = [u for u in users.values() if u.get("time_zone")]
    assert len(with_zone) >= 0.6 * len(users)
    assert all(validate_time_zone(u["time_zone"]) == u["time_zone"] for u in with_zone)

    messages = data["messages"]
    learner = [m for m in messages if m["role"] == "user"]
    assert len({m["content"] for m in learner}) >= 300
    by_language = Counter(users[m["user_id"]]["target_language"] for m in learner)
    assert set(by_language) == LANGUAGES

    corpora = load_corpus()
    topics_of = {s["_id"]: s["topic"] for s in data["sessions"]}
    said = {
        (language, topic): {u.text for u in (*c.utterances[topic], *c.clean[topic])}
        for language, c in corpora.items()
        for topic in c.utterances
    }
    for m in learner:
        for error in m["errors"]:
            assert error["excerpt"] in m["content"], m
            assert error["subcategory"] in TAXONOMY[error["category"]], m
            fixed = m["content"].replace(error["excerpt"], error["correction"], 1)
            assert fixed != m["content"], m
        if m["errors"]:  # the sentence belongs to the session's topic, in the right language
            key = (users[m["user_id"]]["target_language"], topics_of[m["session_id"]])
            assert m["content"] in said[key], (key, m["content"])

    replies = [m for m in messages if m["role"] == "assistant"]
    openings = {
        language: tuple(t.split("{")[0] for t in c.voice.corrections)
        for language, c in corpora.items()
    }
    for before, after in itertools.pairwise(messages):
        if before["role"] == "user" and before["errors"]:
            assert after["role"] == "assistant" and after["session_id"] == before["session_id"]
            for error in before["errors"]:
                assert error["correction"] in after["content"], (before, after["content"])
            language = users[before["user_id"]]["target_language"]
            assert after["content"].startswith(openings[language]), (language, after["content"])
    reuse = Counter(m["content"] for m in replies).most_common(1)[0]
    assert reuse[1] <= MAX_REPLY_REUSE, reuse

    rated = [m for m in replies if "rating" in m]
    assert rated and all(1 <= m["rating"] <= 5 and isinstance(m["helpful"], bool) for m in rated)
    assert not [m for m in learner if "rating" in m]


@pytest.mark.slow
async def test_seeded_practice_spans_the_last_four_weeks(api: Any) -> None:
    now = datetime.now(UTC)
    data = await _seeded(api, now)
    users = {u["_id"]: u for u in data["users"]}
    exercises = data["exercises"]
    window = now - timedelta(days=PRACTICE_DAYS)
    finished = [e for e in exercises if e["status"] != "pending"]
    assert finished and all(
        window <= e["completed_at"].replace(tzinfo=UTC) <= now for e in finished
    )
    assert {e["outcome"] for e in finished} == {"correct", "incorrect", "skipped"}
    assert all(
        e["status"] == ("skipped" if e["outcome"] == "skipped" else "completed") for e in finished
    )
    assert all(e.get("outcome") is None for e in exercises if e["status"] == "pending")
    assert all(e["language"] == users[e["user_id"]]["target_language"] for e in exercises)
    missed = [e for e in finished if e["outcome"] == "incorrect"]
    assert missed and all(e.get("due_at") for e in missed)
    reviews = [e for e in exercises if e.get("review_of")]
    assert reviews and any(r["status"] == "pending" for r in reviews)
    # Every language with a bank gets practice; days with exercises spread over the window.
    practised = {users[e["user_id"]]["target_language"] for e in exercises}
    for language in LANGUAGES:
        try:
            bank_for(language)
        except KeyError:
            continue
        assert language in practised, language
    days = {e["completed_at"].date() for e in finished}
    assert len(days) >= PRACTICE_DAYS // 2

    demo = data["demo"][0]
    tz = zone(demo.get("time_zone"))
    assert demo["streak_days"] >= DEMO_LEARNER_STREAK
    assert demo["streak_last_day"] in {
        local_date(now, tz).isoformat(),
        (local_date(now, tz) - timedelta(days=1)).isoformat(),
    }


@pytest.mark.slow
async def test_the_seed_is_deterministic_for_a_given_seed(api: Any) -> None:
    now = datetime.now(UTC)
    first = await _seeded(api, now)
    db = api.services.db
    await db.users.delete_many({"role": "user"})
    for name in ("sessions", "messages", "exercises"):
        await db.collection(name).delete_many({})
    second = await _seeded(api, now)
    for name in ("users", "messages", "exercises"):
        assert _stable(first[name]) == _stable(second[name]), name


def _stable(rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return sorted(
        (str(r["_id"]), str(r.get("content") or r.get("email") or r.get("prompt"))) for r in rows
    )


@pytest.mark.parametrize("hour", range(0, 24, 3))
async def test_the_demo_learner_has_reviews_due_at_any_hour_of_the_day(api: Any, hour: int) -> None:
    """Reviews fall due at the time of day their skill was practised: the demo learner's
    queue was empty from 06:00 to 18:00 UTC (the afternoon in Lima), `make run`'s first
    screen in a European morning."""
    now = datetime(2026, 12, 7, hour, 21, tzinfo=UTC)
    summary = await seed_database(api.services.db, users=1, seed=42, now=now)
    pending = await api.services.db.exercises.find(
        {"user_id": summary.learner_id, "status": "pending", "due_at": {"$lte": now}}
    ).to_list(None)
    assert len(pending) >= 1, f"nothing due at {now:%H:%M} UTC"


DEMO_LEARNER_VIEW = """{
  me { targetLanguage timeZone streakDays }
  progress { points { messages errors exercisesAttempted exercisesCorrect }
             skills { subcategory ability attempts } bests { longestStreakDays } }
  dueExercises(first: 5) { edges { node { language outcome dueAt } } }
  dailyPractice { total exercises { language } }
}"""


@pytest.mark.slow
async def test_a_fresh_demo_learner_sees_progress_streak_and_reviews(api: Any) -> None:
    summary = await seed_database(api.services.db, users=20, seed=42)
    token = issue_token(api.services.settings, summary.learner_id)
    data = await api.data(DEMO_LEARNER_VIEW, token=token)
    me, progress = data["me"], data["progress"]
    assert me["timeZone"] and me["streakDays"] >= DEMO_LEARNER_STREAK
    points = progress["points"]
    assert sum(p["messages"] for p in points) > 0 and sum(p["errors"] for p in points) > 0
    assert sum(1 for p in points if p["exercisesAttempted"]) >= DEMO_LEARNER_STREAK
    assert (
        0
        < sum(p["exercisesCorrect"] for p in points)
        < sum(p["exercisesAttempted"] for p in points)
    )
    assert any(s["attempts"] > 0 for s in progress["skills"])
    assert progress["bests"]["longestStreakDays"] >= DEMO_LEARNER_STREAK
    due = [e["node"] for e in data["dueExercises"]["edges"]]
    assert due and all(d["language"] == me["targetLanguage"] and d["outcome"] is None for d in due)
    daily = data["dailyPractice"]
    assert daily["total"] > 0
    assert {e["language"] for e in daily["exercises"]} == {me["targetLanguage"]}


ADMIN_VIEW = """query($from: DateTime, $to: DateTime) {
  providerStats(from: $from, to: $to) { provider model requests ratedCount avgRating helpfulShare }
  costReport(from: $from, to: $to) { byTopic { key requests } byTier { key requests } }
}"""


@pytest.mark.slow
async def test_an_admin_sees_ratings_per_provider_and_cost_per_topic(api: Any) -> None:
    now = datetime.now(UTC)
    await seed_database(api.services.db, users=20, seed=42, now=now)
    _, admin = await api.admin()
    window = {"from": (now - timedelta(days=60)).isoformat(), "to": now.isoformat()}
    data = await api.data(ADMIN_VIEW, window, token=admin)
    stats = data["providerStats"]
    assert sum(s["ratedCount"] for s in stats) > 0
    rated = [s for s in stats if s["ratedCount"]]
    assert all(1 <= s["avgRating"] <= 5 and 0 <= s["helpfulShare"] <= 1 for s in rated)
    topics = {b["key"] for b in data["costReport"]["byTopic"]}
    assert topics and topics <= set(TOPICS)
    assert {b["key"] for b in data["costReport"]["byTier"]} <= {"free", "pro", "premium"}
