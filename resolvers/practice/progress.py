"""progress: a learner's activity over time, skill levels, personal bests and totals.

Bucket boundaries are local midnights of the learner's time zone, computed in Python and
handed to MongoDB as UTC instants for `$bucket`, so the answer costs the same fixed number
of queries for 7 days or 366 months, and empty buckets are filled in here.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from models.db import Database
from models.documents import utcnow
from resolvers.context import RequestContext
from resolvers.errors import BadUserInput, NotFound
from resolvers.localtime import (
    bucket_floor,
    local_date,
    next_bucket,
    shift_buckets,
    start_of,
    zone,
)
from resolvers.permissions import subject_user
from resolvers.practice.skills import Skill, load_evidence, skills_from
from resolvers.practice.streaks import current_run, shown_streak
from resolvers.taxonomy import target_language

MAX_BUCKETS = 366
DEFAULT_BUCKETS = {"day": 30, "week": 12, "month": 12}
BESTS_DAYS = 366  # personal bests look back this many local days
BEST_WEEK_MIN_EXERCISES = 5  # a week needs this many answers to set an accuracy record


@dataclass(slots=True)
class Point:
    start: datetime
    messages: int
    errors: int
    errors_per_message: float
    exercises_attempted: int
    exercises_correct: int
    accuracy: float | None


@dataclass(slots=True)
class Bests:
    longest_streak_days: int
    most_exercises_in_a_day: int
    best_week_accuracy: float | None
    best_week_start: datetime | None


@dataclass(slots=True)
class Totals:
    sessions: int
    messages: int
    exercises_completed: int
    exercises_correct: int


@dataclass(slots=True)
class Progress:
    from_: datetime
    to: datetime
    bucket: str
    points: list[Point]
    skills: list[Skill]
    mastered: list[Skill]
    struggling: list[Skill]
    bests: Bests
    this_week: Totals
    this_month: Totals


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def _in_range(value: datetime | None, field: str) -> datetime | None:
    """Far-off dates would overflow local-time arithmetic; no learner has data there."""
    if value is None:
        return None
    value = _utc(value)
    if not EARLIEST <= value <= LATEST:
        raise BadUserInput(f"'{field}' must be between 1900 and 2200.", field=field)
    return value


def bucket_starts(
    tz: ZoneInfo, bucket: str, now: datetime, since: datetime | None, until: datetime | None
) -> list[date]:
    """Local dates starting each bucket, plus the one that ends the range.

    The window is [from, to): `from == to` is empty whatever the bucket, and refused as
    for DAY. A local date that never began (Pacific/Apia skipped 2011-12-30) starts at
    the same instant as the next one: it is left out, so the starts are strictly
    ascending, as MongoDB's `$bucket` requires of its boundaries."""
    if since is not None and until is not None and _utc(since) >= _utc(until):
        raise BadUserInput("'from' must be before 'to'.", field="from")
    if until is None:
        end = next_bucket(bucket_floor(local_date(now, tz), bucket), bucket)
    else:
        last = local_date(_utc(until), tz)
        end = bucket_floor(last, bucket)
        if start_of(end, tz) < _utc(until):
            end = next_bucket(end, bucket)  # `to` inside a bucket: include all of it
    if since is None:
        begin = shift_buckets(end, bucket, DEFAULT_BUCKETS[bucket])
    else:
        begin = bucket_floor(local_date(_utc(since), tz), bucket)
    if begin >= end:
        raise BadUserInput("'from' must be before 'to'.", field="from")
    starts = [begin]
    while starts[-1] < end:
        if len(starts) > MAX_BUCKETS:
            raise BadUserInput(
                f"At most {MAX_BUCKETS} buckets: narrow from/to or use a larger bucket.",
                field="from",
            )
        starts.append(next_bucket(starts[-1], bucket))
    instants = [start_of(d, tz) for d in starts]
    return [
        d for i, d in enumerate(starts) if i + 1 == len(starts) or instants[i] < instants[i + 1]
    ]


