"""The DateTime scalar, with the range every resolver can do arithmetic on.

Python datetimes stop at years 1 and 9999, so an input at the edge of that range
(`0001-01-01T00:00:00+14:00`, `9999-12-31T23:59:59-14:00`) overflowed as soon as a
resolver converted it to UTC or widened a window by a day: a 500 and an error line in
the log for any caller who asked. Every DateTime input is therefore normalised to UTC
and bounded here, once, before any resolver sees it; naive values are read as UTC.

Outputs are `isoformat()`'s text (the contract since the first round). A learner's history
page holds a timestamp per message (60 on `bench --quick`'s mid). Writing each one as text
here was a Python call per value (~0.8 us with orjson, ~1.5 us with `isoformat()`); a
datetime in UTC is instead its own output, and the response encoder writes it as text
inside the one call that writes the whole response (~0.27 us a value; docs/performance.md,
"Timestamps"). Every encoder of a result is gateway/jsonio.py's `dumps`. So a caller that
runs `schema.execute` in process gets datetimes in `result.data`: encode it with
`jsonio.dumps` (stdlib `json.dumps` refuses a datetime).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NewType

import dateutil.parser
from bson.tz_util import utc as BSON_UTC
from strawberry.schema.types.base_scalars import wrap_parser
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


def serialize_datetime(value: datetime) -> datetime | str:
    """A datetime in UTC (the zone every driver decodes into, or `datetime.UTC`) or naive
    is returned as it is: gateway/jsonio.py writes it as orjson's RFC 3339 text, which is
    `isoformat()`'s characters (tests/test_datetime_scalar.py compares them over the whole
    range). Any other zone, or a subclass, is written here by `isoformat()`, so an offset
    is never rendered differently."""
    if type(value) is datetime:
        tz = value.tzinfo
        if tz is BSON_UTC or tz is UTC or tz is None:
            return value
    return value.isoformat()


BoundedDateTime = ScalarDefinition(
    name="DateTime",
    description="Date with time (isoformat)",
    specified_by_url=None,
    serialize=serialize_datetime,
    parse_value=wrap_parser(parse_datetime, "DateTime", exceptions=(ValueError, OverflowError)),
    parse_literal=None,
    origin=datetime,
)


def _big_int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"BigInt cannot represent {value!r}")
    if isinstance(value, float) and not value.is_integer():
        raise TypeError(f"BigInt cannot represent non-integer value {value!r}")
    return int(value)


# Token totals over a window outgrow GraphQL's Int (32 bits) at an ordinary platform's
# volume: 80M tokens a day is 2.4 billion in a month, and costReport (all of it: `data`
# null) and providerStats failed to serialise once any total reached 2^31. Output as a
# JSON integer, so every value that fitted Int reads the same on the wire.
BigInt = NewType("BigInt", int)

BigIntScalar = ScalarDefinition(
    name="BigInt",
    description="An integer that may exceed GraphQL Int's 32 bits, written as a JSON number "
    "(exact up to 2^53).",
    specified_by_url=None,
    serialize=_big_int,
    parse_value=_big_int,
    parse_literal=None,
    origin=BigInt,
)
