"""submitExercise, requestHint and skipExercise: answers, attempts, spaced review, streaks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo import ReturnDocument

from models.db import DuplicateKeyError
from models.documents import utcnow
from models.rows import Row
from resolvers import validation as v
from resolvers.context import RequestContext
from resolvers.errors import BadUserInput
from resolvers.exercises import get_exercise
from resolvers.localtime import local_date, zone
from resolvers.practice.bank import answers_match
from resolvers.practice.schedule import Review, next_review, review_doc

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


def _pending(exercise: Row) -> None:
    if exercise["status"] != "pending":
        raise BadUserInput(
            f"This exercise is already {exercise['status']}; generate a new one.", field="id"
        )


async def submit(ctx: RequestContext, exercise_id: str, answer: str) -> Attempt:
    exercise = await get_exercise(ctx, exercise_id)
    _pending(exercise)
    text = v.text(answer, "answer", max_len=MAX_ANSWER_CHARS, required=True) or ""
    expected = [exercise["answer"], *(exercise.get("accepted_answers") or [])]
    correct = answers_match(text, expected, exercise["category"])
    attempts = exercise["attempts"] + 1
    now = utcnow()
    update: dict[str, object] = {"attempts": attempts}
    finished = correct or attempts >= MAX_ATTEMPTS
    review = None
    if finished:
        outcome = "correct" if correct else "incorrect"
        review = next_review({**exercise, "attempts": attempts}, outcome, now)
        update.update(
            status="completed",
            correct=correct,
            outcome=outcome,
            completed_at=now,
            due_at=review.due_at if review else None,
        )
    # Only the attempt we read may be recorded: a concurrent submit makes this one miss.
    doc = await ctx.db.exercises.find_one_and_update(
        {
            "_id": exercise["_id"],
            "user_id": exercise["user_id"],  # the shard key: see docs/scaling.md
            "status": "pending",
            "attempts": exercise["attempts"],
        },
        {"$set": update},
        return_document=ReturnDocument.AFTER,
    )
    if doc is None:
        raise BadUserInput(
            "Another answer to this exercise was just recorded; reload it.", field="id"
        )
    if review is not None:
        await _schedule(ctx, doc, review, now)
    if correct:
        await _extend_streak(ctx, exercise["user_id"], now)
    ctx.loaders.exercise.prime(exercise["_id"], Row(doc), force=True)
    explanation = exercise.get("explanation") or ""
    if correct:
        feedback = f"Correct! {explanation}".strip()
    elif finished:
        feedback = f'Not quite. The answer is "{exercise["answer"]}". {explanation}'.strip()
    else:
        left = MAX_ATTEMPTS - attempts
        plural = "s" if left != 1 else ""
        feedback = f"Not quite. Try again ({left} attempt{plural} left) or ask for a hint."
    return Attempt(
        correct=correct,
        feedback=feedback,
        expected=exercise["answer"] if finished else None,
        exercise=Row(doc),
        attempts_left=0 if finished else MAX_ATTEMPTS - attempts,
    )


async def _schedule(
    ctx: RequestContext, exercise: dict[str, Any], review: Review, now: datetime
) -> None:
    try:
        await ctx.db.exercises.insert_one(review_doc(exercise, review, now))
    except DuplicateKeyError:
        pass  # a retried finish already scheduled this review


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
    return HintResult(
        text=hints[used], hints_used=used + 1, hints_remaining=len(hints) - used - 1, exercise=row
    )


async def skip(ctx: RequestContext, exercise_id: str) -> Row:
    """A skipped exercise is finished without an answer; a skipped review comes back soon."""
    exercise = await get_exercise(ctx, exercise_id)
    _pending(exercise)
    now = utcnow()
    review = next_review(exercise, "skipped", now)
    doc = await ctx.db.exercises.find_one_and_update(
        {"_id": exercise["_id"], "user_id": exercise["user_id"], "status": "pending"},
        {
            "$set": {
                "status": "skipped",
                "outcome": "skipped",
                "completed_at": now,
                "due_at": review.due_at if review else None,
            }
        },
        return_document=ReturnDocument.AFTER,
    )
    if doc is None:
        raise BadUserInput("This exercise was just finished; reload it.", field="id")
    if review is not None:
        await _schedule(ctx, doc, review, now)
    ctx.loaders.exercise.prime(exercise["_id"], Row(doc), force=True)
    return Row(doc)


async def _extend_streak(ctx: RequestContext, user_id: str, now: datetime) -> None:
    """Consecutive local days (the learner's time zone) with a correct exercise.
    Conditional updates keep it right when two completions race on the same day."""
    user = await ctx.loaders.user.load(user_id)
    today = local_date(now, zone(user.get("time_zone") if user else None))
    yesterday = (today - timedelta(days=1)).isoformat()
    users = ctx.db.users
    result = await users.update_one(
        {"_id": user_id, "streak_last_day": yesterday},
        {"$inc": {"streak_days": 1}, "$set": {"streak_last_day": today.isoformat()}},
    )
    if result.modified_count:
        return
    await users.update_one(
        {"_id": user_id, "streak_last_day": {"$ne": today.isoformat()}},
        {"$set": {"streak_days": 1, "streak_last_day": today.isoformat()}},
    )
