"""Batch forms of relation fields: one call for every parent at a level of the query.

A field such as `Session.messages` is resolved once per parent: a page of 500 sessions
means 500 resolver calls, 500 awaitables and 500 tasks, only for the DataLoader to merge
their keys into one query again. The compiled executor (gateway/execution) calls a
field's batch form instead, once with every parent that one wave of completion reaches.

The per-parent resolver stays the one standard execution runs; `relation` derives it from
the batch form (the batch over one parent), so a relation is written once and both
executions share one implementation:

    async def _messages(parents, info, first=None, after=None) -> list[Connection]: ...

    messages = relation(_messages, description="...", graphql_type=Connection[MessageT])

A batch form takes the parents, a Strawberry `Info` (that of the first parent: it must
not depend on `info.path`) and the field's arguments as the resolver receives them, and
returns one result per parent, in order; an `Exception` in the list is that parent's
error, an exception raised is every parent's.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from strawberry import Info

BATCH_FORM = "batch_form"

BatchForm = Callable[..., Awaitable[list[Any]]]


def batch_form(fn: BatchForm) -> dict[str, Any]:
    """Field metadata naming `fn` as the field's batch form."""
    return {BATCH_FORM: fn}


def relation(batch: BatchForm, **field: Any) -> Any:
    """A relation field written once, as its batch form: the per-parent resolver standard
    execution calls is derived from it (the batch over one parent, with the batch form's
    arguments and defaults), and the field's metadata names the batch form for the
    compiled executor. `field`: strawberry.field's options (description, graphql_type)."""
    parents, info, *arguments = inspect.signature(batch).parameters.values()

    async def resolve(self: Any, info: Info, **given: Any) -> Any:
        return (await batch([self], info, **given))[0]

    resolve.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD), info, *arguments],
    )
    resolve.__annotations__ = {
        name: kind for name, kind in batch.__annotations__.items() if name != parents.name
    }
    resolve.__module__ = batch.__module__
    resolve.__qualname__ = resolve.__name__ = batch.__name__.lstrip("_")
    return strawberry.field(resolve, metadata=batch_form(batch), **field)
