"""No schema hints in error messages when introspection is off.

graphql-core appends suggestions to validation and input-coercion errors ("Cannot query
field 'cost' on type 'Query'. Did you mean 'costReport'?"), names input types ("Expected
value of type 'RecordMessageInput!'") and the required fields of an input object
("Field 'RecordMessageInput.sessionId' of required type 'ID!' was not provided."): with
introspection disabled that would hand the schema out one guess at a time. So without
introspection the suggestions go, a missing required field or argument is reported
without its name, and every quoted name of a type the schema defines (other than the
root types and the built-in scalars, which every GraphQL server has) becomes '…'. Names
the client wrote itself that match no type stay, so a typo is still shown back.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from graphql import GraphQLError, GraphQLSchema
from strawberry.extensions import SchemaExtension

# graphql.pyutils.did_you_mean: " Did you mean 'a', 'b', or 'c'?" (names never hold '?')
_SUGGESTION = re.compile(r" Did you mean [^?]*\?")
_MISSING = [
    (
        re.compile(r"Field '[^']+' of required type '[^']+' was not provided\."),
        "A required input field was not provided.",
    ),
    (re.compile(r"to include required field '[^']+'"), "to include every required field"),
    (
        re.compile(r"Argument '[^']+' of type '[^']+' is required, but it was not provided\."),
        "A required argument was not provided.",
    ),
]
_QUOTED = re.compile(r"'([^'\s]+)'")
_PUBLIC = frozenset(
    {"Query", "Mutation", "Subscription", "String", "Int", "Float", "Boolean", "ID"}
)


@lru_cache(maxsize=8)
def _hidden_types(schema: GraphQLSchema) -> frozenset[str]:
    return frozenset(
        name for name in schema.type_map if not name.startswith("__") and name not in _PUBLIC
    )


def _hide_type(match: re.Match[str], hidden: frozenset[str]) -> str:
    base = match.group(1).strip("[]!").split(".", 1)[0]
    return "'…'" if base in hidden else match.group(0)


def without_suggestion(error: GraphQLError, schema: GraphQLSchema | None = None) -> GraphQLError:
    message = _SUGGESTION.sub("", error.message)
    if schema is not None:
        for pattern, replacement in _MISSING:
            message = pattern.sub(replacement, message)
        hidden = _hidden_types(schema)
        message = _QUOTED.sub(lambda m: _hide_type(m, hidden), message)
    if message == error.message:
        return error
    return GraphQLError(
        message,
        error.nodes,
        error.source,
        error.positions,
        error.path,
        error.original_error,
        error.extensions,
    )


class HideSuggestions(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            schema = self.execution_context.schema._schema
            result.errors = [without_suggestion(e, schema) for e in result.errors]
