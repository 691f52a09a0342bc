"""The admin cost report."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from schema.scalars import BigInt

if TYPE_CHECKING:
    from schema.users import User

UserT = Annotated["User", strawberry.lazy("schema.users")]


@strawberry.enum
class AlertLevel(Enum):
    WARNING = "warning"
    CRITICAL = "critical"


@strawberry.enum
class AlertWindow(Enum):
    HOUR = "hour"
    DAY = "day"


@strawberry.type(
    description="Spend grouped by provider, provider/model, UTC day (YYYY-MM-DD), session "
    "topic or subscription tier."
)
class CostBucket:
    key: str = strawberry.field(
        description="The provider, 'provider/model', the UTC day (YYYY-MM-DD), the session "
        "topic or the subscription tier; 'unknown' for a call that named none."
    )
    cost: float = strawberry.field(
        description="US dollars: the sum of the calls' stored costs (the cost the tutor sent, "
        "else its tokens priced when it was recorded; not repriced later), rounded to 8 "
        "decimals."
    )
    tokens: BigInt = strawberry.field(description="tokensIn + tokensOut of the calls.")
    requests: int = strawberry.field(
        description="AI calls: messages carrying usage (tokens or cost above 0), whatever "
        "their role, and answer-evaluator calls."
    )


@strawberry.type
class UserCost:
    user: UserT | None = strawberry.field(description="Null if the user was deleted.")
    cost: float = strawberry.field(
        description="US dollars spent on this learner's AI calls in the window."
    )
    tokens: BigInt = strawberry.field(description="tokensIn + tokensOut of those calls.")
    requests: int = strawberry.field(description="AI calls for this learner in the window.")


@strawberry.type
class CostAlert:
    level: AlertLevel = strawberry.field(
        description="WARNING at 80% of the threshold, CRITICAL at 100%."
    )
    window: AlertWindow = strawberry.field(
        description="HOUR: this UTC hour; DAY: today, or an earlier UTC day of the window."
    )
    threshold: float = strawberry.field(
        description="US dollars: COST_ALERT_HOURLY or COST_ALERT_DAILY."
    )
    value: float = strawberry.field(description="US dollars spent in that hour or day.")
    message: str


@strawberry.type(
    description="AI spend: every AI call, i.e. every message carrying usage (tokens or cost "
    "above 0) whatever its role (ASSISTANT, SYSTEM, or USER recorded by the tutor service), "
    "and every answer-evaluator call: totalCost is the cost of the window's messages (what "
    "they added to their sessions' totalCost) plus that of its evaluator calls. The window "
    "is whole UTC days; from/to say which."
)
class CostReport:
    from_: datetime = strawberry.field(
        name="from", description="Midnight UTC starting the first day counted."
    )
    to: datetime = strawberry.field(
        description="Midnight UTC after the last day counted (the window is [from, to))."
    )
    total_cost: float = strawberry.field(
        description="US dollars: the stored costs of the window's AI calls (the cost the tutor "
        "sent, else its tokens priced when recorded; not repriced later), rounded to 8 "
        "decimals. The buckets of each breakdown add up to it within that rounding."
    )
    total_tokens: BigInt = strawberry.field(description="tokensIn + tokensOut of those calls.")
    total_requests: int = strawberry.field(
        description="AI calls in the window (CostBucket.requests); providerStats counts the "
        "same calls."
    )
    today: float = strawberry.field(
        description="US dollars spent so far today (UTC), whatever from/to say."
    )
    this_hour: float = strawberry.field(
        description="US dollars spent so far this UTC hour, whatever from/to say."
    )
    this_week: float = strawberry.field(
        description="US dollars spent since Monday 00:00 UTC, whatever from/to say."
    )
    by_provider: list[CostBucket] = strawberry.field(
        description="The window by provider, most expensive first."
    )
    by_model: list[CostBucket] = strawberry.field(
        description="The window by 'provider/model', most expensive first."
    )
    by_day: list[CostBucket] = strawberry.field(
        description="The window by UTC day, oldest first; a day without AI calls has no bucket."
    )
    top_users: list[UserCost] = strawberry.field(
        description="The `top` learners who cost most in the window, most expensive first."
    )
    alerts: list[CostAlert] = strawberry.field(
        description="Thresholds reached this hour or today, and earlier days of the window "
        "over the daily threshold."
    )
    by_topic: list[CostBucket] = strawberry.field(
        description="The window by session topic ('(none)' for sessions without one), most "
        "expensive first."
    )
    by_tier: list[CostBucket] = strawberry.field(
        description="The window by the learner's subscription tier when the call was "
        "recorded, most expensive first."
    )


@strawberry.type(description="One provider and model over the window.")
class ProviderStat:
    provider: str
    model: str
    requests: int = strawberry.field(
        description="AI calls: messages carrying usage (tokens or cost above 0), whatever "
        "their role, and answer-evaluator calls. Equal to costReport.byModel's requests for "
        "the key 'provider/model' over the same window, as are tokens and cost. A reply "
        "without usage is not a call."
    )
    tokens: BigInt = strawberry.field(description="tokensIn + tokensOut of those calls.")
    cost: float = strawberry.field(
        description="US dollars: the calls' stored costs, rounded to 8 decimals."
    )
    avg_response_time_ms: float | None = strawberry.field(
        description="Over the requests that sent a responseTimeMs."
    )
    p95_response_time_ms: float | None = strawberry.field(
        description="Over the requests that sent a responseTimeMs, from a log-bucketed "
        "histogram: within 10% of the exact value."
    )
    rated_count: int = strawberry.field(
        description="Rated ASSISTANT replies, with or without usage (so it may exceed requests)."
    )
    avg_rating: float | None = strawberry.field(description="1..5.")
    helpful_share: float | None = strawberry.field(
        description="Share of 'helpful: true' among ratings that answered it."
    )
