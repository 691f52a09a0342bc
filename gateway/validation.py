"""Validation with a ceiling on its work, cached per document.

Replaces Strawberry's ValidationCache: the linear shape check (gateway/querylimits.py:
depth, expanded selections, repeated fields) runs first, and graphql-core's rules only
see documents it accepted, so no document can make validation super-linear. Results are
kept per document and live exactly as long as it does (gateway/doccache.py): an LRU keyed
by the document would keep documents the byte-bounded parse cache has let go.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import DocumentNode, GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from gateway.doccache import PerDocument
from gateway.querylimits import ShapeLimits, shape_problems


class BoundedValidationBase(SchemaExtension):
    """What every class bounded_validation builds is (the compiled pipeline knows it as
    per-document work: gateway/pipeline.py)."""


def bounded_validation(limits: ShapeLimits) -> type[BoundedValidationBase]:
    results: PerDocument[tuple[Any, tuple[Any, ...], list[GraphQLError]]] = PerDocument()

    def validate(schema: Any, document: DocumentNode, rules: tuple[Any, ...]) -> list[GraphQLError]:
        hit = results.get(document)
        if hit is not None and hit[0] is schema and hit[1] == rules:
            return hit[2]
        errors = shape_problems(document, limits) or validate_document(schema, document, rules)
        results.put(document, (schema, rules, errors))
        return errors

    class BoundedValidation(BoundedValidationBase):
        def on_validate(self) -> Iterator[None]:
            ec = self.execution_context
            if ec.pre_execution_errors is None:
                assert ec.graphql_document is not None
                ec.pre_execution_errors = validate(
                    ec.schema._schema, ec.graphql_document, tuple(ec.validation_rules)
                )
            yield

    return BoundedValidation
