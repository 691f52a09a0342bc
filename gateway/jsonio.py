"""The one JSON encoder for results: HTTP responses, WebSocket and SSE messages (the
hand-written benchmark endpoint uses it too, so the two sides of the comparison pay the
same for serialisation).

orjson: ~4x faster than json.dumps on a large response (README "Performance"). What it
refuses (integers beyond 64 bits, non-string keys) falls back to json.dumps, which writes
a datetime with orjson's text too: the DateTime scalar leaves UTC datetimes for the
encoder to write (schema/scalars.py), so both paths must write them alike.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import orjson

ENCODER = "orjson"


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return orjson.dumps(value)[1:-1].decode()
    return str(value)


def dumps(payload: Any) -> bytes:
    try:
        return orjson.dumps(payload, default=str)
    except TypeError:
        text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=_text)
        return text.encode()
