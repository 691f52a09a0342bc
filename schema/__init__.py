"""Schema assembly: the types, the roots and the extensions that guard execution."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.types import ExecutionContext

from gateway.admission import Admission
from gateway.querylimits import alias_limit_rule, depth_limit_rule
from gateway.settings import Settings
from schema.mutation import Mutation
from schema.query import Query


class GatewaySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Logged once, with the request id, where they are formatted (gateway/errors.py)."""


def build_schema(settings: Settings) -> GatewaySchema:
    rules = [
        depth_limit_rule(settings.query_max_depth),
        alias_limit_rule(settings.query_max_aliases),
    ]
    # Clients send the same few documents over and over: parse and validate each once
    # (keyed by the document text; cost is still computed per request from the variables).
    parser_cache = ParserCache(maxsize=512)
    validation_cache = ValidationCache(maxsize=512)
    extensions: list[Any] = [
        lambda: MaxTokensLimiter(max_token_count=settings.query_max_tokens),
        lambda: parser_cache,
        lambda: AddValidationRules(rules),
        lambda: validation_cache,
        Admission,
    ]
    if not settings.introspection_enabled:
        extensions.append(DisableIntrospection)
    return GatewaySchema(query=Query, mutation=Mutation, extensions=extensions)
