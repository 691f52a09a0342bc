"""Schema assembly: the types and the roots; the gateway hands in the guards it runs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import strawberry
from graphql import GraphQLError, GraphQLObjectType
from strawberry.types import ExecutionContext

from schema.mutation import Mutation
from schema.node import NODE_TYPE_NAMES
from schema.query import Query
from schema.scalars import BigInt, BigIntScalar, BoundedDateTime
from schema.subscription import Subscription


class GatewaySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Logged once, with the request id, where they are formatted (gateway/errors.py)."""


def build_schema(
    extensions: Sequence[Any] = (), execution_context_class: type[Any] | None = None
) -> GatewaySchema:
    schema = GatewaySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=list(extensions),
        execution_context_class=execution_context_class,
        scalar_overrides={datetime: BoundedDateTime, BigInt: BigIntScalar},
    )
    for name in NODE_TYPE_NAMES:  # see schema/node.py
        node_type = schema._schema.type_map[name]
        assert isinstance(node_type, GraphQLObjectType)
        node_type.is_type_of = None
    return schema
