"""Schema assembly: the types and the roots; the gateway hands in the guards it runs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.types import ExecutionContext

from schema.mutation import Mutation
from schema.query import Query
from schema.scalars import BoundedDateTime


class GatewaySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Logged once, with the request id, where they are formatted (gateway/errors.py)."""


def build_schema(
    extensions: Sequence[Any] = (), execution_context_class: type[Any] | None = None
) -> GatewaySchema:
    return GatewaySchema(
        query=Query,
        mutation=Mutation,
        extensions=list(extensions),
        execution_context_class=execution_context_class,
        scalar_overrides={datetime: BoundedDateTime},
    )
