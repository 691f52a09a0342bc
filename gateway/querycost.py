"""Calculated query cost, in the spirit of Shopify's and GitHub's GraphQL APIs.

An object costs 1; a connection costs 1 plus `first` times what each of its nodes costs
(so nesting multiplies); scalars are free; every mutation field costs 10 on top. The
result approximates how many objects the operation can make the server load, and is
known before anything runs.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_leaf_type,
    value_from_ast_untyped,
)

MUTATION_FIELD_COST = 10
# Root fields that cost nothing: reading your own budget must not spend it.
FREE_ROOT_FIELDS = frozenset({"rateLimit", "__typename"})
DEFAULT_PAGE = 20
MAX_PAGE = 100


def select_operation(
    document: DocumentNode, operation_name: str | None
) -> OperationDefinitionNode | None:
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        return next((o for o in ops if o.name and o.name.value == operation_name), None)
    return ops[0] if len(ops) == 1 else None


class _Walker:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode, variables: dict[str, Any]):
        self.schema = schema
        self.variables = variables
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }

    def arg(self, field: FieldNode, name: str) -> Any:
        for argument in field.arguments or ():
            if argument.name.value == name:
                if isinstance(argument.value, VariableNode):
                    return self.variables.get(argument.value.name.value)
                return value_from_ast_untyped(argument.value, self.variables)
        return None

    def page_size(self, field: FieldNode) -> int:
        first = self.arg(field, "first")
        if not isinstance(first, int) or first < 0:
            return DEFAULT_PAGE
        return min(first, MAX_PAGE)

    def fields(self, selection_set: SelectionSetNode | None, seen: frozenset[str] = frozenset()):
        """Yield the FieldNodes of a selection set with fragments flattened."""
        if selection_set is None:
            return
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                yield sel
            elif isinstance(sel, InlineFragmentNode):
                yield from self.fields(sel.selection_set, seen)
            elif isinstance(sel, FragmentSpreadNode):
                name = sel.name.value
                frag = self.fragments.get(name)
                if frag is not None and name not in seen:
                    yield from self.fields(frag.selection_set, seen | {name})

    def cost(self, selection_set: SelectionSetNode | None, parent: Any) -> int:
        total = 0
        for field in self.fields(selection_set):
            name = field.name.value
            if name.startswith("__"):
                total += 1 if name in ("__schema", "__type") else 0
                continue
            field_def = getattr(parent, "fields", {}).get(name)
            if field_def is None:
                continue
            named = get_named_type(field_def.type)
            if is_leaf_type(named):
                continue
            if named.name.endswith("Connection"):
                total += 1 + self.connection_cost(field, named)
            else:
                total += 1 + self.cost(field.selection_set, named)
        return total

    def connection_cost(self, field: FieldNode, conn_type: Any) -> int:
        n = self.page_size(field)
        total = 0
        for child in self.fields(field.selection_set):
            if child.name.value in ("edges", "nodes"):
                edge_type = get_named_type(conn_type.fields[child.name.value].type)
                total += n * self.cost(child.selection_set, edge_type)
            # pageInfo and totalCount come with the connection.
        return total


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
) -> int:
    op = select_operation(document, operation_name)
    if op is None:
        return 0
    root: GraphQLObjectType | None = schema.get_root_type(op.operation)
    if root is None:
        return 0
    walker = _Walker(schema, document, variables or {})
    total = 0
    for field in walker.fields(op.selection_set):
        name = field.name.value
        if name in FREE_ROOT_FIELDS:
            continue
        field_def = root.fields.get(name)
        if op.operation == OperationType.MUTATION:
            total += MUTATION_FIELD_COST
        if name.startswith("__"):
            total += 1
            continue
        if field_def is None:
            continue
        named = get_named_type(field_def.type)
        if is_leaf_type(named):
            total += 1
        elif named.name.endswith("Connection"):
            total += 1 + walker.connection_cost(field, named)
        else:
            total += 1 + walker.cost(field.selection_set, named)
    return total
