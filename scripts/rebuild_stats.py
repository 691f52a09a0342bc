"""Recompute error_stats, cost_daily, cost_totals, provider_daily, cost_dims, session
totals and users' session counts from messages and sessions.

    python -m scripts.rebuild_stats [--batch 500]
A repair tool: run it after an import or a restore (docs/database.md), after changing
ERROR_HALF_LIFE_DAYS, or if a bug ever let a counter drift. Works user by user in batches
(progress bar) so memory stays flat; counters of users not yet reached stay as they were
until their batch runs. Stop writes (or accept that messages recorded during the run may
be counted twice for the batch being rebuilt) before running it against a live system.
"""

from __future__ import annotations

import argparse
import sys

from tqdm import tqdm

from gateway.settings import Settings
from models.db import Database, connect, pages_by_id
from resolvers.rebuild import (
    rebuild_cost_daily,
    rebuild_cost_dims,
    rebuild_cost_totals,
    rebuild_error_stats,
    rebuild_provider_daily,
    rebuild_session_totals,
    rebuild_user_totals,
)
from scripts.cli import run_script


async def rebuild_all(
    db: Database, half_life_days: float, batch: int = 500, progress: bool = True
) -> dict[str, int]:
    totals = {"users": 0, "sessions": 0, "error_stats": 0, "cost_daily": 0, "cost_totals": 0}
    user_count = await db.users.estimated_document_count()  # for the progress bar only
    bar = tqdm(total=user_count, desc="rebuilding", unit="user", disable=not progress)
    ids: list[str] = []

    async def flush() -> None:
        if not ids:
            return
        sessions = [s["_id"] async for s in db.sessions.find({"user_id": {"$in": ids}}, {"_id": 1})]
        totals["sessions"] += await rebuild_session_totals(db, sessions)
        totals["error_stats"] += await rebuild_error_stats(db, half_life_days, ids)
        totals["cost_daily"] += await rebuild_cost_daily(db, ids)
        await rebuild_user_totals(db, ids)
        totals["users"] += len(ids)
        bar.update(len(ids))
        ids.clear()

    async for user in pages_by_id(db.users, {}, {"_id": 1}):
        ids.append(user["_id"])
        if len(ids) >= batch:
            await flush()
    await flush()
    totals["cost_totals"] = await rebuild_cost_totals(db)
    totals["provider_daily"] = await rebuild_provider_daily(db)
    totals["cost_dims"] = await rebuild_cost_dims(db)
    bar.close()
    return totals


async def _main(args: argparse.Namespace) -> int:
    settings = Settings()
    if settings.embedded:
        print("MONGO_URI is not set: nothing to rebuild.", file=sys.stderr)
        return 2
    # A batch tool: no per-operation timeout (long histories, big rebuilds).
    db = await connect(settings.mongo_uri, settings.mongo_db, settings.mongo_timeout_ms, None)
    try:
        totals = await rebuild_all(db, settings.error_half_life_days, args.batch)
    finally:
        await db.close()
    print(f"rebuilt {totals}")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--batch", type=int, default=500, help="users per batch (default 500)")
    raise SystemExit(run_script("rebuild_stats", _main(parser.parse_args())))


if __name__ == "__main__":
    main()
