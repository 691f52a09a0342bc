"""submitExercise, requestHint and skipExercise: answers, attempts, spaced review, streaks.

A multiple choice allows fewer tries than it has wrong choices, so it can be failed; a
typed answer that is not a choice is told to choose. A wrong answer close to a right one
hears what is off (resolvers/practice/checking.py); a partly corrected own sentence hears
which corrections are still missing."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fsrs import Rating
from pymongo import ReturnDocument

from models.db import Database
from models.documents import utcnow
from models.rows import Row
from resolvers import validation as v
from resolvers.context import RequestContext
from resolvers.errors import BadUserInput
from resolvers.exercises import get_exercise, utc
from resolvers.localtime import local_date, zone
from resolvers.pending import Steps, Upkeep
from resolvers.practice.bank import answers_match, normalize_answer
from resolvers.practice.checking import (
    after_blank,
    case_errors,
    case_matters,
    near_miss,
    written_words,
)
from resolvers.practice.evaluator import evaluate, tailored_hint
from resolvers.practice.hints import FB, MC
from resolvers.practice.schedule import (
    on_its_day,
    rating_for,
    record_review,
    schedule_fresh_item,
)
from resolvers.taxonomy import exercise_language

MAX_ATTEMPTS = 3
MAX_ANSWER_CHARS = 1_000


@dataclass(slots=True)
class Attempt:
    correct: bool
    feedback: str
    expected: str | None
    exercise: Row
    attempts_left: int


@dataclass(slots=True)
class HintResult:
    text: str
    hints_used: int
    hints_remaining: int
    exercise: Row


def max_attempts(exercise: dict[str, Any]) -> int:
    """Three tries, but never enough to work through a multiple choice by elimination:
    with n choices a learner gets n - 2 tries (one with three choices, two with four)."""
    if exercise.get("type") == MC and exercise.get("choices"):
        return max(1, min(MAX_ATTEMPTS, len(exercise["choices"]) - 2))
    return MAX_ATTEMPTS


def _pending(exercise: Row) -> None:
    if exercise["status"] != "pending":
        raise BadUserInput(
            f"This exercise is already {exercise['status']}; generate a new one.", field="id"
        )


def _as_chosen(
    exercise: Row, text: str, expected: list[str]
) -> tuple[str, set[str], set[str]] | None:
    """(the answer, the choices, the right answers) as a multiple choice compares them;
    None for any other exercise."""
    if exercise.get("type") != MC or not exercise.get("choices"):
        return None
    keep, language = exercise["category"] == "Punctuation", exercise_language(exercise)

    def norm(t: str) -> str:
        return normalize_answer(t, keep, language)

    return norm(text), {norm(c) for c in exercise["choices"]}, {norm(a) for a in expected}


def _not_a_choice(exercise: Row, text: str, expected: list[str]) -> bool:
    """A typed multiple-choice answer that is neither a choice nor a listed right answer:
    told to choose, without using up an attempt."""
    chosen = _as_chosen(exercise, text, expected)
    return chosen is not None and chosen[0] not in chosen[1] | chosen[2]


def _a_wrong_choice(exercise: Row, text: str, expected: list[str]) -> bool:
    """A multiple choice's answer that is one of its wrong choices: wrong, whatever variant
    rule would accept it typed (a name's possessive either way, a contraction): picking a
    choice is the answer, and the item offered that one as wrong."""
    chosen = _as_chosen(exercise, text, expected)
    return chosen is not None and chosen[0] in chosen[1] - chosen[2]


def _after(exercise: Row | dict[str, Any]) -> str:
    """For a fill-in-the-blank, the prompt's words after the blank: "I'd" typed into
    "___ like a coffee" is read as "I would" there, not "I had"."""
    if exercise.get("type") != FB:
        return ""
    return after_blank(exercise.get("prompt") or "")


def _still_wrong(exercise: Row | dict[str, Any], text: str, language: str) -> str | None:
    """For an own sentence: which of its corrections the answer has not applied yet."""
    corrections = exercise.get("corrections") or []
    if len(corrections) < 2:
        return None

    def norm(t: str) -> str:
        return normalize_answer(t, language=language)

    given = f" {norm(text)} "
    missing = [
        c
        for c in corrections
        if f" {norm(c['correction'])} " not in given
        or (norm(c["excerpt"]) not in norm(c["correction"]) and f" {norm(c['excerpt'])} " in given)
    ]
    if not missing or len(missing) == len(corrections):
        return None
    parts = [f'"{c["excerpt"]}" ({c["subcategory"]})' for c in missing]
    return "Still wrong: " + ", ".join(parts) + "."


def _cased(exercise: Row | dict[str, Any]) -> bool:
    """Whether this exercise judges capitals (a capitalisation skill, typed answers)."""
    return case_matters(
        exercise.get("category") or "", exercise.get("subcategory") or "", exercise.get("type")
    )


def _wrong_capitals(exercise: Row | dict[str, Any], text: str, expected: list[str]) -> bool:
    """Whether the answer has words whose capitals differ from a model answer's, in an
    exercise that judges capitals: then the rules' rejection stands, whatever an answer
    evaluator would say ("ich habe einen hund" for "Ich habe einen Hund" is the very
    mistake a noun-capitalisation exercise trains)."""
    return _cased(exercise) and bool(case_errors(text, expected, exercise_language(exercise)))


def _given(exercise: Row | dict[str, Any], text: str) -> str:
    """An answer as duplicates of it are recognised (the matching's own normalisation;
    where capitals are judged, "dienstagabend" and "Dienstagabend" are different answers)."""
    given = normalize_answer(
        text, exercise.get("category") == "Punctuation", exercise_language(exercise)
    )
    return f"{given} | {' '.join(written_words(text))}" if _cased(exercise) else given


async def submit(ctx: RequestContext, exercise_id: str, answer: str) -> Attempt:
    """Record one answer. Safe to repeat (issue 28): a copy of an answer already counted
    wrong uses no attempt (a double click, a retry after a lost response, eight copies at
    once), and the answer that finished the exercise, sent again, answers as it did and
    completes what a failure may have left undone (its review, the streak)."""
    # The day of the answer is the day it was given, not the day its write landed.
    answered_at = utcnow()
    exercise = await get_exercise(ctx, exercise_id)
    text = v.text(answer, "answer", max_len=MAX_ANSWER_CHARS, required=True) or ""
    given = _given(exercise, text)
    if exercise["status"] != "pending" and exercise.get("final_answer") == given:
        return await _replay(ctx, dict(exercise), text)
    _pending(exercise)
    expected = [exercise["answer"], *(exercise.get("accepted_answers") or [])]
    language = exercise_language(exercise)
    allowed = max_attempts(exercise)
    if _not_a_choice(exercise, text, expected):
        choices = ", ".join(f'"{c}"' for c in exercise["choices"])
        return Attempt(
            correct=False,
            feedback=f"Choose one of the choices: {choices}. That did not use an attempt.",
            expected=None,
            exercise=exercise,
            attempts_left=allowed - exercise["attempts"],
        )
    if given in (exercise.get("wrong_answers") or ()):
        return _feedback(exercise, text, False, exercise["attempts"], None, repeated=True)
    correct = answers_match(
        text,
        expected,
        exercise["category"],
        language,
        case_sensitive=_cased(exercise),
        after=_after(exercise),
    ) and not _a_wrong_choice(exercise, text, expected)
    judged = None
    if not correct and not _wrong_capitals(exercise, text, expected):
        # the rules said no: an evaluator, if configured, may know better (never about
        # capitals where capitals are the skill: that rejection is the exercise's point)
        judged = await evaluate(ctx, exercise, text)
        correct = judged.correct if judged else False
    attempts = exercise["attempts"] + 1
    update: dict[str, object] = {"attempts": attempts}
    push: dict[str, object] = {}
    if not correct:
        update["last_answer"] = text  # what a tailored hint (evaluator) is about
        push["wrong_answers"] = given
    finished = correct or attempts >= allowed
    if finished:
        outcome = "correct" if correct else "incorrect"
        update.update(
            status="completed",
            correct=correct,
            outcome=outcome,
            completed_at=answered_at,
            final_answer=given,
            # Cleared once the review and the streak are written (_finish): a retry of
            # the same answer completes them if this request dies first.
            finish_pending=True,
        )
    # Only the attempt we read may be recorded: a concurrent submit makes this one miss.
    change: dict[str, object] = {"$set": update}
    if push:
        change["$push"] = push
    doc = await ctx.db.exercises.find_one_and_update(
        {
            "_id": exercise["_id"],
            "user_id": exercise["user_id"],  # the shard key: see docs/scaling.md
            "status": "pending",
            "attempts": exercise["attempts"],
        },
        change,
        return_document=ReturnDocument.AFTER,
    )
    if doc is None:
        # Another answer won the race: if it was this same answer, this is its duplicate.
        now_stored = await ctx.db.exercises.find_one(
            {"_id": exercise["_id"], "user_id": exercise["user_id"]}
        )
        if now_stored is not None and now_stored.get("final_answer") == given:
            return await _replay(ctx, now_stored, text)
        if now_stored is not None and given in (now_stored.get("wrong_answers") or ()):
            row = Row(now_stored)
            ctx.loaders.exercise.prime(exercise["_id"], row, force=True)
            return _feedback(row, text, False, now_stored["attempts"], None, repeated=True)
        raise BadUserInput(
            "Another answer to this exercise was just recorded; reload it.", field="id"
        )
    if finished:
        doc = await _finish(ctx, doc)
    ctx.loaders.exercise.prime(exercise["_id"], Row(doc), force=True)
    return _feedback(Row(doc), text, correct, attempts, judged, before=exercise)


async def _replay(ctx: RequestContext, exercise: dict[str, Any], text: str) -> Attempt:
    """The finishing answer again: the same verdict, and whatever its first request left
    undone written now."""
    doc = await _finish(ctx, exercise) if exercise.get("finish_pending") else exercise
    row = Row(doc)
    ctx.loaders.exercise.prime(exercise["_id"], row, force=True)
    return _feedback(row, text, bool(doc.get("correct")), doc["attempts"], None)


async def _finish(ctx: RequestContext, doc: dict[str, Any]) -> dict[str, Any]:
    learner = await ctx.loaders.user.load(doc["user_id"])
    return await finish_exercise(ctx.db, doc, learner)


async def finish_exercise(
    db: Database, doc: dict[str, Any], learner: dict[str, Any] | None
) -> dict[str, Any]:
    """The review of the skill and the streak of a finished exercise, then the mark that
    they are done. Each step is idempotent (the card remembers the exercises it reviewed,
    the next review's id derives from the exercise, the streak moves once per local day),
    so a retry, two racing duplicates or the maintenance pass may run it again.
    `learner`: the user (their time zone decides the streak's day and the review's)."""
    at = utc(doc["completed_at"]) or utcnow()
    outcome = doc["outcome"]
    rating = rating_for(doc, outcome, at)
    if rating is not None:
        doc = await _schedule(db, doc, rating, at, _zone_of(learner))
    if doc.get("correct"):
        await _extend_streak(db, learner, doc["user_id"], at)
    await db.exercises.update_one(
        {"_id": doc["_id"], "user_id": doc["user_id"]}, {"$unset": {"finish_pending": ""}}
    )
    return {k: val for k, val in doc.items() if k != "finish_pending"}


async def _finish_abandoned(db: Database, doc: dict[str, Any], _upkeep: Upkeep) -> bool:
    """The maintenance pass's finish: re-read (a retry may have finished it meanwhile)."""
    current = await db.exercises.find_one(
        {"_id": doc["_id"], "user_id": doc["user_id"], "finish_pending": True}
    )
    if current is None:
        return False
    learner = await db.users.find_one({"_id": doc["user_id"]}, {"time_zone": 1})
    await finish_exercise(db, current, learner)
    return True


# Finished exercises whose request died before their review and streak were written, and
# whose learner never sent the answer again: the maintenance pass writes them
# (resolvers/pending.py; no guards: every step is idempotent on its own).
EXERCISES = Steps(
    "exercises", "exercises", {"finish_pending": True}, "completed_at", _finish_abandoned
)


def _feedback(
    exercise: Row | dict[str, Any],
    text: str,
    correct: bool,
    attempts: int,
    judged: Any,
    *,
    before: Row | dict[str, Any] | None = None,
    repeated: bool = False,
) -> Attempt:
    """What the learner hears. `exercise` as it stands after this answer, `before` as it
    was read (for the attempts' state the rules judged)."""
    source = before if before is not None else exercise
    expected = [source["answer"], *(source.get("accepted_answers") or [])]
    language = exercise_language(source)
    allowed = max_attempts(source)
    finished = exercise["status"] != "pending"
    explanation = source.get("explanation") or ""
    miss = judged.feedback if judged and judged.feedback else None
    if not correct and miss is None:
        miss = _still_wrong(source, text, language) or near_miss(
            text,
            expected,
            source["category"],
            language,
            source.get("choices") or (),
            case_sensitive=_cased(source),
            kind=source.get("type"),
            after=_after(source),
        )
    if correct and judged is not None:
        feedback = f"Correct! {judged.feedback} {explanation}".strip()
    elif correct:
        feedback = f"Correct! {explanation}".strip()
    elif finished:
        said = f"{miss} " if miss else ""
        feedback = f'Not quite. {said}The answer is "{source["answer"]}". {explanation}'.strip()
    else:
        left = allowed - attempts
        plural = "s" if left != 1 else ""
        said = f"{miss} " if miss else ""
        again = "That answer was already counted. " if repeated else ""
        feedback = (
            f"Not quite. {said}{again}Try again ({left} attempt{plural} left) or ask for a hint."
        )
    return Attempt(
        correct=correct,
        feedback=feedback,
        expected=source["answer"] if finished else None,
        exercise=Row(exercise) if not isinstance(exercise, Row) else exercise,
        attempts_left=0 if finished else allowed - attempts,
    )


def _zone_of(learner: dict[str, Any] | None) -> ZoneInfo:
    return zone(learner.get("time_zone") if learner else None)


async def _schedule(
    db: Database, exercise: dict[str, Any], rating: Rating, now: datetime, tz: ZoneInfo
) -> dict[str, Any]:
    """Review the skill's FSRS card; the finished exercise shows when its skill is due."""
    review = await record_review(db, exercise, rating, now)
    review = replace(review, due_at=on_its_day(review.due_at, tz, now))
    await schedule_fresh_item(db, exercise, review, now)
    await db.exercises.update_one(
        {"_id": exercise["_id"], "user_id": exercise["user_id"]},
        {"$set": {"due_at": review.due_at}},
    )
    return {**exercise, "due_at": review.due_at}


async def hint(ctx: RequestContext, exercise_id: str) -> HintResult:
    exercise = await get_exercise(ctx, exercise_id)
    _pending(exercise)
    hints = exercise.get("hints") or []
    used = exercise.get("hints_used", 0)
    if not hints:
        raise BadUserInput("This exercise has no hints.", field="id")
    if used >= len(hints):
        # Asking again is not a mistake: repeat the last hint rather than fail the request.
        return HintResult(text=hints[-1], hints_used=used, hints_remaining=0, exercise=exercise)
    doc = await ctx.db.exercises.find_one_and_update(
        {
            "_id": exercise["_id"],
            "user_id": exercise["user_id"],
            "status": "pending",
            "hints_used": used,
        },
        {"$inc": {"hints_used": 1}},
        return_document=ReturnDocument.AFTER,
    )
    if doc is None:
        raise BadUserInput("Another hint was just given; reload the exercise.", field="id")
    row = Row(doc)
    ctx.loaders.exercise.prime(exercise["_id"], row, force=True)
    text = hints[used]
    if exercise.get("last_answer"):  # an evaluator, if configured, hints at that answer
        text = await tailored_hint(ctx, exercise, exercise["last_answer"]) or text
    return HintResult(
        text=text, hints_used=used + 1, hints_remaining=len(hints) - used - 1, exercise=row
    )


async def skip(ctx: RequestContext, exercise_id: str) -> Row:
    """A skipped exercise is finished without an answer; a skipped review comes back soon."""
    exercise = await get_exercise(ctx, exercise_id)
    _pending(exercise)
    now = utcnow()
    doc = await ctx.db.exercises.find_one_and_update(
        {"_id": exercise["_id"], "user_id": exercise["user_id"], "status": "pending"},
        {"$set": {"status": "skipped", "outcome": "skipped", "completed_at": now, "due_at": None}},
        return_document=ReturnDocument.AFTER,
    )
    if doc is None:
        raise BadUserInput("This exercise was just finished; reload it.", field="id")
    rating = rating_for(exercise, "skipped", now)
    if rating is not None:  # a skipped review: the skill comes back soon, on another item
        learner = await ctx.loaders.user.load(exercise["user_id"])
        doc = await _schedule(ctx.db, doc, rating, now, _zone_of(learner))
    ctx.loaders.exercise.prime(exercise["_id"], Row(doc), force=True)
    return Row(doc)


async def _extend_streak(
    db: Database, user: dict[str, Any] | None, user_id: str, now: datetime
) -> None:
    """Consecutive local days (the learner's time zone) with a correct exercise.
    Conditional updates keep it right when two completions race on the same day."""
    today = local_date(now, _zone_of(user))
    yesterday = (today - timedelta(days=1)).isoformat()
    users = db.users
    result = await users.update_one(
        {"_id": user_id, "streak_last_day": yesterday},
        {"$inc": {"streak_days": 1}, "$set": {"streak_last_day": today.isoformat()}},
    )
    if result.modified_count:
        return
    # A gap: the streak starts again, but only from a day after the last one counted. An
    # answer of an earlier day landing late (or replayed) never resets a later streak.
    await users.update_one(
        {
            "_id": user_id,
            "$or": [
                {"streak_last_day": {"$exists": False}},
                {"streak_last_day": None},
                {"streak_last_day": {"$lt": today.isoformat()}},
            ],
        },
        {"$set": {"streak_days": 1, "streak_last_day": today.isoformat()}},
    )
