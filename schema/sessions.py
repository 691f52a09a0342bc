"""Session type."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import Info

from models.rows import Row
from resolvers import messages as message_resolvers
from resolvers import pagination as pages
from resolvers.dataloaders import SESSION_ORDER
from resolvers.pagination import Edge as PageEdge
from resolvers.pagination import page_window
from schema.batching import relation
from schema.enums import SessionStatus
from schema.node import Node
from schema.pagination import Connection, Edge, selects_cursor, selects_total

if TYPE_CHECKING:
    from schema.messages import Message
    from schema.users import User

UserT = Annotated["User", strawberry.lazy("schema.users")]
MessageT = Annotated["Message", strawberry.lazy("schema.messages")]
# The type itself, for its own fields' graphql_type (the class does not exist yet there).
SessionT = Annotated["Session", strawberry.lazy("schema.sessions")]


async def _messages(
    sessions: list[Any],
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> list[pages.Connection]:
    """Session.messages for many sessions (schema/batching.py). Each session's owner
    targets its messages' shard (docs/scaling.md)."""
    return await message_resolvers.messages_of(
        info.context,
        [
            # A Row answers s.id with s["_id"] and a missing attribute with None.
            (s["_id"], s.get("user_id")) if type(s) is Row else (s.id, getattr(s, "user_id", None))
            for s in sessions
        ],
        page_window(first, after, last, before),
        selects_total(info),
        selects_cursor(info),
    )


@strawberry.type
class Session(Node):
    id: strawberry.ID
    started_at: datetime
    ended_at: datetime | None
    status: SessionStatus
    topic: str | None
    provider: str | None
    total_messages: int
    total_tokens: int
    total_cost: float

    @strawberry.field
    async def user(self, info: Info) -> UserT:
        return await info.context.loaders.user.load(self.user_id)  # type: ignore[attr-defined]

    @strawberry.field(
        description="This session as an edge of User.sessions (with its cursor there): "
        "what a client inserts into a loaded page after startSession.",
        graphql_type=Edge[SessionT],
    )
    def edge(self) -> PageEdge:
        return PageEdge((self, SESSION_ORDER))

    @strawberry.field(description="Mean latency of the timed assistant replies, in ms.")
    def avg_response_time_ms(self) -> float | None:
        # Derived from a sum and a count that concurrent writers $inc, so it is exact.
        count = getattr(self, "response_time_count", 0) or 0
        if not count:
            return None
        return round(getattr(self, "response_time_sum_ms", 0) / count, 3)

    messages = relation(
        _messages,
        description="Oldest first, in conversation order. A chat view opens at the newest "
        "with `last` and pages back with `before`.",
        graphql_type=Connection[MessageT],
    )


@strawberry.input
class StartSessionInput:
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description="Defaults to you; admins must give it."
    )
    topic: str | None = None
    provider: str | None = None
