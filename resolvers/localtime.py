"""A learner's calendar: IANA time zones, local days, and bucket boundaries in UTC.

Days, weeks (Monday first) and months begin at local midnight. Boundaries are computed
here, in Python's zoneinfo, and handed to the database as UTC instants, so grouping is
exact for any zone (including half-hour offsets and DST changes) on every backend.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from resolvers.errors import BadUserInput

MAX_ZONE_CHARS = 64


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    # `localtime` (and `posixrules`) are the host's own zone under another name: a
    # different zone on every replica. `Factory` is no place.
    host = {"localtime", "posixrules", "Factory"}
    return frozenset(
        name
        for name in available_timezones()
        if name not in host and not name.startswith(("posix/", "right/"))
    )


def validate_time_zone(value: str | None, field: str = "timeZone") -> str | None:
    """An IANA zone name, as spelled in the tz database; '' clears it (UTC)."""
    if value is None:
        return None
    name = value.strip()
    if not name:
        return ""
    if len(name) > MAX_ZONE_CHARS or name not in _zone_names():
        raise BadUserInput(
            f"'{field}' must be an IANA time zone name such as 'Europe/Berlin'.", field=field
        )
    return name


@lru_cache(maxsize=256)
def zone(name: str | None) -> ZoneInfo:
    """The learner's zone; UTC when unset or no longer known to this host's tz database."""
    if not name:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_date(when: datetime, tz: ZoneInfo) -> date:
    return when.astimezone(tz).date()


# Local midnights are asked for again and again: every learner in a zone looks back over
# the same 366 days (personal bests) and the same buckets (progress), ~430 per practice
# page, ~2 us each to work out. An entry is ~230 bytes: ~4 MB holds ~44 zones' year; past
# that the least-used zones' days miss, and cost what they did before the cache.
START_OF_CACHE = 16_384


@lru_cache(maxsize=START_OF_CACHE)
def start_of(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant of local midnight starting `day`."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def bucket_floor(day: date, bucket: str) -> date:
    """The first local date of the day/week/month bucket that holds `day`."""
    if bucket == "week":
        # By ordinal: a quarter of the time of subtracting a timedelta (the practice page's
        # personal bests ask for the week of each of 366 days).
        return date.fromordinal(day.toordinal() - day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def next_bucket(day: date, bucket: str) -> date:
    if bucket == "week":
        return day + timedelta(days=7)
    if bucket == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day + timedelta(days=1)


def shift_buckets(day: date, bucket: str, n: int) -> date:
    """`day` (a bucket start) moved back n buckets."""
    if bucket == "week":
        return day - timedelta(days=7 * n)
    if bucket == "month":
        months = day.year * 12 + day.month - 1 - n
        return date(months // 12, months % 12 + 1, 1)
    return day - timedelta(days=n)
