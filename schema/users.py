"""User type and its inputs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import Info

from resolvers import exercises as exercise_resolvers
from resolvers import pagination as pages
from resolvers import sessions as session_resolvers
from resolvers.pagination import page_window
from resolvers.practice import stats as stats_resolvers
from resolvers.practice.streaks import local_today, shown_streak
from resolvers.users import NewUser, UserChanges
from schema.batching import relation
from schema.enums import (
    ExerciseOutcome,
    ExerciseStatus,
    ExerciseType,
    Role,
    SessionStatus,
    SubscriptionTier,
    value,
)
from schema.node import Node
from schema.pagination import Connection, selects_cursor, selects_total

if TYPE_CHECKING:
    from schema.exercises import Exercise
    from schema.practice import ErrorStats
    from schema.sessions import Session

SessionT = Annotated["Session", strawberry.lazy("schema.sessions")]
ExerciseT = Annotated["Exercise", strawberry.lazy("schema.exercises")]
ErrorStatsT = Annotated["ErrorStats", strawberry.lazy("schema.practice")]


async def _sessions(
    users: list[Any],
    info: Info,
    first: int | None = None,
    after: str | None = None,
    status: SessionStatus | None = None,
    last: int | None = None,
    before: str | None = None,
) -> list[pages.Connection]:
    """User.sessions for many users (schema/batching.py)."""
    return await session_resolvers.sessions_of(
        info.context,
        [u.id for u in users],
        page_window(first, after, last, before),
        value(status),
        selects_total(info),
        selects_cursor(info),
    )


@strawberry.type
class User(Node):
    id: strawberry.ID
    email: str
    name: str
    role: Role
    subscription_tier: SubscriptionTier
    native_language: str | None
    target_language: str | None
    level: str | None = strawberry.field(description="CEFR level, A1..C2.")
    created_at: datetime
    last_active: datetime | None
    total_sessions: int
    time_zone: str | None = strawberry.field(
        description="IANA time zone name (e.g. 'Europe/Berlin'); days, streaks, daily "
        "practice and progress buckets follow it. Null means UTC."
    )

    @strawberry.field(
        description="Consecutive local days (timeZone) with a correct exercise, up to today."
    )
    def streak_days(self) -> int:
        return shown_streak(self, local_today(self, datetime.now(UTC)))

    sessions = relation(_sessions, description="Newest first.", graphql_type=Connection[SessionT])

    @strawberry.field(
        description="Error counts and recency weights; see Query.errorStats.",
        graphql_type=ErrorStatsT,
    )
    async def error_stats(
        self,
        info: Info,
        since: datetime | None = None,
        until: datetime | None = None,
        top: int | None = 10,
    ) -> stats_resolvers.ErrorStats:
        return await stats_resolvers.error_stats(info.context, self.id, since, until, top)

    @strawberry.field(
        description="Newest first. Filters combine; `from`/`to` bound the creation time "
        "[from, to); `category` matches case-insensitively.",
        graphql_type=Connection[ExerciseT],
    )
    async def exercises(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: ExerciseStatus | None = None,
        category: str | None = None,
        type: ExerciseType | None = None,
        outcome: ExerciseOutcome | None = None,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> pages.Connection:
        return await exercise_resolvers.exercises_of(
            info.context,
            self.id,
            page_window(first, after, last, before),
            exercise_resolvers.ExerciseFilter(
                status=value(status),
                category=category,
                type=value(type),
                outcome=value(outcome),
                created_from=from_,
                created_to=to,
            ),
            selects_total(info),
        )


@strawberry.experimental.pydantic.input(model=NewUser, all_fields=True)
class CreateUserInput:
    """resolvers/users.py's NewUser as an input."""


@strawberry.experimental.pydantic.input(model=UserChanges, all_fields=True)
class UpdateUserInput:
    """resolvers/users.py's UserChanges as an input."""
