"""How every script ends: its exit code, or one clear line when MongoDB cannot be reached.

A script run against an unreachable server used to die with a 68-line
ServerSelectionTimeoutError traceback; the gateway itself says one line and stays up.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any

from models.db import UNAVAILABLE_ERRORS

UNREACHABLE_EXIT = 3


def run_script(name: str, main: Coroutine[Any, Any, int | None]) -> int:
    """Run a script's coroutine; its return value is the exit code (None: 0)."""
    try:
        return asyncio.run(main) or 0
    except UNAVAILABLE_ERRORS as exc:  # type: ignore[misc]
        print(
            f"{name}: MongoDB is unreachable ({type(exc).__name__}): check MONGO_URI and that "
            "the server is running (MONGO_TIMEOUT_MS bounds the wait).",
            file=sys.stderr,
        )
        return UNREACHABLE_EXIT
