"""Recompute error_stats, cost_daily, cost_totals, provider_daily, cost_dims, session
totals and users' session counts from messages and sessions.

    python -m scripts.rebuild_stats [--batch 500] [--lower-case-names]
A repair tool: run it after a restore (docs/database.md), after changing
ERROR_HALF_LIFE_DAYS, or if a bug ever let a counter drift. Works user by user in batches
(progress bar) so memory stays flat; counters of users not yet reached stay as they were
until their batch runs. Safe against a live system: each batch moves its rows by the
difference from what they should hold at a fence on the server's clock, and messages
recorded or finished meanwhile count once (resolvers/rebuild.py).

`--lower-case-names` first writes the provider and model names of messages, sessions and
evaluator calls stored before names were kept lower-case (2026-12-07) in lower case, so
the rebuilt counters put "OpenAI/GPT-4o" and "openai/gpt-4o" in one costReport bucket and
one providerStats row (docs/deviations.md).
"""

from __future__ import annotations

import argparse
import sys

from tqdm import tqdm

from gateway.settings import Settings
from models.db import Database, connect, pages_by_id
from resolvers.rebuild import rebuild_global, rebuild_user_totals, rebuild_users
from scripts.cli import run_script

PER_USER = ("sessions", "error_stats", "cost_daily")
# Where provider and model names are stored (the counters are rebuilt from these).
NAMED = {
    "messages": ("provider", "model"),
    "sessions": ("provider",),
    "ai_usage": ("provider", "model"),
}


async def lower_case_names(db: Database) -> dict[str, int]:
    """Names written per collection (a row's provider and model count apart). Only names
    with an upper-case letter are written."""
    changed: dict[str, int] = {}
    for collection, fields in NAMED.items():
        for name in fields:
            result = await getattr(db, collection).update_many(
                {name: {"$regex": "[A-Z]"}}, [{"$set": {name: {"$toLower": f"${name}"}}}]
            )
            changed[collection] = changed.get(collection, 0) + int(result.modified_count)
    return changed


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
        done = await rebuild_users(db, half_life_days, ids, PER_USER)
        for name, n in done.items():
            totals[name] += n
        await rebuild_user_totals(db, ids)
        totals["users"] += len(ids)
        bar.update(len(ids))
        ids.clear()

    async for user in pages_by_id(db.users, {}, {"_id": 1}):
        ids.append(user["_id"])
        if len(ids) >= batch:
            await flush()
    await flush()
    totals.update(await rebuild_global(db, half_life_days))
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
        if args.lower_case_names:
            print(f"lower-cased names {await lower_case_names(db)}")
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
    parser.add_argument(
        "--lower-case-names",
        action="store_true",
        help="first lower-case provider and model names stored before 2026-12-07",
    )
    raise SystemExit(run_script("rebuild_stats", _main(parser.parse_args())))


if __name__ == "__main__":
    main()
