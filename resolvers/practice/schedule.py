"""Spaced review with FSRS: one memory card per (learner, skill), and a fresh item when due.

Every finished exercise is a review of its skill's card (collection `skill_cards`, _id
"<user>|<category>|<subcategory>"), graded from how it went:

| outcome | FSRS rating |
|---|---|
| missed (out of attempts), or a skipped review | Again |
| solved after a wrong attempt or with a hint | Hard |
| solved at the first attempt without a hint | Good |
| that, within FAST_SECONDS of the exercise being generated | Easy |

Skipping new material is not evidence of memory and leaves the card alone. The FSRS
scheduler (the maintained `fsrs` package, default parameters, desired retention 0.9, no
learning steps and no fuzz so days are days and a schedule is reproducible) turns the
card's stability and difficulty into the next due day: a review is due from the start of
that day in the learner's time zone (`on_its_day`), so a set built at any hour of it has it.

When a skill's card falls due the learner does not get the same string again: each skill
has at most one pending review exercise, a *fresh* item of that skill drawn from the bank
(not one given in the last 30 days while others are left), due on the card's due day.
A later answer in the same skill moves that review's due time with the card. A skill with
no bank item left within DIFFICULTY_SLACK of the aim falls back to repeating the exercise.
`dueExercises` lists reviews once due; daily practice puts them first.

A review is practice in the language it was written in. After a switch of target language
the old language's reviews wait (they come back if the learner switches back) and the new
language's answers schedule reviews of their own: the skill's pending review is looked for
in the answered exercise's language, so a German answer never moves, or stands in for, a
Spanish review of the same skill. The card itself stays one per skill.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, uuid5
from zoneinfo import ZoneInfo

from fsrs import Card, Rating, Scheduler
from pymongo import ReturnDocument

from models.db import Database, DuplicateKeyError
from resolvers.localtime import local_date, start_of
from resolvers.practice.generator import DIFFICULTY_SLACK, bank_or_empty, draft_from_bank
from resolvers.taxonomy import exercise_language, in_language

REVIEW_ID_NAMESPACE = uuid5(NAMESPACE_URL, "tutoring-gateway/reviews")
FAST_SECONDS = 20.0
MAX_INTERVAL_DAYS = 365
RECENT_DAYS = 30
CARD_WRITE_RETRIES = 5
# The exercises whose answers a card remembers having reviewed (newest last): a finished
# exercise's review replayed (a retry after a failure, a racing duplicate) is not applied
# twice. Far more than can be in flight for one skill of one learner.
REVIEWED_KEPT = 20
SCHEDULER = Scheduler(
    desired_retention=0.9,
    learning_steps=(),
    relearning_steps=(),
    maximum_interval=MAX_INTERVAL_DAYS,
    enable_fuzzing=False,
)
# The old fixed ladder (before FSRS), kept for docs/learning.md's comparison.
OLD_LADDER_DAYS = (1, 3, 7, 16, 35)
# What a review copies when it has to repeat the exercise (no fresh bank item left).
COPIED = (
    "user_id",
    "language",
    "category",
    "subcategory",
    "type",
    "difficulty",
    "prompt",
    "choices",
    "answer",
    "accepted_answers",
    "corrections",
    "explanation",
    "hints",
    "source",
    "bank_id",
)


@dataclass(frozen=True, slots=True)
class Review:
    rating: Rating
    due_at: datetime
    card: dict[str, Any]


def on_its_day(due: datetime, tz: ZoneInfo, answered_at: datetime) -> datetime:
    """A review is due from the start of its local day (the learner's zone), not at the
    minute of the answer: FSRS schedules in whole days here, and a learner who practises
    at the same hour each evening got a 1-day review only on the day after next (it fell
    due two minutes after the next day's set was built, and a set is the same all day).
    The card keeps the exact time; an interval under a day (none with no learning steps)
    would keep it too."""
    day_start = start_of(local_date(due, tz), tz)
    return day_start if day_start > answered_at else due


def card_id(user_id: str, category: str, subcategory: str) -> str:
    return f"{user_id}|{category}|{subcategory}"


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def rating_for(exercise: dict[str, Any], outcome: str, finished_at: datetime) -> Rating | None:
    """The FSRS rating of a finished exercise, or None when it says nothing about memory."""
    if outcome == "skipped":
        return Rating.Again if exercise.get("review_of") else None
    if outcome != "correct":
        return Rating.Again
    if exercise.get("attempts", 1) > 1 or exercise.get("hints_used", 0) > 0:
        return Rating.Hard
    created = exercise.get("created_at")
    if (
        created is not None
        and (finished_at - _aware(created)).total_seconds() <= FAST_SECONDS
        and not exercise.get("review_of")
    ):
        return Rating.Easy
    return Rating.Good


def _card_from(doc: dict[str, Any] | None, seed: str) -> Card:
    if doc is None:
        return Card(card_id=int(uuid5(REVIEW_ID_NAMESPACE, seed).int % 10**12))
    return Card.from_dict(doc["card"])


def review_card(card: Card, rating: Rating, at: datetime) -> Card:
    reviewed, _ = SCHEDULER.review_card(card, rating, review_datetime=_aware(at))
    return reviewed


def simulate(ratings: list[tuple[float, Rating]]) -> list[datetime]:
    """Due times after each (day offset, rating), from a new card: for docs and the bench."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    card, out = Card(card_id=1), []
    for day, rating in ratings:
        card = review_card(card, rating, start + timedelta(days=day))
        out.append(card.due)
    return out


async def record_review(
    db: Database, exercise: dict[str, Any], rating: Rating, at: datetime
) -> Review:
    """Apply one graded answer to the skill's card; conditional writes keep two answers
    finishing at once from losing one (the loser re-reads and reviews again). Once per
    exercise: the card remembers the exercises it reviewed (`reviewed`), and a replay
    answers the card as it stands."""
    key = card_id(exercise["user_id"], exercise["category"], exercise["subcategory"])
    for _ in range(CARD_WRITE_RETRIES):
        stored = await db.skill_cards.find_one({"_id": key, "user_id": exercise["user_id"]})
        reviewed = list((stored or {}).get("reviewed") or [])
        if stored is not None and exercise["_id"] in reviewed:
            return Review(rating, _aware(stored["due_at"]), stored["card"])
        card = review_card(_card_from(stored, key), rating, at)
        body = card_doc(
            exercise["user_id"],
            exercise["category"],
            exercise["subcategory"],
            card,
            (stored or {}).get("reps", 0) + 1,
            at,
        )
        body["reviewed"] = [*reviewed, exercise["_id"]][-REVIEWED_KEPT:]
        if stored is None:
            try:
                await db.skill_cards.insert_one(body)
            except DuplicateKeyError:
                continue
        else:
            won = await db.skill_cards.find_one_and_update(
                {"_id": key, "user_id": exercise["user_id"], "reps": stored.get("reps", 0)},
                {"$set": {k: v for k, v in body.items() if k != "_id"}},
                return_document=ReturnDocument.AFTER,
            )
            if won is None:
                continue
        return Review(rating, card.due, body["card"])
    raise RuntimeError(f"skill card {key} kept changing under concurrent answers")


async def schedule_fresh_item(
    db: Database, exercise: dict[str, Any], review: Review, now: datetime
) -> None:
    """Make sure the skill has one pending review, due with its card, on a fresh item."""
    skill = {
        "user_id": exercise["user_id"],
        "category": exercise["category"],
        "subcategory": exercise["subcategory"],
        "status": "pending",
        "review_of": {"$ne": None},
        "_id": {"$ne": exercise["_id"]},
        **in_language(exercise_language(exercise)),
    }
    moved = await db.exercises.update_many(skill, {"$set": {"due_at": review.due_at}})
    if moved.matched_count:
        return
    doc = await _fresh_review(db, exercise, review, now)
    try:
        await db.exercises.insert_one(doc)
    except DuplicateKeyError:
        pass  # a retried finish already scheduled this review


async def _fresh_review(
    db: Database, exercise: dict[str, Any], review: Review, now: datetime
) -> dict[str, Any]:
    recent = db.exercises.find(
        {
            "user_id": exercise["user_id"],
            "category": exercise["category"],
            "subcategory": exercise["subcategory"],
            "created_at": {"$gte": now - timedelta(days=RECENT_DAYS)},
        },
        {"bank_id": 1},
    )
    seen = {str(d.get("bank_id")) async for d in recent.limit(500)}
    return review_doc(exercise, review.rating, review.due_at, seen, now)


def review_doc(
    exercise: dict[str, Any], rating: Rating, due_at: datetime, seen: set[str], now: datetime
) -> dict[str, Any]:
    """The skill's next review: a pending exercise on a bank item of the same skill not in
    `seen` (nor the one just answered), or a copy of the exercise when none is left. Its id
    is derived from the answered exercise, so a retried finish cannot add two."""
    bank = bank_or_empty(exercise_language(exercise))
    items = bank.get((exercise["category"], exercise["subcategory"]), ())
    # Harder after an easy answer, easier after a miss; the pick is repeatable. An item far
    # from that is no fit: a learner who missed the skill's easy items is not reviewed on
    # ever harder ones (the exercise itself is repeated instead).
    step = {Rating.Again: -1, Rating.Hard: 0, Rating.Good: 0, Rating.Easy: 1}[rating]
    aim = max(1, min(5, int(exercise.get("difficulty") or 1) + step))
    fresh = [
        i
        for i in items
        if i.id not in seen
        and i.id != exercise.get("bank_id")
        and abs(i.difficulty - aim) <= DIFFICULTY_SLACK
    ]
    base = {
        "_id": str(uuid5(REVIEW_ID_NAMESPACE, exercise["_id"])),
        "status": "pending",
        "attempts": 0,
        "hints_used": 0,
        "created_at": now,
        "due_at": due_at,
        "review_of": exercise["_id"],
    }
    if not fresh:
        return {**{k: exercise[k] for k in COPIED if k in exercise}, **base}
    rng = random.Random(base["_id"])
    rng.shuffle(fresh)
    fresh.sort(key=lambda i: abs(i.difficulty - aim))
    draft = draft_from_bank(fresh[0])
    return {
        "user_id": exercise["user_id"],
        "language": exercise_language(exercise),
        "category": draft.category,
        "subcategory": draft.subcategory,
        "type": draft.type,
        "difficulty": draft.difficulty,
        "prompt": draft.prompt,
        "choices": draft.choices,
        "answer": draft.answer,
        "accepted_answers": draft.accepted_answers,
        "explanation": draft.explanation,
        "hints": draft.hints,
        "source": draft.source,
        "bank_id": draft.bank_id,
        **base,
    }


def card_doc(
    user_id: str, category: str, subcategory: str, card: Card, reps: int, at: datetime
) -> dict[str, Any]:
    """A skill_cards document (also written by the seed, which replays answers offline)."""
    return {
        "_id": card_id(user_id, category, subcategory),
        "user_id": user_id,
        "category": category,
        "subcategory": subcategory,
        "card": card.to_dict(),
        "due_at": card.due,
        "reps": reps,
        "updated_at": at,
    }


def new_card(user_id: str, category: str, subcategory: str) -> Card:
    return _card_from(None, card_id(user_id, category, subcategory))
