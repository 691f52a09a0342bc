"""Opaque Relay cursors: the connection (order) and parent they belong to, then the
(sort value, _id) position, encoded as base64 JSON.

A cursor comes back from the client, so it is untrusted input that ends up inside a MongoDB
filter. Decoding therefore admits only what an order of this API can produce: the sort
value as the one scalar type that order sorts by, and string ids. Anything else (an
object such as {"$ne": null}, a list, a value of another type) is BAD_USER_INPUT before
any query is built, so a cursor can never carry an operator.

Every connection sorts by a date, so a bare (date, id) pair reads as a position in any of
them: a cursor of one session's messages given to `me { sessions }` used to return a page
positioned by a message's timestamp, with no error. A cursor therefore names its order
(`Order.key`) and its parent (the session of a message page), and resolvers/pagination.py
refuses one that names another. Cursors issued before that are bare triples
(`["d", date, id]`); they are read as LEGACY and resolvers/pagination.py accepts one only
where its row shows it came from the connection it is given to.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson

from resolvers.errors import BadUserInput

# A cursor this API issues is under 450 characters (ids at most MAX_ID_CHARS); anything
# longer is not ours.
MAX_CURSOR_CHARS = 512
MAX_ID_CHARS = 128
# What the order names of this API look like ("User.sessions:-started_at").
MAX_ORDER_CHARS = 64


class Position(NamedTuple):
    """Where a page starts: after (or before) the row with this sort value and id."""

    value: Any
    doc_id: str


class Decoded(NamedTuple):
    """A cursor as it reads, not yet checked against the connection it was given to.
    `order` is None for a cursor of the format before cursors named their order."""

    order: str | None
    scope: str | None
    position: Position


def _value_json(value: Any) -> list[Any]:
    if isinstance(value, datetime):
        return ["d", value.isoformat()]
    return ["v", value]


def encode_cursor(order: str, scope: str | None, value: Any, doc_id: str) -> str:
    """`order` is the connection's `Order.key`, `scope` its parent's id (None for a root
    connection such as Query.users)."""
    # orjson: the compact JSON `json.dumps(..., separators=(",", ":"))` writes, for the
    # ASCII ids this API issues, in under half the time (a Relay client selects every
    # edge's cursor; docs/performance.md, "Tenth pass").
    raw = orjson.dumps([order, scope, *_value_json(value), doc_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _scalar_of(kind: Any, value: Any, value_type: type) -> Any:
    if kind == "d" and value_type is datetime and isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        # Stored dates are UTC: a naive one is UTC, an aware one is compared as UTC (an
        # offset that moves it out of datetime's range is an OverflowError here, not in
        # the driver, where it was an INTERNAL).
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    if kind == "v" and value is None:
        return None  # a row without the sort field sorts as null
    if kind == "v" and value_type is not datetime and type(value) is value_type:
        return value
    raise ValueError("not a value of this order")


def _plain_id(value: Any) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= MAX_ID_CHARS:
        raise ValueError("bad id")
    return value


def decode_cursor(cursor: str, value_type: type = datetime, field: str = "after") -> Decoded:
    """What a cursor says, or BadUserInput on `field` for anything this API never issued."""
    if len(cursor) > MAX_CURSOR_CHARS:
        raise BadUserInput(
            f"'{field}' is not a cursor this API issued: cursors are at most "
            f"{MAX_CURSOR_CHARS} characters.",
            field=field,
        )
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(decoded, list):
            raise ValueError("not a list")
        if len(decoded) == 3:  # the format before cursors named their order
            kind, raw_value, doc_id = decoded
            order, scope = None, None
        elif len(decoded) == 5:
            order, scope, kind, raw_value, doc_id = decoded
            if not isinstance(order, str) or not 0 < len(order) <= MAX_ORDER_CHARS:
                raise ValueError("bad order")
            if scope is not None:
                scope = _plain_id(scope)
        else:
            raise ValueError("not a cursor's shape")
        position = Position(_scalar_of(kind, raw_value, value_type), _plain_id(doc_id))
        return Decoded(order, scope, position)
    except (
        ValueError,
        TypeError,
        OverflowError,
        binascii.Error,
        UnicodeDecodeError,
        RecursionError,
    ) as exc:
        raise BadUserInput(
            f"'{field}' is not a cursor this API issued: pass back an edge's `cursor` or "
            "pageInfo's `startCursor`/`endCursor` unchanged.",
            field=field,
        ) from exc
