"""The DateTime scalar, with the range every resolver can do arithmetic on.

Python datetimes stop at years 1 and 9999, so an input at the edge of that range
(`0001-01-01T00:00:00+14:00`, `9999-12-31T23:59:59-14:00`) overflowed as soon as a
resolver converted it to UTC or widened a window by a day: a 500 and an error line in
the log for any caller who asked. Every DateTime input is therefore normalised to UTC
and bounded here, once, before any resolver sees it; naive values are read as UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime

import dateutil.parser
from strawberry.schema.types.base_scalars import isoformat, wrap_parser
from strawberry.types.scalar import ScalarDefinition

# Far from both ends of datetime's range, so windows of years on either side still fit.
MIN_DATETIME = datetime(1900, 1, 1, tzinfo=UTC)
MAX_DATETIME = datetime(9000, 1, 1, tzinfo=UTC)


def parse_datetime(value: str) -> datetime:
    parsed = dateutil.parser.isoparse(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        parsed = parsed.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("it is outside the supported range") from exc
    if not MIN_DATETIME <= parsed < MAX_DATETIME:
        raise ValueError(
            f"it must be from {MIN_DATETIME:%Y-%m-%d} up to (not including) {MAX_DATETIME:%Y-%m-%d}"
        )
    return parsed


BoundedDateTime = ScalarDefinition(
    name="DateTime",
    description="Date with time (isoformat)",
    specified_by_url=None,
    serialize=isoformat,
    parse_value=wrap_parser(parse_datetime, "DateTime", exceptions=(ValueError, OverflowError)),
    parse_literal=None,
    origin=datetime,
)
