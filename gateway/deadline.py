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


TIMEOUT_CODE = "TIMEOUT"


class ExecutionTimedOut(Exception):
    """The budget ran out. Its own code (`TIMEOUT`), not QUERY_TOO_COMPLEX: a mutation
    stalled on a slow database is no request to "ask for less", and its client must know
    that some of its writes may have landed before the cancellation (issue 28)."""

    def __init__(self, timeout_ms: int) -> None:
        super().__init__(f"execution exceeded {timeout_ms} ms")
        self.timeout_ms = timeout_ms

    def message_for(self, mutation: bool) -> str:
        if mutation:
            return (
                f"The mutation was stopped after its {self.timeout_ms} ms execution budget; "
                "some of its writes may have happened. Retrying with the same "
                "idempotencyKey is safe: it finishes the write without counting it twice."
            )
        return (
            f"The operation was stopped after its {self.timeout_ms} ms execution budget; "
            "nothing was written. Retry shortly, or ask for less: smaller `first`, "
            "fewer nested connections."
        )

    def extensions_for(self, mutation: bool) -> dict[str, object]:
        return {"timeoutMs": self.timeout_ms, "mayHaveApplied": mutation}


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
