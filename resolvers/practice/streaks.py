"""A learner's streak: consecutive local days (their time zone) with a correct exercise.

`User.streakDays` reads a counter that each correct answer extends (resolvers/practice/
attempts.py); `Progress.bests.longestStreakDays` reads the answer history. Both count the
same days in the same zone: a time-zone change recounts the counter from the history in
the new zone (resolvers/practice/progress.py, `recount_streak`), and the longest streak is
never shorter than the current one.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from resolvers.localtime import local_date, zone


def local_today(user: Any, now: datetime) -> date:
    return local_date(now, zone(user.get("time_zone")))


def shown_streak(user: Any, today: date) -> int:
    """The counter as `me.streakDays` shows it (`user` a row, `today` in its zone): 0 once
    a day was missed."""
    last = user.get("streak_last_day")
    if not last:
        return 0
    if last < (today - timedelta(days=1)).isoformat():
        return 0  # the streak broke: no practice yesterday or today
    return int(user.get("streak_days", 0) or 0)


def current_run(series: list[tuple[date, int, int]], today: date) -> tuple[int, str | None]:
    """(days, last day) of the run ending today or yesterday in a (day, answered, correct)
    series, oldest first; (0, None) when neither day had a correct answer."""
    correct = {day for day, _, ok in series if ok}
    day = today if today in correct else today - timedelta(days=1)
    if day not in correct:
        return 0, None
    last, run = day, 0
    while day in correct:
        run += 1
        day -= timedelta(days=1)
    return run, last.isoformat()
