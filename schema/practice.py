"""Error statistics, exercise results and hints."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

if TYPE_CHECKING:
    from schema.exercises import Exercise

ExerciseT = Annotated["Exercise", strawberry.lazy("schema.exercises")]


@strawberry.type(description="One (category, subcategory) of a learner's errors.")
class ErrorStat:
    category: str
    subcategory: str
    count: int
    share: float = strawberry.field(description="count / totalErrors, 0..1.")
    weight: float = strawberry.field(
        description="Recency-weighted count: each error counts 2^(-age / half-life), "
        "half-life ERROR_HALF_LIFE_DAYS (14 days by default)."
    )
    first_seen: datetime | None
    last_seen: datetime | None


@strawberry.type
class ErrorStats:
    user_id: strawberry.ID
    total_errors: int
    since: datetime | None
    until: datetime | None
    items: list[ErrorStat] = strawberry.field(description="Heaviest weight first.")


@strawberry.type
class ExerciseResult:
    correct: bool
    feedback: str
    expected: str | None = strawberry.field(
        description="The model answer, once the exercise is finished (correct or out of attempts)."
    )
    exercise: ExerciseT
    attempts_left: int


@strawberry.type
class Hint:
    text: str
    hints_used: int
    hints_remaining: int
    exercise: ExerciseT = strawberry.field(
        description="The exercise as it stands after this hint (its hintsUsed included), so "
        "a client's cached copy stays true."
    )
