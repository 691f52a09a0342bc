"""MongoDB command events: the one place metrics and traces learn about database work.

With a real server PyMongo publishes a started and a succeeded or failed event for every
command it sends (`pymongo.monitoring`); the embedded adapter publishes the same events for
every call it answers. `CommandEvents` is the single listener a client is built with; the
gateway's metrics and tracing subscribe to it after start-up.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import structlog
from pymongo.errors import DuplicateKeyError, OperationFailure
from pymongo.monitoring import (
    CommandFailedEvent,
    CommandListener,
    CommandStartedEvent,
    CommandSucceededEvent,
)

log = structlog.get_logger("gateway.db")

T = TypeVar("T")

# The address embedded events report (there is no server connection).
EMBEDDED_ADDRESS = ("embedded", 0)

_ids = itertools.count(1)


def error_name(failure: dict[str, Any]) -> str:
    """The exception class a caller saw, from a failed command's document (PyMongo puts
    `errtype` there for client-side errors such as timeouts) or a write error's code."""
    if failure.get("errtype"):
        return str(failure["errtype"])
    code = failure.get("code")
    if code in (11000, 11001, 12582):
        return "DuplicateKeyError"
    if code == 50:
        return "ExecutionTimeout"
    return "OperationFailure"


def write_errors(reply: dict[str, Any]) -> list[dict[str, Any]]:
    """Errors a server reports in a succeeded write command's reply (a duplicate key is
    one: the command succeeds, the write does not)."""
    errors = list(reply.get("writeErrors") or [])
    if reply.get("writeConcernError"):
        errors.append(reply["writeConcernError"])
    return errors


class CommandEvents(CommandListener):
    """Fans every command event out to the subscribed listeners."""

    def __init__(self) -> None:
        self.listeners: list[CommandListener] = []

    def subscribe(self, listener: CommandListener) -> None:
        self.listeners.append(listener)

    def unsubscribe(self, listener: CommandListener) -> None:
        if listener in self.listeners:
            self.listeners.remove(listener)

    def _each(self, method: str, event: Any) -> None:
        for listener in self.listeners:
            try:
                getattr(listener, method)(event)
            except Exception:  # a listener must never fail the operation (as in PyMongo)
                log.exception("command_listener_failed", listener=type(listener).__name__)

    def started(self, event: CommandStartedEvent) -> None:
        self._each("started", event)

    def succeeded(self, event: CommandSucceededEvent) -> None:
        self._each("succeeded", event)

    def failed(self, event: CommandFailedEvent) -> None:
        self._each("failed", event)

    def run(self, database: str, name: str, command: dict[str, Any], call: Callable[[], T]) -> T:
        """`call()`, announced as command `name` (the embedded database's round trip)."""
        if not self.listeners:
            return call()
        request_id = next(_ids)
        self.started(
            CommandStartedEvent(command, database, request_id, EMBEDDED_ADDRESS, request_id)
        )
        start = time.perf_counter()
        try:
            result = call()
        except DuplicateKeyError as exc:
            reply = {"ok": 1.0, "writeErrors": [{"index": 0, "code": exc.code, "errmsg": str(exc)}]}
            self._finished(CommandSucceededEvent, start, reply, name, request_id, database)
            raise
        except OperationFailure as exc:
            failure = {**(exc.details or {}), "ok": 0.0, "code": exc.code, "errmsg": str(exc)}
            self._finished(CommandFailedEvent, start, failure, name, request_id, database)
            raise
        except Exception as exc:
            failure = {"errmsg": str(exc), "errtype": type(exc).__name__}
            self._finished(CommandFailedEvent, start, failure, name, request_id, database)
            raise
        self._finished(CommandSucceededEvent, start, {"ok": 1.0}, name, request_id, database)
        return result

    def _finished(
        self, kind: Any, start: float, doc: dict[str, Any], name: str, rid: int, db: str
    ) -> None:
        duration = timedelta(seconds=time.perf_counter() - start)
        event = kind(duration, doc, name, rid, EMBEDDED_ADDRESS, rid, database_name=db)
        self.succeeded(event) if kind is CommandSucceededEvent else self.failed(event)
