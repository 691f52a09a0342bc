"""Input checks shared by the mutations: each failure names the offending field."""

from __future__ import annotations

import math
import re
from typing import Any

from models.enums import CEFR_LEVELS
from resolvers.errors import BadUserInput

EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
LANGUAGE_RE = re.compile(r"^[A-Za-z][A-Za-z \-()]{1,39}$")
KEY_RE = re.compile(r"^[\x21-\x7e]{1,200}$")

MAX_CONTENT_CHARS = 10_000
MAX_ERRORS_PER_MESSAGE = 20
MAX_LABEL_CHARS = 100
MAX_TEXT_CHARS = 2_000


def normalize_email(value: str, field: str = "email") -> str:
    email = value.strip().lower()
    if len(email) > 254 or not EMAIL_RE.match(email):
        raise BadUserInput("Enter a valid email address.", field=field)
    return email


def name(value: str | None, field: str, *, max_len: int = 100) -> str | None:
    """A provider's or model's name, in one spelling: pricing, costReport's buckets and
    providerStats match names exactly, and "OpenAI" priced at the unknown-model fallback
    (~50x gpt-4o-mini's price) in a bucket of its own."""
    cleaned = text(value, field, max_len=max_len)
    return None if cleaned is None else cleaned.lower()


def text(value: str | None, field: str, *, max_len: int, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise BadUserInput(f"'{field}' is required.", field=field)
        return None
    if not isinstance(value, str):
        raise BadUserInput(f"'{field}' must be a string.", field=field)
    cleaned = value.strip()
    if required and not cleaned:
        raise BadUserInput(f"'{field}' must not be blank.", field=field)
    if len(cleaned) > max_len:
        raise BadUserInput(f"'{field}' is longer than {max_len} characters.", field=field)
    if "\x00" in cleaned:
        raise BadUserInput(f"'{field}' contains a NUL character.", field=field)
    return cleaned or None


def level(value: str | None, field: str = "level") -> str | None:
    if value is None:
        return None
    upper = value.strip().upper()
    if upper not in CEFR_LEVELS:
        raise BadUserInput(
            f"'{field}' must be a CEFR level: {', '.join(CEFR_LEVELS)}.", field=field
        )
    return upper


def language(value: str | None, field: str) -> str | None:
    if value is None:
        return None
    cleaned = value.strip()
    if not LANGUAGE_RE.match(cleaned):
        raise BadUserInput(f"'{field}' must be a language name such as 'Spanish'.", field=field)
    return cleaned


def non_negative_int(value: int | None, field: str, maximum: int = 10_000_000) -> int | None:
    if value is None:
        return None
    if value < 0 or value > maximum:
        raise BadUserInput(f"'{field}' must be between 0 and {maximum}.", field=field)
    return value


def non_negative_money(value: float | None, field: str, maximum: float = 1_000.0) -> float | None:
    if value is None:
        return None
    if not math.isfinite(value) or value < 0 or value > maximum:
        raise BadUserInput(f"'{field}' must be between 0 and {maximum}.", field=field)
    return value


def idempotency_key(value: str | None) -> str | None:
    if value is None:
        return None
    if not KEY_RE.match(value):
        raise BadUserInput(
            "'idempotencyKey' must be 1-200 printable ASCII characters.", field="idempotencyKey"
        )
    return value


def plain_id(value: Any, field: str) -> str:
    """Ids are strings; anything else (e.g. an operator object) is refused before a query."""
    if not isinstance(value, str) or not value or len(value) > 100:
        raise BadUserInput(f"'{field}' is not a valid id.", field=field)
    return value
