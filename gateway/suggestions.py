"""No "Did you mean ...?" when introspection is off.

graphql-core appends suggestions to validation and input-coercion errors ("Cannot query
field 'cost' on type 'Query'. Did you mean 'costReport'?"): with introspection disabled
that would hand the schema out one guess at a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

# graphql.pyutils.did_you_mean: " Did you mean 'a', 'b', or 'c'?" (names never hold '?')
_SUGGESTION = re.compile(r" Did you mean [^?]*\?")


def without_suggestion(error: GraphQLError) -> GraphQLError:
    message = _SUGGESTION.sub("", error.message)
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
            result.errors = [without_suggestion(e) for e in result.errors]
