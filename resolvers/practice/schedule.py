"""Spaced review: which finished exercises come back, and when.

An exercise enters the review queue when it was missed, or solved only after a wrong
attempt or a hint. Each review that is answered correctly moves it one step up the
interval ladder; a miss (or a skip) sends it back to the first step; a correct answer on
the last step retires it. An exercise solved cleanly the first time is not reviewed.

A review is a fresh PENDING copy of the exercise with `due_at` set: it is answered like
any exercise, `dueExercises` lists it once due, and daily practice puts it first.
Reviews ignore the generator's 30-day no-repeat rule: repeating is their point.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, uuid5

INTERVAL_DAYS = (1, 3, 7, 16, 35)
REVIEW_ID_NAMESPACE = uuid5(NAMESPACE_URL, "tutoring-gateway/reviews")
# What a review copies from the exercise it repeats.
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
    "explanation",
    "hints",
    "source",
    "bank_id",
)


@dataclass(frozen=True, slots=True)
class Review:
    step: int
    due_at: datetime


def next_review(exercise: dict[str, Any], outcome: str, finished_at: datetime) -> Review | None:
    """The review an exercise earns when it finishes with `outcome`, or None."""
    step = exercise.get("review_step")
    is_review = exercise.get("review_of") is not None and step is not None
    if outcome != "correct":
        if outcome == "skipped" and not is_review:
            return None  # skipping new material is not evidence of anything
        new_step = 0
    elif is_review:
        new_step = int(step) + 1  # type: ignore[arg-type]
    elif exercise.get("attempts", 0) > 1 or exercise.get("hints_used", 0) > 0:
        new_step = 1  # solved with help: it is known, but not yet well
    else:
        return None
    if new_step >= len(INTERVAL_DAYS):
        return None  # retired: correct on the longest interval
    return Review(new_step, finished_at + timedelta(days=INTERVAL_DAYS[new_step]))


def review_doc(exercise: dict[str, Any], review: Review, now: datetime) -> dict[str, Any]:
    """The pending copy; its id is derived from the original so a retry cannot add two."""
    doc = {k: exercise[k] for k in COPIED if k in exercise}
    doc.update(
        _id=str(uuid5(REVIEW_ID_NAMESPACE, exercise["_id"])),
        status="pending",
        attempts=0,
        hints_used=0,
        created_at=now,
        due_at=review.due_at,
        review_of=exercise["_id"],
        review_step=review.step,
    )
    return doc
