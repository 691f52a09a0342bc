"""The one JSON encoder for responses (the hand-written benchmark endpoint uses it too, so
the two sides of the comparison pay the same for serialisation).

orjson: ~4x faster than json.dumps on a large response (README "Performance"). What it
refuses (integers beyond 64 bits, non-string keys) falls back to json.dumps.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

ENCODER = "orjson"


def dumps(payload: Any) -> bytes:
    try:
        return orjson.dumps(payload, default=str)
    except TypeError:
        return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str).encode()
