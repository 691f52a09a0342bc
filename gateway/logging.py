"""structlog set-up: one JSON object per line (or a console renderer for humans)."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import MutableMapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import orjson
import structlog

SECRET_KEYS = frozenset(
    {"authorization", "token", "access_token", "jwt", "password", "secret", "jwt_secret", "cookie"}
)


# key -> whether it names a secret (the keys are the few names code logs with).
_SECRET_KEY: dict[str, bool] = {}


def _is_secret(key: str) -> bool:
    secret = _SECRET_KEY.get(key)
    if secret is None:
        secret = key.lower() in SECRET_KEYS
        if len(_SECRET_KEY) < 4096:
            _SECRET_KEY[key] = secret
    return secret


# Clients choose many values that reach log lines (operation names, paths, ids, messages
# of their own errors): each string is cut to a bound, so a request cannot grow the log by
# more than a few KB whatever it sends. Tracebacks are ours and get a larger bound.
MAX_LOG_VALUE_CHARS = 512
MAX_LOG_TRACEBACK_CHARS = 16_384


def redact_and_cap(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Tokens never reach a log line, whoever passes them in, and each string is cut to
    its bound; one pass over the event (every request's line runs it). It runs after the
    stack and exception renderers: their keys (`stack`, `exception`) are no secrets, so
    redacting before or after them gives the same line."""
    known = _SECRET_KEY
    for key, value in event.items():
        if not value:
            continue
        secret = known.get(key)
        if secret is None:
            secret = _is_secret(key)
        if secret:
            event[key] = "[redacted]"
        elif isinstance(value, str) and len(value) > MAX_LOG_VALUE_CHARS:
            limit = MAX_LOG_TRACEBACK_CHARS if key == "exception" else MAX_LOG_VALUE_CHARS
            if len(value) > limit:
                event[key] = f"{value[:limit]}...[{len(value) - limit} more characters]"
    return event


# What the line's encoder hands to `_fallback` instead of encoding itself: the types
# json.dumps could not encode either, so a value logs as it did with structlog's
# JSONRenderer (its repr).
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _fallback(value: Any) -> Any:
    """structlog's JSONRenderer fallback: `__structlog__()` when the value has one, else
    its repr."""
    try:
        return value.__structlog__()
    except AttributeError:
        return repr(value)


def render_json(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> str:
    """The line as one JSON object, with orjson: ~10 us less per line than json.dumps
    (every request writes one, docs/performance.md). A line is ASCII, as json.dumps wrote
    it (non-ASCII characters escaped: a log pipeline reading ASCII still reads it); such a
    line, and what orjson refuses (integers beyond 64 bits, non-string keys), is encoded
    by json.dumps."""
    try:
        line = orjson.dumps(event, default=_fallback, option=_ORJSON_OPTIONS)
    except TypeError:
        return json.dumps(event, default=_fallback)
    if line.isascii():
        return line.decode("ascii")
    return json.dumps(event, default=_fallback)


# The request id of the request being served (gateway/middleware.py binds it): every line
# logged while it runs carries it. One variable of our own rather than structlog's
# contextvars, whose merge and clear copy and walk the whole context on every line and
# every request; the request id is the only value the gateway binds.
_REQUEST_ID: ContextVar[str | None] = ContextVar("gateway_request_id", default=None)


def bind_request_id(request_id: str | None) -> None:
    """From here on in this context (the request's task and the tasks it starts), lines
    carry `request_id`; None: they no longer do."""
    _REQUEST_ID.set(request_id)


def add_request_id(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """`request_id` last, unless the event names its own (as structlog's merge_contextvars
    placed it)."""
    request_id = _REQUEST_ID.get()
    if request_id is not None:
        event.setdefault("request_id", request_id)
    return event


def add_timestamp(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog's `TimeStamper(fmt="iso", utc=True)` text (`isoformat()` with `Z` for
    +00:00), written by orjson: the same characters in a third of the time."""
    event["timestamp"] = orjson.dumps(datetime.now(UTC), option=orjson.OPT_UTC_Z)[1:-1].decode()
    return event


_stack_info = structlog.processors.StackInfoRenderer()


def render_stack_and_exception(
    logger: Any, method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog's StackInfoRenderer and format_exc_info, for the lines that ask for them
    (`stack_info`, `exc_info`): the others skip two calls."""
    if "stack_info" in event or "exc_info" in event:
        event = _stack_info(logger, method, event)
        event = structlog.processors.format_exc_info(logger, method, event)
    return event


class StdoutLogger:
    """Writes each rendered line to whatever sys.stdout is at the time of the call."""

    def msg(self, message: str) -> None:
        out = sys.stdout
        out.write(message + "\n")
        out.flush()

    log = debug = info = warning = warn = error = critical = exception = fatal = msg


def _stdout_logger(*_args: Any) -> StdoutLogger:
    return StdoutLogger()


class _CurrentStdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler bound to whatever sys.stdout is when a record is emitted."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


# Loggers that servers configure with their own plain-text handlers; ours replace them.
SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    """structlog for our events, and the same chain for every standard-library logger.

    Uvicorn, pymongo, asyncio and any other stdlib logger go through structlog's
    ProcessorFormatter, so every line on stdout is one JSON object with a timestamp, a
    level and, inside a request, its `request_id` (`bind_request_id`, called by the
    request middleware); tracebacks become an `exception` string inside that object.
    """
    renderer: Any = structlog.dev.ConsoleRenderer() if fmt == "console" else render_json
    shared: list[Any] = [add_request_id, structlog.processors.add_log_level, add_timestamp]
    finishing: list[Any] = [render_stack_and_exception, redact_and_cap, renderer]
    structlog.configure(
        processors=[*shared, *finishing],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=_stdout_logger,
        cache_logger_on_first_use=True,
    )
    handler = _CurrentStdoutHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *finishing],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for name in SERVER_LOGGERS:
        server_logger = logging.getLogger(name)
        server_logger.handlers = []
        server_logger.propagate = True
    # Uvicorn's access log is replaced by our request_completed event.
    logging.getLogger("uvicorn.access").disabled = True


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)
