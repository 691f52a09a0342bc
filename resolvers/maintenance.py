"""Background upkeep of one gateway process: pending messages, annotations, AI usage
(answer-evaluator calls) and finished exercises' reviews (resolvers/pending.py), counter
guards, unpublished and expired session events, indexes.

Runs every MAINTENANCE_INTERVAL_SECONDS, not only at start-up: a message left half-applied
by a request cut off during a failover is finished within one interval, whichever replica
sees it first (re-applying is harmless). The first pass that reaches MongoDB also reports
the indexes the deployment lacks (`scripts.init_db` builds them; the gateway never does on
a real server). An unreachable database skips a pass; readiness reports the outage.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from models.db import UNAVAILABLE_ERRORS, Database, missing_indexes
from resolvers.annotations import ANNOTATIONS
from resolvers.cancellation import raise_if_cancelling
from resolvers.costs.rollup import Thresholds
from resolvers.costs.usage import USAGE
from resolvers.messages import MESSAGES
from resolvers.outbox import LiveHub, prune_events, publish_pending
from resolvers.pending import Upkeep, finish_pending, settle
from resolvers.practice.attempts import EXERCISES
from resolvers.ratings import RATINGS
from resolvers.sessions import ENDS

log = structlog.get_logger("resolvers.maintenance")


class Maintenance:
    def __init__(
        self,
        db: Database,
        half_life_days: float,
        alerts: Thresholds | None,
        interval_s: float,
        check_indexes: bool,
        hub: LiveHub | None = None,
    ) -> None:
        self.db = db
        self.hub = hub
        self.half_life_days = half_life_days
        self.alerts = alerts
        self.interval_s = interval_s
        self._indexes_checked = not check_indexes
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> dict[str, int]:
        """One pass; raises the driver's error when MongoDB is unreachable."""
        if not self._indexes_checked:
            missing = await missing_indexes(self.db)
            self._indexes_checked = True
            if missing:
                log.warning(
                    "indexes_missing",
                    indexes=missing,
                    fix="run `python -m scripts.init_db` (the gateway never builds indexes)",
                )
        upkeep = Upkeep(self.half_life_days, self.alerts)
        completed = await finish_pending(self.db, MESSAGES, upkeep)
        # After the messages: an annotation finishes its message's own counters first.
        annotated = await finish_pending(self.db, ANNOTATIONS, upkeep)
        usage = await finish_pending(self.db, USAGE, upkeep)
        exercises = await finish_pending(self.db, EXERCISES, upkeep)
        # Half the interval each at most, so a pass ends before the next is due.
        budget = self.interval_s / 2
        settled = await settle(self.db, MESSAGES, budget_s=budget)
        settled_annotations = await settle(self.db, ANNOTATIONS, budget_s=budget)
        settled_usage = await settle(self.db, USAGE, budget_s=budget)
        ratings = await finish_pending(self.db, RATINGS, upkeep)
        ends = await finish_pending(self.db, ENDS, upkeep)
        # After the messages, annotations, ratings and ends, whose completion records their
        # events.
        published = await publish_pending(self.db, self.hub) if self.hub is not None else 0
        pruned = await prune_events(self.db)
        pending_turns = await self._count_turns()
        return {
            "ratings_completed": ratings,
            "session_ends_completed": ends,
            "turns_pending": pending_turns,
            "events_published": published,
            "events_pruned": pruned,
            "completed": completed,
            "annotations_completed": annotated,
            "settled": settled,
            "annotations_settled": settled_annotations,
            "usage_completed": usage,
            "usage_settled": settled_usage,
            "exercises_completed": exercises,
        }

    async def _count_turns(self) -> int:
        """The pending-turns metric; Redis being away must not stop the rest of the pass."""
        if self.hub is None or self.hub.turns is None:
            return 0
        try:
            return await self.hub.turns.refresh()
        except Exception as exc:
            log.warning("turns_refresh_failed", error=type(exc).__name__)
            return 0

    async def run_safely(self) -> None:
        try:
            await self.run_once()
        except UNAVAILABLE_ERRORS as exc:
            log.warning("maintenance_skipped", reason=type(exc).__name__)
        except Exception:  # a bug must not end the loop; it is logged with its traceback
            log.exception("maintenance_failed")

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            await self.run_safely()
            raise_if_cancelling()  # a pass's read may have swallowed stop()'s cancel

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="maintenance")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
