"""Cancellation a loop cannot lose.

Python 3.11's `asyncio.wait_for` (and the timeouts inside redis-py and the driver built on
it) can swallow a cancellation that lands as the awaited read completes: the read's result
comes back and the task carries on, with `Task.cancelling()` still counting the request.
A loop that only ends on CancelledError then runs on after its subscription, listener or
server has gone: reading turns for nobody, holding a connection, blocking shutdown. Each
such loop asks here once per turn.
"""

from __future__ import annotations

import asyncio


def cancelling() -> bool:
    """The running task was asked to stop (and a read may have swallowed it)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def raise_if_cancelling() -> None:
    """Raise CancelledError if the running task was asked to stop and a read swallowed it."""
    if cancelling():
        raise asyncio.CancelledError
