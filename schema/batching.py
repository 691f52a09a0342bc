"""Batch forms of relation fields: one call for every parent at a level of the query.

A field such as `Session.messages` is resolved once per parent: a page of 500 sessions
means 500 resolver calls, 500 awaitables and 500 tasks, only for the DataLoader to merge
their keys into one query again. The compiled executor (gateway/execution) calls a
field's batch form instead, once with every parent that one wave of completion reaches.

The per-parent resolver stays the one standard execution runs, and it is written as the
batch form over one parent, so both executions share one implementation:

    async def _messages(parents, info, first=None, after=None) -> list[Connection]: ...

    @strawberry.field(metadata=batch_form(_messages))
    async def messages(self, info: Info, first: int | None = None, ...) -> Connection:
        return (await _messages([self], info, first, after))[0]

A batch form takes the parents, a Strawberry `Info` (that of the first parent: it must
not depend on `info.path`) and the field's arguments as the resolver receives them, and
returns one result per parent, in order; an `Exception` in the list is that parent's
error, an exception raised is every parent's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

BATCH_FORM = "batch_form"

BatchForm = Callable[..., Awaitable[list[Any]]]


def batch_form(fn: BatchForm) -> dict[str, Any]:
    """Field metadata naming `fn` as the field's batch form."""
    return {BATCH_FORM: fn}
