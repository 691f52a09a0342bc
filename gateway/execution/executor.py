"""The executor Strawberry runs for each operation: the compiled plan when there is one.

Strawberry builds it through graphql-core's `Executor.build` (variables coerced, operation
selected) after the schema extensions have parsed, validated and admitted the operation;
only `execute_operation` changes. Plans are cached per operation node (the parse cache
hands back the same document for the same text) and per value of the variables that
@include/@skip read, since those decide which fields are collected.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    ArgumentNode,
    DirectiveNode,
    OperationDefinitionNode,
    VariableNode,
    Visitor,
    visit,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gateway.doccache import DEFAULT_CACHE_BYTES, ByteLru, retained_bytes
from gateway.execution.codegen import compile_plan
from gateway.execution.conventions import Conventions
from gateway.execution.plan import OperationPlan, build_plan
from gateway.execution.run import Run, TypeFacts, generated_names

PLAN_CACHE_SIZE = 512


class _DirectiveVariables(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
        for arg in node.arguments or ():
            self._collect(arg)

    def _collect(self, arg: ArgumentNode) -> None:
        if isinstance(arg.value, VariableNode):
            self.names.add(arg.value.name.value)


class PlanCache:
    """Plans per operation node, bounded like the document caches by the bytes they keep
    alive: a plan points into its document (its nodes, their locations, the text), so a
    count bound let 512 plans pin 512 padded documents long after the parse cache
    (gateway/doccache.py) had let them go. Also what executing them has learned about
    value types (one TypeFacts per cache: nothing learned is shared between schemas or
    tests)."""

    def __init__(
        self,
        conventions: Conventions | None = None,
        maxsize: int = PLAN_CACHE_SIZE,
        direct_calls: bool = True,
        max_bytes: int = DEFAULT_CACHE_BYTES,
    ) -> None:
        self.maxsize = maxsize
        self.direct_calls = direct_calls
        self.conventions = conventions or Conventions()
        self.facts = TypeFacts(self.conventions.row)
        self.names = generated_names(self.facts, self.conventions)
        # id(operation) -> (operation, names of the variables its directives read)
        self._names: ByteLru[tuple[OperationDefinitionNode, tuple[str, ...]]] = ByteLru(
            max_bytes, maxsize
        )
        self._plans: ByteLru[tuple[Any, OperationPlan | None]] = ByteLru(max_bytes, maxsize)

    @staticmethod
    def _weight(op: OperationDefinitionNode) -> int:
        """What the operation keeps alive: its nodes and the document's text."""
        return retained_bytes(op)

    def directive_variables(self, ex: Any) -> tuple[str, ...]:
        op = ex.operation
        hit = self._names.get(id(op))
        if hit is not None and hit[0] is op:
            return hit[1]
        visitor = _DirectiveVariables()
        visit(op, visitor)
        for fragment in ex.fragment_definitions.values():
            visit(fragment, visitor)
        names = tuple(sorted(visitor.names))
        self._names.put(id(op), (op, names), self._weight(op))
        return names

    def plan_for(self, ex: Any) -> OperationPlan | None:
        op = ex.operation
        coerced = ex.variable_values.coerced
        values = []
        for name in self.directive_variables(ex):
            value = coerced.get(name)
            values.append(value if isinstance(value, bool | None) else repr(value))
        key = (id(op), id(ex.schema), *values)
        hit = self._plans.get(key)
        if hit is not None and hit[0] is op:
            return hit[1]
        plan = build_plan(ex, self.conventions, self.direct_calls)
        if plan is not None:
            compile_plan(plan.root, self.names, self.conventions.pure_resolvers)
        self._plans.put(key, (op, plan), self._weight(op))
        return plan


def compiled_executor(
    conventions: Conventions | None = None,
    cache: PlanCache | None = None,
    direct_calls: bool = True,
    max_bytes: int = DEFAULT_CACHE_BYTES,
) -> type[StrawberryGraphQLCoreExecutionContext]:
    """An executor class bound to one plan cache (one per schema). direct_calls=False
    keeps Strawberry's wrapper on every resolver (the benchmark's comparison)."""
    plans = cache or PlanCache(conventions, direct_calls=direct_calls, max_bytes=max_bytes)

    class CompiledExecutor(StrawberryGraphQLCoreExecutionContext):
        plan_cache = plans

        def execute_operation(self, serially: bool | None = None) -> Any:
            plan = None if serially is not None else plans.plan_for(self)
            if plan is None:
                return super().execute_operation(serially)
            return Run(self, plan, plans.facts).execute()

    return CompiledExecutor
