"""The schema extensions that guard execution, in the order they run."""

from __future__ import annotations

from typing import Any

from graphql import DocumentNode
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxTokensLimiter,
)

from gateway.admission import Admission
from gateway.doccache import DOCUMENT_CACHE_SIZE, BoundedParserCache, ByteLru
from gateway.execution.conventions import Conventions
from gateway.execution.executor import compiled_executor
from gateway.querylimits import ShapeLimits, alias_limit_rule
from gateway.settings import Settings
from gateway.suggestions import HideSuggestions
from gateway.validation import bounded_validation
from models.rows import FIELDS as ROW_FIELDS
from models.rows import Row
from schema import GatewaySchema, build_schema
from schema.batching import BATCH_FORM
from schema.rowfields import ROW_LIST

# What the compiled executor may assume about this application's values (it imports
# nothing from schema/ or models/): reads return Rows, whose `id` is stored as `_id`;
# batch forms and row-list promises are marked as schema/batching.py and
# schema/rowfields.py mark them.
# The schema's synchronous resolvers without arguments only compute from the row (edges,
# cursors, counts, streaks): pure subtrees may call them again (Conventions.pure_resolvers).
CONVENTIONS = Conventions(
    row=Row,
    row_fields=ROW_FIELDS,
    row_keys={"id": "_id"},
    batch_form=BATCH_FORM,
    row_list=ROW_LIST,
    pure_resolvers=True,
)


def schema_extensions(settings: Settings) -> list[Any]:
    rules = [alias_limit_rule(settings.query_max_aliases)]
    limits = ShapeLimits(
        max_depth=settings.query_max_depth,
        max_selections=settings.query_max_selections,
        max_repeats=settings.query_max_repeats,
    )
    # Clients send the same few documents over and over: parse and validate each once
    # (keyed by the document text; cost is still computed per request from the variables).
    # A fresh extension per request around one cache: a shared instance would hold the
    # last request's execution context (its loaders and every row it read) until the next
    # request. The cache is bounded by the bytes its documents retain (gateway/doccache.py).
    parsed: ByteLru[DocumentNode] = ByteLru(settings.document_cache_bytes, DOCUMENT_CACHE_SIZE)
    extensions: list[Any] = [
        lambda: MaxTokensLimiter(max_token_count=settings.query_max_tokens),
        lambda: BoundedParserCache(parsed),
        lambda: AddValidationRules(rules),
        bounded_validation(limits),
        Admission,
    ]
    if not settings.introspection_enabled:
        extensions += [DisableIntrospection, HideSuggestions]
    return extensions


def guarded_schema(settings: Settings) -> GatewaySchema:
    executor = (
        compiled_executor(CONVENTIONS, max_bytes=settings.document_cache_bytes)
        if settings.execution_fast_path
        else None
    )
    return build_schema(schema_extensions(settings), executor)
