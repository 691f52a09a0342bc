"""Relay's `node(id:)` / `nodes(ids:)`: any User, Session, Message or Exercise by its id.

Ids are the UUID strings they always were (unique across collections), so a global id
needs no type prefix: the type is found by looking the id up in the four collections at
once, each an `_id` index lookup through the request's by-id DataLoaders (so `nodes` of
many ids is four queries, and rows this request already loaded cost none). Who may see
a node is what the typed fields allow: your own rows, anyone's for admins; a node you may
not see is null, as one that does not exist.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from models.rows import Row
from resolvers import validation as v
from resolvers.context import RequestContext
from resolvers.errors import BadUserInput
from resolvers.permissions import can_access_user, require_viewer

# At most this many ids per `nodes` call (a page's worth, like `first`).
MAX_NODE_IDS = 100


class NodeRow(Row):
    """A row that knows its GraphQL type: the Node interface resolves it by `typename`."""

    __slots__ = ()
    typename: ClassVar[str] = ""


class UserNode(NodeRow):
    __slots__ = ()
    typename = "User"


class SessionNode(NodeRow):
    __slots__ = ()
    typename = "Session"


class MessageNode(NodeRow):
    __slots__ = ()
    typename = "Message"


class ExerciseNode(NodeRow):
    __slots__ = ()
    typename = "Exercise"


async def nodes(ctx: RequestContext, ids: list[str], field: str = "ids") -> list[NodeRow | None]:
    """`field`: the argument the ids came in, named by a refusal (`node`'s is `id`)."""
    viewer = require_viewer(ctx)
    if len(ids) > MAX_NODE_IDS:
        raise BadUserInput(f"At most {MAX_NODE_IDS} ids per call.", field=field)
    wanted = [v.plain_id(i, field) for i in ids]
    loaders = ctx.loaders
    users, sessions, messages, exercises = await asyncio.gather(
        loaders.user.load_many(wanted),
        loaders.session.load_many(wanted),
        loaders.message.load_many(wanted),
        loaders.exercise.load_many(wanted),
    )
    out: list[NodeRow | None] = []
    for user, session, message, exercise in zip(users, sessions, messages, exercises, strict=True):
        node: NodeRow | None = None
        if user is not None:
            node = UserNode(user) if can_access_user(viewer, user["_id"]) else None
        else:
            for row, kind in (
                (session, SessionNode),
                (message, MessageNode),
                (exercise, ExerciseNode),
            ):
                if row is not None:
                    node = kind(row) if can_access_user(viewer, row["user_id"]) else None
                    break
        out.append(node)
    return out
