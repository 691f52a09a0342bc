"""The Query root: thin wrappers that hand over to resolvers/."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import Info

from models.rows import Row
from resolvers import apiclients, exercises, nodes, ratelimit, sessions, users
from resolvers import pagination as pages
from resolvers.costs import providers, report
from resolvers.nodes import NodeRow
from resolvers.pagination import page_window
from resolvers.permissions import subject_user
from resolvers.practice import catalog, daily, stats
from resolvers.practice import progress as progress_resolvers
from schema.apiclients import ApiClient
from schema.costs import CostReport, ProviderStat
from schema.enums import ProgressBucket, SubscriptionTier, value
from schema.exercises import Exercise
from schema.node import Node
from schema.pagination import Connection
from schema.practice import ErrorStats
from schema.progress import DailyPractice, ErrorCategory, Progress
from schema.ratelimit import RateLimitStatus
from schema.sessions import Session
from schema.users import User


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in user.", graphql_type=User | None)
    async def me(self, info: Info) -> Row | None:
        return await users.me(info.context)

    @strawberry.field(
        description="Any User, Session, Message or Exercise by its id (Relay), if you may see it.",
        graphql_type=Node | None,
    )
    async def node(self, info: Info, id: strawberry.ID) -> NodeRow | None:
        return (await nodes.nodes(info.context, [id], field="id"))[0]

    @strawberry.field(
        description="Several nodes by id (at most 100), in the order asked; null for one "
        "that does not exist or that you may not see.",
        graphql_type=list[Node | None],
    )
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[NodeRow | None]:
        return await nodes.nodes(info.context, list(ids))

    @strawberry.field(
        description="A user: yourself, or anyone for admins.", graphql_type=User | None
    )
    async def user(self, info: Info, id: strawberry.ID) -> Row:
        return await users.get_user(info.context, id)

    @strawberry.field(
        description="All users, newest first (admins only).", graphql_type=Connection[User]
    )
    async def users(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        tier: SubscriptionTier | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> pages.Connection:
        window = page_window(first, after, last, before)
        return await users.list_users(info.context, window, value(tier))

    @strawberry.field(description="A session you own (admins: any).", graphql_type=Session | None)
    async def session(self, info: Info, id: strawberry.ID) -> Row:
        return await sessions.get_session(info.context, id)

    @strawberry.field(
        description="A learner's errors by (category, subcategory): counts, shares and "
        "recency weights. Without since/until it reads precomputed counters; with them it "
        "aggregates messages in [since, until).",
        graphql_type=ErrorStats,
    )
    async def error_stats(
        self,
        info: Info,
        user_id: strawberry.ID | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        top: int | None = 10,
    ) -> stats.ErrorStats:
        uid = subject_user(info.context, user_id)
        return await stats.error_stats(info.context, uid, since, until, top)

    @strawberry.field(
        description="Today's practice set (the learner's local day): due reviews first, then "
        "new exercises on the weakest targets. The same set all day. `userId` defaults to you.",
        graphql_type=DailyPractice,
    )
    async def daily_practice(
        self, info: Info, user_id: strawberry.ID | None = None
    ) -> daily.DailyPractice:
        return await daily.daily_practice(info.context, user_id)

    @strawberry.field(
        description="The review queue: pending reviews with dueAt <= now, oldest due first.",
        graphql_type=Connection[Exercise],
    )
    async def due_exercises(
        self,
        info: Info,
        user_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> pages.Connection:
        window = page_window(first, after, last, before)
        return await daily.due_exercises(info.context, user_id, window)

    @strawberry.field(
        description="Activity per day/week/month in the learner's time zone, skills, bests "
        "and totals. Default: the 30 days / 12 weeks / 12 months up to the current bucket's "
        "end; at most 366 buckets.",
        graphql_type=Progress,
    )
    async def progress(
        self,
        info: Info,
        user_id: strawberry.ID | None = None,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
        bucket: ProgressBucket | None = ProgressBucket.DAY,
    ) -> progress_resolvers.Progress:
        return await progress_resolvers.progress(
            info.context, user_id, from_, to, value(bucket) or "day"
        )

    @strawberry.field(
        description="The error taxonomy recordMessage accepts, with the built-in exercises "
        "per subcategory in `language` (default: your target language).",
        graphql_type=list[ErrorCategory],
    )
    async def error_categories(
        self, info: Info, language: str | None = None
    ) -> list[catalog.ErrorCategory]:
        return await catalog.error_categories(info.context, language)

    @strawberry.field(graphql_type=Exercise | None)
    async def exercise(self, info: Info, id: strawberry.ID) -> Row:
        return await exercises.get_exercise(info.context, id)

    @strawberry.field(
        description="What the AI calls cost (admins only): every message carrying usage, "
        "whatever its role, and every answer-evaluator call. Defaults to the last 7 UTC days; "
        "at most 366 days.",
        graphql_type=CostReport,
    )
    async def cost_report(
        self,
        info: Info,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
        top: int | None = 10,
    ) -> report.CostReport:
        return await report.cost_report(info.context, from_, to, top)

    @strawberry.field(
        description="Requests, tokens, cost, latency and learner ratings per provider and model "
        "(admins only). Whole UTC days like costReport: default the last 7, at most 366. "
        "Requests, tokens and cost are costReport.byModel's for the same window.",
        graphql_type=list[ProviderStat],
    )
    async def provider_stats(
        self,
        info: Info,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
    ) -> list[providers.ProviderStat]:
        return await providers.provider_stats(info.context, from_, to)

    @strawberry.field(
        description="Service callers (admins only), newest first.",
        graphql_type=Connection[ApiClient],
    )
    async def api_clients(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> pages.Connection:
        window = page_window(first, after, last, before)
        return await apiclients.list_api_clients(info.context, window)

    @strawberry.field(
        description=(
            "Your rate-limit budgets. Reading only this costs no points (`cost` 0), but the "
            "request counts against `remaining` like any other."
        ),
        graphql_type=RateLimitStatus,
    )
    async def rate_limit(self, info: Info) -> ratelimit.BudgetView:
        return await ratelimit.rate_limit_status(info.context)
