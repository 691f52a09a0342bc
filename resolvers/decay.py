"""Recency weighting: an error's weight halves every `half_life_days`.

error_stats stores decay_sum = sum(2 ** ((t_i - EPOCH) / half_life)) per row, which a single
$inc keeps current. The weight at time T is decay_sum * 2 ** (-(T - EPOCH) / half_life) =
sum(2 ** (-(T - t_i) / half_life)): exact, with no scan of messages at read time.
Changing the half-life means rebuilding error_stats (scripts/rebuild_stats.py).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
DAY = 86_400.0


def _half_lives(t: datetime, half_life_days: float) -> float:
    return (t - EPOCH).total_seconds() / (half_life_days * DAY)


def growth(t: datetime, half_life_days: float) -> float:
    """The amount one error at time t adds to decay_sum."""
    return math.exp(math.log(2) * _half_lives(t, half_life_days))


def weight_at(decay_sum: float, now: datetime, half_life_days: float) -> float:
    if decay_sum <= 0:
        return 0.0
    return math.exp(math.log(decay_sum) - math.log(2) * _half_lives(now, half_life_days))


def weight_of(t: datetime, now: datetime, half_life_days: float) -> float:
    """One error's weight at `now` (what the windowed aggregation sums)."""
    return 2.0 ** (-((now - t).total_seconds()) / (half_life_days * DAY))


def error_group_stages(half_life_days: float, reference: datetime) -> list[dict[str, Any]]:
    """Aggregation stages turning matched messages into one row per (user, category,
    subcategory): count, first/last seen, and `decayed` = sum(2 ** ((t - reference) /
    half_life)). With reference=EPOCH that is error_stats' decay_sum; with reference=now it
    is the weight itself."""
    rate_per_ms = math.log(2) / (half_life_days * DAY * 1000)
    age_ms = {"$subtract": ["$timestamp", reference]}
    return [
        {"$unwind": "$errors"},
        {
            "$group": {
                "_id": {"u": "$user_id", "c": "$errors.category", "s": "$errors.subcategory"},
                "count": {"$sum": 1},
                "first_seen": {"$min": "$timestamp"},
                "last_seen": {"$max": "$timestamp"},
                "decayed": {"$sum": {"$exp": {"$multiply": [rate_per_ms, age_ms]}}},
            }
        },
    ]