async def _buckets(
    collection: Any,
    match: dict[str, Any],
    field: str,
    bounds: list[datetime],
    output: dict[str, Any],
) -> dict[datetime, dict[str, Any]]:
    pipeline = [
        {"$match": {**match, field: {"$gte": bounds[0], "$lt": bounds[-1]}}},
        {"$bucket": {"groupBy": f"${field}", "boundaries": bounds, "output": output}},
    ]
    return {_utc(r["_id"]): r async for r in await collection.aggregate(pipeline)}


MESSAGE_OUTPUT = {"n": {"$sum": 1}, "errors": {"$sum": {"$size": {"$ifNull": ["$errors", []]}}}}
EXERCISE_OUTPUT = {"n": {"$sum": 1}, "correct": {"$sum": {"$cond": ["$correct", 1, 0]}}}


async def _points(db: Database, user_id: str, bounds: list[datetime], tz: ZoneInfo) -> list[Point]:
    messages, exercises = await asyncio.gather(
        _buckets(
            db.messages, {"user_id": user_id, "role": "user"}, "timestamp", bounds, MESSAGE_OUTPUT
        ),
        _buckets(
            db.exercises,
            {"user_id": user_id, "status": "completed"},
            "completed_at",
            bounds,
            EXERCISE_OUTPUT,
        ),
    )
    points = []
    for start in bounds[:-1]:
        m = messages.get(start, {})
        e = exercises.get(start, {})
        n_msg, n_err = int(m.get("n", 0)), int(m.get("errors", 0))
        n_ex, n_ok = int(e.get("n", 0)), int(e.get("correct", 0))
        points.append(
            Point(
                start=start.astimezone(tz),
                messages=n_msg,
                errors=n_err,
                errors_per_message=round(n_err / n_msg, 4) if n_msg else 0.0,
                exercises_attempted=n_ex,
                exercises_correct=n_ok,
                accuracy=round(n_ok / n_ex, 4) if n_ex else None,
            )
        )
    return points


async def _daily_exercises(
    db: Database, user_id: str, tz: ZoneInfo, today: date
) -> list[tuple[date, int, int]]:
    """(local day, answered, correct) for each of the last BESTS_DAYS days, oldest first."""
    days = _days_ending(today)
    bounds = [start_of(d, tz) for d in [*days, today + timedelta(days=1)]]
    found = await _buckets(
        db.exercises,
        {"user_id": user_id, "status": "completed"},
        "completed_at",
        bounds,
        EXERCISE_OUTPUT,
    )
    series = []
    for d, b in zip(days, bounds, strict=False):
        got = found.get(b)
        if got is None:
            series.append((d, 0, 0))
        else:
            series.append((d, int(got.get("n", 0)), int(got.get("correct", 0))))
    return series


@lru_cache(maxsize=8)
def _days_ending(today: date) -> tuple[date, ...]:
    """The last BESTS_DAYS local dates up to `today`, oldest first: the same few lists for
    every learner (one per local date the zones are in), ~0.8 us a date to build."""
    last = today.toordinal()
    return tuple(date.fromordinal(last - i) for i in range(BESTS_DAYS - 1, -1, -1))


async def recount_streak(db: Database, user_id: str, time_zone: str | None) -> dict[str, Any]:
    """The streak counter's fields recounted from the answer history in `time_zone` (for
    a time-zone change: the old zone's days are not the new zone's)."""
    tz = zone(time_zone)
    today = local_date(utcnow(), tz)
    run, last = current_run(await _daily_exercises(db, user_id, tz, today), today)
    first_read = today - timedelta(days=BESTS_DAYS - 1)
    if last is not None and date.fromisoformat(last) - timedelta(days=run - 1) <= first_read:
        # The run goes back to the first day read, so it may have begun before: the counter
        # knows how long (a new zone moves its ends by a day at most). A 400-day streak is
        # not cut to 366 by a trip.
        user = await db.users.find_one({"_id": user_id}, {"streak_days": 1})
        run = max(run, int((user or {}).get("streak_days") or 0))
    return {"streak_days": run, "streak_last_day": last}


