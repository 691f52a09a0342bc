"""DateTime outputs: `serialize_datetime` (schema/scalars.py) writes what `isoformat()`
writes, the contract's text, for every value a resolver can hand it."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta, timezone

from bson import decode, encode
from bson.codec_options import CodecOptions
from bson.tz_util import FixedOffset, utc

from schema.scalars import serialize_datetime


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
        for _ in range(20_000):
            value = _random(rng, tz)
            assert serialize_datetime(value) == value.isoformat(), (tz, value)
    for value in (datetime.min, datetime.max, datetime.min.replace(tzinfo=utc)):
        assert serialize_datetime(value) == value.isoformat()


def test_a_stored_timestamp_reads_back_as_its_isoformat() -> None:
    stored = datetime(2026, 12, 7, 5, 44, 52, 123000, tzinfo=UTC)
    read = decode(encode({"t": stored}), CodecOptions(tz_aware=True))["t"]
    assert read.tzinfo is utc
    assert serialize_datetime(read) == "2026-12-07T05:44:52.123000+00:00"
    whole = read.replace(microsecond=0)
    assert serialize_datetime(whole) == "2026-12-07T05:44:52+00:00"


def test_a_subclass_or_a_date_is_left_to_isoformat() -> None:
    class Local(datetime):
        def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
            return "local:" + super().isoformat(sep, timespec)

    assert serialize_datetime(Local(2026, 1, 2, tzinfo=utc)) == "local:2026-01-02T00:00:00+00:00"
    assert serialize_datetime(date(2026, 1, 2)) == "2026-01-02"  # type: ignore[arg-type]
