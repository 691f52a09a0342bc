"""The wall-clock budget of one GraphQL execution (`EXECUTION_TIMEOUT_MS`).

When the budget is spent the execution task is cancelled, so its pending database calls
and DataLoader batches stop at their next await instead of finishing for nobody. Work
that never awaits cannot be interrupted this way, which is why everything synchronous
before and during execution is bounded by size instead: parsing by `QUERY_MAX_TOKENS`,
validation and pricing are linear in the document with its expansion capped by
`QUERY_MAX_SELECTIONS`, and resolver work by the cost cap (at most `QUERY_MAX_COST`
objects).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from gateway.logging import get_logger

log = get_logger("gateway.deadline")
T = TypeVar("T")


class ExecutionTimedOut(Exception):
    def __init__(self, timeout_ms: int) -> None:
        super().__init__(f"execution exceeded {timeout_ms} ms")
        self.timeout_ms = timeout_ms

    @property
    def message(self) -> str:
        return (
            f"The operation was stopped after its {self.timeout_ms} ms execution budget. "
            "Ask for less: smaller `first`, fewer nested connections."
        )


async def within(work: Awaitable[T], timeout_ms: int) -> T:
    """`await work`, cancelled after `timeout_ms`; raises ExecutionTimedOut then.

    The work runs in the request's own task under `asyncio.timeout`, as `wait_for` itself
    does from Python 3.12 on: 3.11's `wait_for` wrapped it in a task of its own, one more
    task and event-loop turn per request for nothing.
    """
    try:
        async with asyncio.timeout(timeout_ms / 1000):
            return await work
    except TimeoutError as exc:
        # One loop turn for the tasks the work had started (DataLoader batches, whose
        # cancellation follows that of their callers) to unwind before the answer goes
        # out; wait_for's extra task gave them that turn too.
        await asyncio.sleep(0)
        log.warning("execution_timeout", timeout_ms=timeout_ms)
        raise ExecutionTimedOut(timeout_ms) from exc
