"""The maintenance loop ends when the gateway stops it, even when a pass swallowed the
cancellation (Python 3.11's wait_for, and the timeouts inside the driver and redis-py, can
return a read's result as the cancellation lands). Before, the loop slept and started
another pass, and shutdown waited on it for good."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

import pytest

from models.db import connect
from resolvers.maintenance import Maintenance


async def test_stop_ends_the_loop_even_when_a_pass_swallows_the_cancellation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = await connect(None, f"t_{uuid.uuid4().hex[:8]}")
    passes = Maintenance(db, 14.0, None, 0.01, check_indexes=False)
    started: list[int] = []
    in_pass = asyncio.Event()

    async def run_once() -> dict[str, Any]:
        started.append(1)
        in_pass.set()
        try:
            await asyncio.Event().wait()  # a read that has not answered yet
        except asyncio.CancelledError:
            if len(started) > 1:
                raise
            return {}  # the read answered as the cancellation landed: swallowed
        return {}

    monkeypatch.setattr(passes, "run_once", run_once)
    passes.start()
    await asyncio.wait_for(in_pass.wait(), 2)
    stopping = asyncio.create_task(passes.stop())
    done, _ = await asyncio.wait({stopping}, timeout=2)
    try:
        assert stopping in done, "stop() is still waiting on the loop"
        assert len(started) == 1  # no pass after the one that was stopped
    finally:
        if not stopping.done():
            stopping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stopping
