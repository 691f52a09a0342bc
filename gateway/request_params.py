"""Bounds on what a client puts around the document: JSON nesting and parameter sizes.

Python's JSON decoder and graphql-core's input coercion both recurse once per nesting
level, so a 2 KB body nested 1,000 deep used to end in an uncaught RecursionError (a bare
500). Nesting is bounded explicitly instead, well below the interpreter's limit and well
above any real input object of this schema (four levels).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from typing import Any

MAX_JSON_DEPTH = 32
# Values (list items, object members) in one operation's `variables`. graphql-core coerces
# every one, twice (pricing, then execution), before any resolver can refuse the list:
# 200,000 ids for `nodes(ids: $ids)` (1 MB) took 0.85 s of CPU to be told "at most 100
# ids", and the variables were never priced, so a FREE learner's 60 requests a minute
# held the event loop 51 s of every 60. The schema's largest real input is ~100 values
# (nodes' 100 ids, annotateMessage's 20 errors of five fields).
MAX_VARIABLE_VALUES = 5_000
# GraphQL names are identifiers; 256 characters is generous and keeps log lines short.
MAX_OPERATION_NAME_CHARS = 256


class BadJson(ValueError):
    """JSON that decodes but cannot be taken; the message says why."""


class TooDeep(BadJson):
    def __init__(self) -> None:
        super().__init__(f"The JSON is nested deeper than {MAX_JSON_DEPTH} levels.")


class LoneSurrogate(BadJson):
    """A `\\ud800` escape without its pair decodes to a string no UTF-8 (and no BSON) can
    hold: storing it failed deep in the driver as an INTERNAL error, with an error-level
    traceback any learner could trigger at will."""

    def __init__(self) -> None:
        super().__init__(
            "The JSON contains a lone UTF-16 surrogate escape (such as \\ud800): "
            "strings must be valid Unicode."
        )


_SURROGATE_ESCAPE = re.compile(r"\\[uU][dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_lone_surrogate(value: Any) -> bool:
    """Whether any string (key or value) holds a surrogate code point, without recursion.
    json.loads joins a valid pair into one character, so any left is alone."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _children(item: Any) -> Collection[Any] | None:
    """A JSON container's members (an object's values, a list's items); None for a scalar."""
    if isinstance(item, dict):
        return item.values()
    if isinstance(item, list):
        return item
    return None


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether containers nest deeper than `limit`, without recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = _children(item)
        if children is not None:
            stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return False


def parse_json(raw: str | bytes) -> Any:
    """json.loads with nesting bounded (TooDeep past MAX_JSON_DEPTH) and strings valid
    Unicode (LoneSurrogate); both are BadJson, a ValueError."""
    text = raw if isinstance(raw, str) else raw.decode()
    openers = text.count("[") + text.count("{")
    try:
        value = json.loads(text)
    except RecursionError as exc:
        raise TooDeep from exc
    if openers > MAX_JSON_DEPTH and _depth_exceeds(value, MAX_JSON_DEPTH):
        raise TooDeep
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(value):
        raise LoneSurrogate
    return value


def variables_problem(variables: Any) -> str | None:
    """Why `variables` may not be coerced (more than MAX_VARIABLE_VALUES values), counted
    without recursion and stopping at the bound."""
    if not isinstance(variables, dict):
        return None
    stack: list[Any] = [variables]
    count = 0
    while stack:
        children = _children(stack.pop())
        if children is None:
            continue
        count += len(children)
        if count > MAX_VARIABLE_VALUES:
            return (
                f"'variables' holds more than {MAX_VARIABLE_VALUES} values (list items and "
                "object fields): no operation of this API takes that many."
            )
        stack.extend(c for c in children if isinstance(c, (dict, list)))
    return None


def operation_name_problem(name: Any) -> str | None:
    if isinstance(name, str) and len(name) > MAX_OPERATION_NAME_CHARS:
        return f"'operationName' is longer than {MAX_OPERATION_NAME_CHARS} characters."
    return None
