"""submitExercise and requestHint: checking answers, attempts, spaced review, streaks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from pymongo import ReturnDocument

from models.documents import utcnow
from models.rows import Row
from resolvers import validation as v
from resolvers.context import RequestContext
from resolvers.errors import BadUserInput
from resolvers.exercises import get_exercise
from resolvers.practice.bank import answers_match

MAX_ATTEMPTS = 3
MAX_ANSWER_CHARS = 1_000
# Spaced review: a missed exercise comes back tomorrow; one that needed help in 3 days.
REVIEW_AFTER_MISS = timedelta(days=1)
REVIEW_AFTER_STRUGGLE = timedelta(days=3)


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
    if finished:
        struggled = attempts > 1 or exercise.get("hints_used", 0) > 0
        update.update(
            status="completed",
            correct=correct,
            completed_at=now,
            due_at=(now + REVIEW_AFTER_STRUGGLE)
            if correct and struggled
            else (now + REVIEW_AFTER_MISS)
            if not correct
            else None,
        )
    # Only the attempt we read may be recorded: a concurrent submit makes this one miss.
    doc = await ctx.db.exercises.find_one_and_update(
        {"_id": exercise["_id"], "status": "pending", "attempts": exercise["attempts"]},
        {"$set": update},
        return_document=ReturnDocument.AFTER,
    )
    if doc is None:
        raise BadUserInput(
            "Another answer to this exercise was just recorded; reload it.", field="id"
        )
    if correct:
        await _extend_streak(ctx, exercise["user_id"])
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


async def hint(ctx: RequestContext, exercise_id: str) -> HintResult:
    exercise = await get_exercise(ctx, exercise_id)
    _pending(exercise)
    hints = exercise.get("hints") or []
    used = exercise.get("hints_used", 0)
    if used >= len(hints):
        raise BadUserInput("No more hints for this exercise.", field="id")
    doc = await ctx.db.exercises.find_one_and_update(
        {"_id": exercise["_id"], "status": "pending", "hints_used": used},
        {"$inc": {"hints_used": 1}},
        return_document=ReturnDocument.AFTER,
    )
    if doc is None:
        raise BadUserInput("Another hint was just given; reload the exercise.", field="id")
    ctx.loaders.exercise.prime(exercise["_id"], Row(doc), force=True)
    return HintResult(text=hints[used], hints_used=used + 1, hints_remaining=len(hints) - used - 1)


async def _extend_streak(ctx: RequestContext, user_id: str) -> None:
    """Consecutive UTC days with a correct exercise. Conditional updates keep it right
    when two completions race on the same day."""
    today = utcnow().date()
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
