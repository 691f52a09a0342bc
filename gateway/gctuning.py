"""Garbage-collector settings, applied once start-up is done (GC_FREEZE, GC_GEN0_THRESHOLD).

A large nested read allocates ~10^5 short-lived objects; with Python's default threshold
(700) that is ~150 young collections per request, and every full collection re-scans the
long-lived start-up objects (schema, plans, modules). Freezing those and collecting less
often cut W1's CPU by a third in `python -m bench --quick` (README "Performance").
"""

from __future__ import annotations

import gc

from gateway.settings import Settings

# Older generations at Python's own ratios (10 / 10): with young collections every 20,000
# objects, what a request still held when one ran is promoted and must not linger there;
# at (20, 100) evicted documents' cycles waited in the oldest generation and RSS grew past
# the cache budgets (tests/test_memory_bound.py, docs/performance.md "The tail").
OLDER_THRESHOLDS = (10, 10)


_frozen = False


def tune_gc(settings: Settings) -> None:
    """Process-wide; the freeze happens once per process (one gateway per process; a test
    run that starts many apps pays the full collection once)."""
    global _frozen
    if settings.gc_gen0_threshold:
        gc.set_threshold(settings.gc_gen0_threshold, *OLDER_THRESHOLDS)
    if settings.gc_freeze and not _frozen:
        gc.collect()
        gc.freeze()
        _frozen = True
