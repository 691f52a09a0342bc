"""Learning progress, skills, daily practice and the error taxonomy."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from schema.enums import ProgressBucket

if TYPE_CHECKING:
    from schema.exercises import Exercise

ExerciseT = Annotated["Exercise", strawberry.lazy("schema.exercises")]


@strawberry.type(description="One learner's practice set for one local day.")
class DailyPractice:
    date: str = strawberry.field(description="The learner's local date, YYYY-MM-DD.")
    exercises: list[ExerciseT] = strawberry.field(description="Due reviews first, then new.")
    completed: int = strawberry.field(description="Exercises no longer PENDING.")
    total: int


@strawberry.type
class ProgressPoint:
    start: datetime = strawberry.field(
        description="Local midnight starting the bucket, with the learner's UTC offset."
    )
    messages: int = strawberry.field(description="The learner's own messages.")
    errors: int
    errors_per_message: float
    exercises_attempted: int = strawberry.field(description="Answered (not skipped) exercises.")
    exercises_correct: int
    accuracy: float | None = strawberry.field(description="Correct / attempted; null if none.")


@strawberry.type(description="Ability in one subcategory (README: Learning > Skills).")
class SkillLevel:
    category: str
    subcategory: str
    ability: float = strawberry.field(
        description="0..1: the most likely ability given the answers (first attempts count "
        "fully, later or hinted ones partly) and the level; it does not drift while idle."
    )
    confidence: float = strawberry.field(
        description="0..1: how much recent evidence backs the ability; fades when idle."
    )
    attempts: int = strawberry.field(description="Answered exercises in the last 180 days.")
    accuracy: float | None = strawberry.field(
        description="Share answered right at the first attempt without a hint."
    )
    trend: float | None = strawberry.field(description="Change of ability over 14 days.")


@strawberry.type
class PersonalBests:
    longest_streak_days: int = strawberry.field(
        description="Most consecutive local days with a correct exercise, last 366 days."
    )
    most_exercises_in_a_day: int
    best_week_accuracy: float | None = strawberry.field(
        description="Best Monday-Sunday accuracy over weeks with at least 5 answers."
    )
    best_week_start: datetime | None


@strawberry.type
class ProgressTotals:
    sessions: int
    messages: int
    exercises_completed: int
    exercises_correct: int


@strawberry.type
class Progress:
    from_: datetime = strawberry.field(name="from")
    to: datetime
    bucket: ProgressBucket
    points: list[ProgressPoint] = strawberry.field(
        description="One per bucket in [from, to), empty buckets included."
    )
    skills: list[SkillLevel] = strawberry.field(
        description="Every subcategory met in the target language, weakest first."
    )
    mastered: list[SkillLevel] = strawberry.field(
        description="Ability >= 0.8, confidence >= 0.5 and 3+ first-attempt successes."
    )
    struggling: list[SkillLevel] = strawberry.field(
        description="Ability 0.1 or more below the level's prior, confidence >= 0.25."
    )
    bests: PersonalBests
    this_week: ProgressTotals = strawberry.field(description="Since local Monday 00:00.")
    this_month: ProgressTotals = strawberry.field(description="Since the 1st, local time.")


@strawberry.type(description="One (category, subcategory) recordMessage accepts.")
class ErrorCategory:
    category: str
    subcategory: str
    description: str
    exercise_count: int = strawberry.field(description="Built-in exercises in that language.")
