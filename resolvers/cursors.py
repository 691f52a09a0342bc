"""Opaque Relay cursors: (sort value, _id) pairs, encoded as base64 JSON.

A cursor comes back from the client, so it is untrusted input that ends up inside a MongoDB
filter. Decoding therefore admits only what an order of this API can produce: the sort
value as the one scalar type that order sorts by, and a string id. Anything else (an
object such as {"$ne": null}, a list, a value of another type) is BAD_USER_INPUT before
any query is built, so a cursor can never carry an operator.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from resolvers.errors import BadUserInput

# A cursor this API issues is well under 200 characters; anything much longer is not ours.
MAX_CURSOR_CHARS = 512
MAX_ID_CHARS = 128


def encode_cursor(value: Any, doc_id: str) -> str:
    if isinstance(value, datetime):
        raw = json.dumps(["d", value.isoformat(), doc_id])
    else:
        raw = json.dumps(["v", value, doc_id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _scalar_of(kind: Any, value: Any, value_type: type) -> Any:
    if kind == "d" and value_type is datetime and isinstance(value, str):
        return datetime.fromisoformat(value)
    if kind == "v" and value is None:
        return None  # a row without the sort field sorts as null
    if kind == "v" and value_type is not datetime and type(value) is value_type:
        return value
    raise ValueError("not a value of this order")


def decode_cursor(
    cursor: str, value_type: type = datetime, field: str = "after"
) -> tuple[Any, str]:
    """The (sort value, id) of a cursor, or BadUserInput on `field` for anything else."""
    try:
        if len(cursor) > MAX_CURSOR_CHARS:
            raise ValueError("too long")
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(decoded, list) or len(decoded) != 3:
            raise ValueError("not a triple")
        kind, raw_value, doc_id = decoded
        if not isinstance(doc_id, str) or not 0 < len(doc_id) <= MAX_ID_CHARS:
            raise ValueError("bad id")
        return _scalar_of(kind, raw_value, value_type), doc_id
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, RecursionError) as exc:
        raise BadUserInput(f"'{field}' is not a cursor this API issued.", field=field) from exc
