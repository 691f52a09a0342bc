"""The Subscription root: what a WebSocket (graphql-transport-ws) client can stream."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from strawberry import Info

from resolvers import live
from schema.enums import SessionEventType
from schema.messages import Message
from schema.sessions import Session


@strawberry.type(
    description="A change of a session, with the session and message as that change left "
    "them. `id` orders a session's events; pass the last one you saw as `after` to resume."
)
class SessionEvent:
    id: strawberry.ID
    type: SessionEventType
    at: datetime
    session: Session
    message: Message | None


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Every message recorded, annotated or rated in the session and its end "
        "(the stream completes after SESSION_ENDED). The session's learner, admins and "
        "TUTOR callers. `after`: an event id; the events since then come first, in order, "
        "once each (kept 24 hours)."
    )
    async def session_events(
        self, info: Info, session_id: strawberry.ID, after: strawberry.ID | None = None
    ) -> AsyncGenerator[SessionEvent, None]:
        async for event in live.session_events(info.context, session_id, after):
            yield event  # type: ignore[misc]
