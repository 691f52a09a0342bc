"""Checks that refuse abusive documents before any resolver runs.

Fragments make a document's expanded size exponential in its text: `fragment F1 { ...F0
...F0 }`, `F2 { ...F1 ...F1 }`, ... doubles with every line. Every walk here therefore
visits each fragment once and memoises what it found (depth, number of selections, names), so the
work is linear in the document's length whatever it expands to; and the expanded size
itself is capped (`QUERY_MAX_SELECTIONS`), which bounds the work of everything after
validation that does expand fragments.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, NamedTuple

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

TOO_COMPLEX = {"code": "QUERY_TOO_COMPLEX"}


class Measure(NamedTuple):
    depth: int
    size: int  # selections once every fragment is inlined
    names: Counter[str]  # response names selected directly in this set, with multiplicity


class Shape:
    """Depth, expanded size and repeated response names of selection sets, one visit per
    fragment (memoised), so the walk is linear in the document whatever it expands to."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.memo: dict[str, Measure] = {}
        self.active: set[str] = set()  # fragment cycles are NoFragmentCyclesRule's to report
        self.max_repeat = 0  # most times one response name is selected in one set

    def of(self, selection_set: SelectionSetNode | None) -> Measure:
        names: Counter[str] = Counter()
        if selection_set is None:
            return Measure(0, 0, names)
        deepest, size = 0, 0
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                inner = self.of(sel.selection_set)
                self.max_repeat = max(self.max_repeat, max(inner.names.values(), default=0))
                size += 1 + inner.size
                names[(sel.alias or sel.name).value] += 1
                if not sel.name.value.startswith("__"):  # introspection has its own shape
                    deepest = max(deepest, 1 + inner.depth)
                continue
            if isinstance(sel, InlineFragmentNode):
                part = self.of(sel.selection_set)
            elif isinstance(sel, FragmentSpreadNode):
                part = self.spread(sel.name.value)
            else:  # pragma: no cover - no other selection kinds exist
                continue
            deepest, size = max(deepest, part.depth), size + part.size
            names.update(part.names)
        return Measure(deepest, size, names)

    def spread(self, name: str) -> Measure:
        known = self.memo.get(name)
        if known is not None:
            return known
        fragment = self.fragments.get(name)
        if fragment is None or name in self.active:
            return Measure(0, 0, Counter())
        self.active.add(name)
        try:
            result = self.of(fragment.selection_set)
        finally:
            self.active.discard(name)
        self.memo[name] = result
        return result


@dataclass(frozen=True)
class ShapeLimits:
    max_depth: int
    max_selections: int
    max_repeats: int


def shape_problems(document: DocumentNode, limits: ShapeLimits) -> list[GraphQLError]:
    """What is wrong with the document's shape, found in one linear walk.

    Runs before graphql-core's own validation (gateway/validation.py), because one of its
    rules (OverlappingFieldsCanBeMerged) compares every pair of fields that share a
    response name: 500 copies of `me { id }` (5 KB) took 0.8 s of CPU there. Capping
    repeats per selection set bounds that quadratic term before it runs.
    """
    shape = Shape(
        {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    )
    problems = []
    for op in document.definitions:
        if not isinstance(op, OperationDefinitionNode):
            continue
        measure = shape.of(op.selection_set)
        repeats = max(shape.max_repeat, max(measure.names.values(), default=0))
        if measure.depth > limits.max_depth:
            problems.append(
                GraphQLError(
                    f"Query depth {measure.depth} exceeds the maximum of {limits.max_depth}.",
                    op,
                    extensions={
                        **TOO_COMPLEX,
                        "depth": measure.depth,
                        "maxDepth": limits.max_depth,
                    },
                )
            )
        if measure.size > limits.max_selections:
            problems.append(
                GraphQLError(
                    f"The operation expands to {measure.size} selections once its fragments "
                    f"are inlined; the maximum is {limits.max_selections}.",
                    op,
                    extensions={
                        **TOO_COMPLEX,
                        "selections": measure.size,
                        "maxSelections": limits.max_selections,
                    },
                )
            )
        if repeats > limits.max_repeats:
            problems.append(
                GraphQLError(
                    f"One field is selected {repeats} times in one selection set; the maximum "
                    f"is {limits.max_repeats}.",
                    op,
                    extensions={
                        **TOO_COMPLEX,
                        "repeats": repeats,
                        "maxRepeats": limits.max_repeats,
                    },
                )
            )
    return problems


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
