"""Exercises."""

from __future__ import annotations

from datetime import datetime

import pymongo
from pydantic import Field

from models.documents.base import ASC, DESC, BaseDoc, new_id, utcnow
from models.enums import (
    ExerciseStatus,
    ExerciseType,
)


class ExerciseDoc(BaseDoc):
    id: str = Field(default_factory=new_id)  # type: ignore[assignment]
    user_id: str
    # Canonical language name ("English", "Spanish", "German"): the learner's target language.
    language: str = "English"
    category: str
    subcategory: str
    type: ExerciseType
    difficulty: int = 1
    prompt: str
    choices: list[str] = Field(default_factory=list)
    answer: str
    accepted_answers: list[str] = Field(default_factory=list)
    explanation: str | None = None
    hints: list[str] = Field(default_factory=list)
    status: ExerciseStatus = ExerciseStatus.PENDING
    # "correct" / "incorrect" / "skipped" once finished; None while pending.
    outcome: str | None = None
    attempts: int = 0
    hints_used: int = 0
    correct: bool | None = None
    source: str = "bank"
    bank_id: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    completed_at: datetime | None = None
    due_at: datetime | None = None
    # Spaced review (resolvers/practice/schedule.py): a review is a PENDING exercise of a
    # skill whose FSRS card is due at `due_at`; `review_of` names the answer that scheduled it.
    review_of: str | None = None
    # An own-sentence exercise: every correction its answer applies (excerpt, correction,
    # category, subcategory), so a partial fix is told which ones are still missing.
    corrections: list[dict[str, str]] = Field(default_factory=list)
    # The last wrong answer, so an answer evaluator can tailor the next hint to it.
    last_answer: str | None = None
    # The learner-local date (YYYY-MM-DD) of the daily set this exercise was made for.
    daily: str | None = None
    # Repeatable submits (resolvers/practice/attempts.py): the normalised wrong answers
    # already counted (a copy uses no attempt), the answer that finished it (sent again,
    # it answers as before), and whether its review and streak are still to be written.
    wrong_answers: list[str] | None = None
    final_answer: str | None = None
    finish_pending: bool | None = None

    class Settings:
        name = "exercises"
        indexes = [
            pymongo.IndexModel(
                [("user_id", ASC), ("status", ASC), ("created_at", DESC), ("_id", DESC)],
                name="user_status_created",
            ),
            pymongo.IndexModel(
                [("user_id", ASC), ("created_at", DESC), ("_id", DESC)], name="user_created"
            ),
            # The review queue: a learner's pending exercises by due time.
            pymongo.IndexModel(
                [("user_id", ASC), ("status", ASC), ("due_at", ASC), ("_id", ASC)],
                name="user_status_due",
            ),
            # Progress and skills: finished exercises by status and completion time (it
            # replaces `user_completed`, without the status: progress's buckets and bests
            # read every skipped exercise of the year to throw it away).
            pymongo.IndexModel(
                [("user_id", ASC), ("status", ASC), ("completed_at", ASC)],
                name="user_status_completed",
                partialFilterExpression={"completed_at": {"$exists": True}},
            ),
            # The maintenance pass: finished exercises whose review and streak are still
            # to be written (resolvers/practice/attempts.py); only those are in it.
            pymongo.IndexModel(
                [("completed_at", ASC)],
                name="finish_pending",
                partialFilterExpression={"finish_pending": True},
            ),
        ]
