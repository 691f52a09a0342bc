"""Garbage-collector settings, applied once start-up is done (GC_FREEZE, GC_GEN0_THRESHOLD).

A large nested read allocates ~10^5 short-lived objects; with Python's default threshold
(700) that is ~150 young collections per request, and every full collection re-scans the
long-lived start-up objects (schema, plans, modules). Freezing those and collecting less
often cut W1's CPU by a third in `python -m bench --quick` (README "Performance").
"""

from __future__ import annotations

import gc

from gateway.settings import Settings

# Older generations: collected every 20 young / 100 middle collections instead of 10 / 10.
OLDER_THRESHOLDS = (20, 100)


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
