"""Validation rules that refuse abusive documents before any resolver runs.

Fragments make a document's expanded size exponential in its text: `fragment F1 { ...F0
...F0 }`, `F2 { ...F1 ...F1 }`, ... doubles with every line. Every walk here therefore
visits each fragment once and memoises what it found (depth, number of selections), so the
work is linear in the document's length whatever it expands to; and the expanded size
itself is capped (`QUERY_MAX_SELECTIONS`), which bounds the work of everything after
validation that does expand fragments.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    ASTValidationRule,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

TOO_COMPLEX = {"code": "QUERY_TOO_COMPLEX"}


class Shape:
    """Depth and expanded selection count of selection sets, one visit per fragment."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.memo: dict[str, tuple[int, int]] = {}
        self.active: set[str] = set()  # fragment cycles are NoFragmentCyclesRule's to report

    def of(self, selection_set: SelectionSetNode | None) -> tuple[int, int]:
        """(depth, number of selections once every fragment is inlined)."""
        if selection_set is None:
            return 0, 0
        deepest, size = 0, 0
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                depth, inner = self.of(sel.selection_set)
                size += 1 + inner
                if not sel.name.value.startswith("__"):  # introspection has its own shape
                    deepest = max(deepest, 1 + depth)
            elif isinstance(sel, InlineFragmentNode):
                depth, inner = self.of(sel.selection_set)
                deepest, size = max(deepest, depth), size + inner
            elif isinstance(sel, FragmentSpreadNode):
                depth, inner = self.spread(sel.name.value)
                deepest, size = max(deepest, depth), size + inner
        return deepest, size

    def spread(self, name: str) -> tuple[int, int]:
        known = self.memo.get(name)
        if known is not None:
            return known
        fragment = self.fragments.get(name)
        if fragment is None or name in self.active:
            return 0, 0
        self.active.add(name)
        try:
            result = self.of(fragment.selection_set)
        finally:
            self.active.discard(name)
        self.memo[name] = result
        return result


def shape_limit_rule(max_depth: int, max_selections: int) -> type[ASTValidationRule]:
    class ShapeLimit(ASTValidationRule):
        shape: Shape | None = None

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            ctx = self.context
            if self.shape is None:  # shared by the document's operations: fragments once
                self.shape = Shape(
                    {
                        d.name.value: d
                        for d in ctx.document.definitions
                        if isinstance(d, FragmentDefinitionNode)
                    }
                )
            depth, size = self.shape.of(node.selection_set)
            if depth > max_depth:
                ctx.report_error(
                    GraphQLError(
                        f"Query depth {depth} exceeds the maximum of {max_depth}.",
                        node,
                        extensions={**TOO_COMPLEX, "depth": depth, "maxDepth": max_depth},
                    )
                )
            if size > max_selections:
                ctx.report_error(
                    GraphQLError(
                        f"The operation expands to {size} selections once its fragments are "
                        f"inlined; the maximum is {max_selections}.",
                        node,
                        extensions={
                            **TOO_COMPLEX,
                            "selections": size,
                            "maxSelections": max_selections,
                        },
                    )
                )

    return ShapeLimit


def alias_limit_rule(max_aliases: int) -> type[ASTValidationRule]:
    class AliasLimit(ASTValidationRule):
        count = 0

        def enter_field(self, node: FieldNode, *_: Any) -> None:
            if node.alias is None:
                return
            self.count += 1
            if self.count == max_aliases + 1:
                self.context.report_error(
                    GraphQLError(
                        f"The document uses more than {max_aliases} aliases.",
                        node,
                        extensions={**TOO_COMPLEX, "maxAliases": max_aliases},
                    )
                )

    return AliasLimit
