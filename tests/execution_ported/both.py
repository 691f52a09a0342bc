"""Run one document on every executor the gateway can use and compare each answer with
graphql-core's expected result (the ported cases in this package).

The executors: standard graphql-core execution (Strawberry's own execution context); the
compiled executor (gateway/execution/) on any Strawberry schema (default Conventions),
and the same with direct calls off (every resolver through Strawberry's wrapper: the
plan's RESOLVE kind instead of DIRECT/CALL); and the compiled executor as the gateway
configures it (gateway/guards.py CONVENTIONS, which promise that synchronous resolvers
without arguments are pure: left out of the cases where one returns an awaitable,
`impure`). Each run gets a fresh
compiled executor, so a fresh plan cache and fresh learned type facts: what one case
(or one executor) learned can never decide another's answer.

An answer is `(data, errors)`, the errors as graphql-core's tests write them: message,
path, locations as `(line, column)` and extensions where there are any, in order.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from functools import cache
from typing import Any

import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.execution import ExecutionContext

from gateway.execution.executor import compiled_executor
from gateway.guards import CONVENTIONS

Answer = tuple[Any, list[dict[str, Any]] | None]

STANDARD = "standard"
COMPILED = "compiled"
WRAPPED = "compiled-wrapped"
GATEWAY = "compiled-gateway"
EXECUTORS = (STANDARD, COMPILED, WRAPPED, GATEWAY)


class QuietSchema(strawberry.Schema):
    """Expected resolver errors are the point of these cases: not logged."""

    def process_errors(
        self, errors: list[Any], execution_context: ExecutionContext | None = None
    ) -> None:
        return None


@cache
def schema_for(
    query: type, mutation: type | None = None, extensions: tuple[Any, ...] = ()
) -> QuietSchema:
    """One Strawberry schema per set of types (building one is the slow part); the
    executor class is replaced before every run."""
    return QuietSchema(query=query, mutation=mutation, extensions=list(extensions))


def errors_of(result: Any) -> list[dict[str, Any]] | None:
    if not result.errors:
        return None
    errors = []
    for error in result.errors:
        item: dict[str, Any] = {"message": error.message}
        if error.path is not None:
            item["path"] = list(error.path)
        if error.locations:
            item["locations"] = [(loc.line, loc.column) for loc in error.locations]
        if error.extensions:
            item["extensions"] = error.extensions
        errors.append(item)
    return errors


async def run(
    executor: str,
    query: type,
    document: str,
    *,
    mutation: type | None = None,
    root_value: Any = None,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
    extensions: tuple[Any, ...] = (),
) -> tuple[Answer, bool | None]:
    """One execution: the answer, and whether the compiled executor ran its own plan
    (True), fell back to standard execution (False) or never reached execution (None)."""
    schema = schema_for(query, mutation, extensions)
    cls = None
    if executor == COMPILED:
        cls = compiled_executor()
    elif executor == WRAPPED:
        cls = compiled_executor(direct_calls=False)
    elif executor == GATEWAY:
        cls = compiled_executor(CONVENTIONS)
    schema.execution_context_class = cls or StrawberryGraphQLCoreExecutionContext
    result = await schema.execute(
        document,
        variable_values=variables,
        root_value=root_value,
        operation_name=operation_name,
    )
    planned = None
    if cls is not None:
        plans = [plan for _op, plan in cls.plan_cache._plans.values()]  # type: ignore[attr-defined]
        if plans:
            planned = any(plan is not None for plan in plans)
    return (result.data, errors_of(result)), planned


async def check(
    query: type,
    document: str,
    expected: Answer,
    *,
    mutation: type | None = None,
    root: Callable[[], Any] | None = None,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
    extensions: tuple[Any, ...] = (),
    planned: bool | None = True,
    after: Callable[[Any], Any] | None = None,
    impure: bool = False,
) -> None:
    """Every executor answers `expected` (data, errors and their order). `planned`: what
    the compiled executor must do with the document: run its plan (True), fall back to
    standard execution (False: a feature the plan does not model), or not get that far.
    `after(root_value)`: checks of the side effects of each run (awaited when async).
    `impure`: a synchronous resolver without arguments returns an awaitable here, which
    the gateway's Conventions promise never happens; that executor is left out."""
    for executor in EXECUTORS:
        if impure and executor == GATEWAY:
            continue
        value = root() if root is not None else None
        answer, ran_plan = await run(
            executor,
            query,
            document,
            mutation=mutation,
            root_value=value,
            variables=variables,
            operation_name=operation_name,
            extensions=extensions,
        )
        assert answer == expected, executor
        if executor != STANDARD:
            assert ran_plan is planned, (executor, ran_plan)
        if after is not None:
            outcome = after(value)
            if inspect.isawaitable(outcome):
                await outcome


def patch(text: str) -> str:
    """graphql-core's test_nonnull `patch`: the sync fields of a document (or an answer)
    renamed to their async twins, nests left alone."""
    return re.sub(r"\bsyncNonNull\b", "promiseNonNull", re.sub(r"\bsync\b", "promise", text))


def patched(value: Any) -> Any:
    """`patch` applied to every string of an answer (keys, messages, paths)."""
    if isinstance(value, str):
        return patch(value)
    if isinstance(value, dict):
        return {patched(k): patched(v) for k, v in value.items()}
    if isinstance(value, list):
        return [patched(v) for v in value]
    if isinstance(value, tuple):
        return tuple(patched(v) for v in value)
    return value
