"""Message type, the language errors found in it, and recordMessage's input."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import Info

from models.documents import LanguageErrorDoc
from models.rows import Row
from resolvers.dataloaders import MESSAGE_ORDER
from resolvers.messages import MessageInput
from resolvers.pagination import Edge as PageEdge
from schema.enums import MessageRole
from schema.node import Node
from schema.pagination import Edge
from schema.rowfields import row_list

if TYPE_CHECKING:
    from schema.sessions import Session
    from schema.users import User

UserT = Annotated["User", strawberry.lazy("schema.users")]
SessionT = Annotated["Session", strawberry.lazy("schema.sessions")]
# The type itself, for its own fields' graphql_type (the class does not exist yet there).
MessageT = Annotated["Message", strawberry.lazy("schema.messages")]


@strawberry.type
class LanguageError:
    category: str
    subcategory: str
    excerpt: str | None
    correction: str | None
    explanation: str | None


@strawberry.type
class Message(Node):
    id: strawberry.ID
    role: MessageRole
    content: str
    timestamp: datetime
    provider: str | None
    model: str | None
    tokens_in: int | None
    tokens_out: int | None
    cost: float | None
    response_time_ms: int | None
    rating: int | None = strawberry.field(
        description="The learner's rating of an ASSISTANT reply, 1..5 (rateMessage)."
    )
    helpful: bool | None = strawberry.field(description="The learner's 'was this helpful?'.")

    @strawberry.field
    @row_list("errors")
    def errors(self) -> list[LanguageError]:
        # `self` is a Row (a dict) almost always: read it directly, the commonest field of
        # the largest reads (README "Performance").
        if type(self) is Row:
            errors = self.get("errors")  # type: ignore[attr-defined]
        else:
            errors = getattr(self, "errors", None)
        if not errors:
            return []
        # Read paths decode embedded documents as Rows already (Database.rows): the list is
        # served as it is; plain dicts (a message built in this request) become Rows, which
        # Strawberry can read with getattr. (A loop: for the usual one to three errors it
        # is half the cost of all(map(...)).)
        if type(errors) is list:
            for e in errors:
                if type(e) is not Row:
                    break
            else:
                return errors  # type: ignore[no-any-return]
        return [Row(e) for e in errors]  # type: ignore[misc]

    @strawberry.field
    async def session(self, info: Info) -> SessionT:
        return await info.context.loaders.session.load(self.session_id)  # type: ignore[attr-defined]

    @strawberry.field(
        description="This message as an edge of Session.messages (with its cursor there): "
        "what a client inserts into a loaded page after recordMessage.",
        graphql_type=Edge[MessageT],
    )
    def edge(self) -> PageEdge:
        return PageEdge((self, MESSAGE_ORDER))

    @strawberry.field
    async def user(self, info: Info) -> UserT:
        return await info.context.loaders.user.load(self.user_id)  # type: ignore[attr-defined]


@strawberry.experimental.pydantic.input(model=LanguageErrorDoc, all_fields=True)
class LanguageErrorInput:
    """The stored shape of a language error (models/documents/messages.py), as an input."""


@strawberry.input
class RateMessageInput:
    rating: int = strawberry.field(description="1 (poor) to 5 (excellent).")
    helpful: bool | None = None
    comment: str | None = strawberry.field(default=None, description="At most 1000 characters.")


@strawberry.experimental.pydantic.input(model=MessageInput, all_fields=True)
class RecordMessageInput:
    """resolvers/messages.py's MessageInput as an input; only the id's GraphQL type is its own."""

    session_id: strawberry.ID
