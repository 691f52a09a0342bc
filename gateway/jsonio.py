"""The one JSON encoder for responses (the hand-written benchmark endpoint uses it too, so
the two sides of the comparison pay the same for serialisation)."""

from __future__ import annotations

import json
from typing import Any


def dumps(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str).encode()


ENCODER = "json.dumps"