def personal_bests(
    series: list[tuple[date, int, int]], tz: ZoneInfo, current_streak: int = 0
) -> Bests:
    """`current_streak`: what `streakDays` shows, so the longest is never shorter (a run
    may have begun before the 366 days the series covers)."""
    longest = run = 0
    for _, _, correct in series:
        run = run + 1 if correct else 0
        longest = max(longest, run)
    weeks: dict[date, list[int]] = {}
    for day, n, correct in series:
        week = weeks.setdefault(bucket_floor(day, "week"), [0, 0])
        week[0] += n
        week[1] += correct
    best: tuple[float, date] | None = None
    for start, (n, correct) in sorted(weeks.items()):
        if n >= BEST_WEEK_MIN_EXERCISES and (best is None or correct / n > best[0]):
            best = (correct / n, start)
    return Bests(
        longest_streak_days=max(longest, current_streak),
        most_exercises_in_a_day=max((n for _, n, _ in series), default=0),
        best_week_accuracy=round(best[0], 4) if best else None,
        best_week_start=start_of(best[1], tz).astimezone(tz) if best else None,
    )


async def _totals_since(
    db: Database, user_id: str, week: datetime, month: datetime
) -> tuple[dict[str, int], dict[str, int]]:
    """Sessions and own messages since the start of this week and this month."""
    earliest = min(week, month)

    def since(field: str) -> dict[str, Any]:
        return {
            "$group": {
                "_id": None,
                "week": {"$sum": {"$cond": [{"$gte": [f"${field}", week]}, 1, 0]}},
                "month": {"$sum": {"$cond": [{"$gte": [f"${field}", month]}, 1, 0]}},
            }
        }

    async def one(collection: Any, match: dict[str, Any], field: str) -> dict[str, int]:
        pipeline = [{"$match": {**match, field: {"$gte": earliest}}}, since(field)]
        rows = [r async for r in await collection.aggregate(pipeline)]
        return {"week": rows[0]["week"], "month": rows[0]["month"]} if rows else {}

    sessions, messages = await asyncio.gather(
        one(db.sessions, {"user_id": user_id}, "started_at"),
        one(db.messages, {"user_id": user_id, "role": "user"}, "timestamp"),
    )
    return sessions, messages


async def progress(
    ctx: RequestContext,
    user_id: str | None,
    since: datetime | None,
    until: datetime | None,
    bucket: str,
) -> Progress:
    uid = subject_user(ctx, user_id)
    user = await ctx.loaders.user.load(uid)
    if user is None:
        raise NotFound("User not found.")
    tz = zone(user.get("time_zone"))
    now = utcnow()
    since, until = _in_range(since, "from"), _in_range(until, "to")
    starts = bucket_starts(tz, bucket, now, since, until)
    bounds = [start_of(d, tz) for d in starts]
    today = local_date(now, tz)
    week_start = start_of(bucket_floor(today, "week"), tz)
    month_start = start_of(bucket_floor(today, "month"), tz)
    points, series, (sessions, messages), evidence = await asyncio.gather(
        _points(ctx.db, uid, bounds, tz),
        _daily_exercises(ctx.db, uid, tz, today),
        _totals_since(ctx.db, uid, week_start, month_start),
        load_evidence(ctx.db, uid, now, target_language(user)),
    )
    skills = skills_from(evidence, user.get("level"), now)

    def totals(window: str, first_day: date) -> Totals:
        days = [(n, c) for d, n, c in series if d >= first_day]
        return Totals(
            sessions=sessions.get(window, 0),
            messages=messages.get(window, 0),
            exercises_completed=sum(n for n, _ in days),
            exercises_correct=sum(c for _, c in days),
        )

    return Progress(
        from_=bounds[0].astimezone(tz),
        to=bounds[-1].astimezone(tz),
        bucket=bucket,
        points=points,
        skills=skills,
        mastered=[s for s in skills if s.mastered],
        struggling=[s for s in skills if s.struggling],
        bests=personal_bests(series, tz, shown_streak(user, today)),
        this_week=totals("week", bucket_floor(today, "week")),
        this_month=totals("month", bucket_floor(today, "month")),
    )
