"""DateTime outputs: what a client reads for a DateTime (schema/scalars.py's
`serialize_datetime`, then the response encoder, gateway/jsonio.py) is what `isoformat()`
writes, the contract's text, for every value a resolver can hand it, on the encoder's
orjson path and on its json.dumps fallback."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta, timezone

from bson import decode, encode
from bson.codec_options import CodecOptions
from bson.tz_util import FixedOffset, utc

from gateway import jsonio
from schema.scalars import serialize_datetime

# An integer orjson refuses: a response holding one is written by json.dumps instead.
BEYOND_64_BITS = 2**70


def written(value: datetime) -> str:
    """The text a client reads for this DateTime in a response."""
    text: str = json.loads(jsonio.dumps({"t": serialize_datetime(value)}))["t"]
    return text


def written_by_fallback(value: datetime) -> str:
    body = json.loads(jsonio.dumps({"t": serialize_datetime(value), "n": BEYOND_64_BITS}))
    assert body["n"] == BEYOND_64_BITS
    text: str = body["t"]
    return text


def _random(rng: random.Random, tz: object) -> datetime:
    ordinal = rng.randint(datetime.min.toordinal(), datetime.max.toordinal())
    day = date.fromordinal(ordinal)
    microsecond = rng.choice((0, 0, rng.randint(0, 999_999), rng.randint(0, 999) * 1000))
    return datetime(
        day.year,
        day.month,
        day.day,
        rng.randint(0, 23),
        rng.randint(0, 59),
        rng.randint(0, 59),
        microsecond,
        tzinfo=tz,  # type: ignore[arg-type]
    )


def test_the_text_is_isoformat_in_every_zone_over_the_whole_range() -> None:
    rng = random.Random(24)
    zones = [
        utc,  # what the driver decodes into (tz_aware=True)
        UTC,
        None,
        timezone(timedelta(hours=5, minutes=30)),
        timezone(timedelta(hours=-14)),
        timezone(timedelta(seconds=1)),
        FixedOffset(-90, "west"),
        timezone(timedelta(0), "Z-named"),  # UTC's offset in another zone object
    ]
    for tz in zones:
        for n in range(20_000):
            value = _random(rng, tz)
            assert written(value) == value.isoformat(), (tz, value)
            if n % 10 == 0:
                assert written_by_fallback(value) == value.isoformat(), (tz, value)
    for value in (datetime.min, datetime.max, datetime.min.replace(tzinfo=utc)):
        assert written(value) == value.isoformat()
        assert written_by_fallback(value) == value.isoformat()


def test_a_stored_timestamp_reads_back_as_its_isoformat() -> None:
    stored = datetime(2026, 12, 7, 5, 44, 52, 123000, tzinfo=UTC)
    read = decode(encode({"t": stored}), CodecOptions(tz_aware=True))["t"]
    assert read.tzinfo is utc
    assert written(read) == "2026-12-07T05:44:52.123000+00:00"
    assert written_by_fallback(read) == "2026-12-07T05:44:52.123000+00:00"
    whole = read.replace(microsecond=0)
    assert written(whole) == "2026-12-07T05:44:52+00:00"


def test_a_subclass_or_a_date_is_left_to_isoformat() -> None:
    class Local(datetime):
        def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
            return "local:" + super().isoformat(sep, timespec)

    assert written(Local(2026, 1, 2, tzinfo=utc)) == "local:2026-01-02T00:00:00+00:00"
    assert serialize_datetime(date(2026, 1, 2)) == "2026-01-02"  # type: ignore[arg-type]


def test_a_value_in_utc_is_left_for_the_encoder_to_write_once() -> None:
    # The history page's 60 timestamps are written inside the response's one encoder
    # call, not one Python call each (docs/performance.md, "Timestamps").
    value = datetime(2026, 12, 7, 5, 44, 52, tzinfo=utc)
    assert serialize_datetime(value) is value
    assert serialize_datetime(value.astimezone(timezone(timedelta(hours=1)))) == (
        "2026-12-07T06:44:52+01:00"
    )
