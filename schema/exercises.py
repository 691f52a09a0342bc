"""Exercise type. The answer and hints stay server-side until submitted or requested."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import Info

from resolvers.taxonomy import DEFAULT_LANGUAGE
from schema.enums import ExerciseOutcome, ExerciseStatus, ExerciseType
from schema.node import Node

if TYPE_CHECKING:
    from schema.users import User

UserT = Annotated["User", strawberry.lazy("schema.users")]


@strawberry.type
class Exercise(Node):
    id: strawberry.ID
    type: ExerciseType
    category: str
    subcategory: str
    difficulty: int = strawberry.field(description="1 (easiest) to 5.")
    prompt: str
    choices: list[str]
    status: ExerciseStatus
    attempts: int
    hints_used: int
    created_at: datetime
    completed_at: datetime | None
    due_at: datetime | None = strawberry.field(
        description="A pending review: when it is due. A finished exercise: when its review "
        "is due (null if none is scheduled)."
    )

    @strawberry.field(description="The language it is written in: the learner's target language.")
    def language(self) -> str:
        return getattr(self, "language", None) or DEFAULT_LANGUAGE

    @strawberry.field(description="Null while PENDING.")
    def outcome(self) -> ExerciseOutcome | None:
        stored = getattr(self, "outcome", None)
        if stored is None and getattr(self, "status", None) == "completed":
            stored = "correct" if getattr(self, "correct", False) else "incorrect"
        return ExerciseOutcome(stored) if stored else None

    @strawberry.field
    async def user(self, info: Info) -> UserT:
        return await info.context.loaders.user.load(self.user_id)  # type: ignore[attr-defined]
