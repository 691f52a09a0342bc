"""The Subscription root: what a WebSocket (graphql-transport-ws) client can stream."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from strawberry import Info

from resolvers import live, turns
from schema.enums import SessionEventType
from schema.messages import Message
from schema.sessions import Session
from schema.users import User


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


@strawberry.type(
    description="A learner's USER message for the tutor service to answer. Acknowledge it "
    "with ackTurn once handled; unacknowledged within TURN_ACK_TIMEOUT_SECONDS, it goes to "
    "another client of the group with attempt + 1."
)
class TutorTurn:
    id: strawberry.ID
    attempt: int
    message: Message
    session: Session

    @strawberry.field(description="The learner who wrote the message.")
    async def learner(self, info: Info) -> User:
        return await info.context.loaders.user.load(self.user_id)  # type: ignore[attr-defined, no-any-return]


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Every message recorded, annotated or rated in the session and its end "
        "(the stream completes after SESSION_ENDED). The session's learner, admins and "
        "TUTOR callers. `after`: an event id; the events since then come first, in order, "
        "once each (kept 24 hours)."
    )
    def session_events(
        self, info: Info, session_id: strawberry.ID, after: strawberry.ID | None = None
    ) -> AsyncGenerator[SessionEvent, None]:
        # The resolvers' generator itself, not one more generator re-yielding it: one
        # frame and one tracked async generator less per idle subscription (W5).
        return live.session_events(info.context, session_id, after)  # type: ignore[return-value]

    @strawberry.subscription(
        description="TUTOR callers only. Each new learner USER message, delivered to one "
        "connected client of the group; not acknowledged (ackTurn) in time, to another, "
        "attempt + 1. A client naming itself in connection_init (`consumer`) gets its "
        "unacknowledged turns back when it reconnects."
    )
    async def tutor_turns(self, info: Info, group: str) -> AsyncGenerator[TutorTurn, None]:
        async for turn in turns.tutor_turns(info.context, group):
            yield turn  # type: ignore[misc]
