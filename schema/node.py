"""The Relay `Node` interface: every object with an id a client may refetch by it."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLResolveInfo


@strawberry.interface(
    description="An object with a globally unique id: refetch it with `node(id:)` (Relay)."
)
class Node:
    id: strawberry.ID

    @classmethod
    def resolve_type(cls, obj: Any, info: GraphQLResolveInfo, type_: Any) -> str:
        # `node`/`nodes` answer resolvers.nodes.NodeRow, which carries its type name.
        return str(obj.typename)


# The types implementing Node. Strawberry gives each an isinstance `is_type_of` check,
# which the rows every resolver returns would fail and which takes operations off the
# compiled executor (gateway/execution/plan.py): build_schema removes it, since
# Node.resolve_type already says which type a node is.
NODE_TYPE_NAMES = ("User", "Session", "Message", "Exercise")
