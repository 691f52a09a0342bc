"""The Query root: thin wrappers that hand over to resolvers/."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import Info

from resolvers import exercises, ratelimit, sessions, users
from resolvers.costs import report
from resolvers.practice import stats
from schema.costs import CostReport
from schema.enums import SubscriptionTier, value
from schema.exercises import Exercise
from schema.pagination import Connection
from schema.practice import ErrorStats
from schema.ratelimit import RateLimitStatus
from schema.sessions import Session
from schema.users import User


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in user.")
    async def me(self, info: Info) -> User | None:
        return await users.me(info.context)  # type: ignore[return-value]

    @strawberry.field(description="A user: yourself, or anyone for admins.")
    async def user(self, info: Info, id: strawberry.ID) -> User | None:
        return await users.get_user(info.context, id)  # type: ignore[return-value]

    @strawberry.field(description="All users, newest first (admins only).")
    async def users(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        tier: SubscriptionTier | None = None,
    ) -> Connection[User]:
        return await users.list_users(info.context, first, after, value(tier))  # type: ignore[return-value]

    @strawberry.field(description="A session you own (admins: any).")
    async def session(self, info: Info, id: strawberry.ID) -> Session | None:
        return await sessions.get_session(info.context, id)  # type: ignore[return-value]

    @strawberry.field(
        description="A learner's errors by (category, subcategory): counts, shares and "
        "recency weights. Without since/until it reads precomputed counters; with them it "
        "aggregates messages in [since, until)."
    )
    async def error_stats(
        self,
        info: Info,
        user_id: strawberry.ID,
        since: datetime | None = None,
        until: datetime | None = None,
        top: int | None = 10,
    ) -> ErrorStats:
        return await stats.error_stats(info.context, user_id, since, until, top)  # type: ignore[return-value]

    @strawberry.field
    async def exercise(self, info: Info, id: strawberry.ID) -> Exercise | None:
        return await exercises.get_exercise(info.context, id)  # type: ignore[return-value]

    @strawberry.field(
        description="What the AI tutors cost (admins only). Defaults to the last 7 UTC days; "
        "at most 366 days."
    )
    async def cost_report(
        self,
        info: Info,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
        top: int | None = 10,
    ) -> CostReport:
        return await report.cost_report(info.context, from_, to, top)  # type: ignore[return-value]

    @strawberry.field(description="Your rate-limit budgets. Free: reading it spends nothing.")
    async def rate_limit(self, info: Info) -> RateLimitStatus:
        return await ratelimit.rate_limit_status(info.context)  # type: ignore[return-value]
