"""Seed realistic demo data (resolvers/demo/seed.py) into MONGO_URI / MONGO_DB.

    python -m scripts.seed --users 200 --seed 7

Deterministic for a given --seed (dates are relative to now).
"""

from __future__ import annotations

import argparse

from models.db import connect
from resolvers.demo.seed import seed_database
from scripts.cli import run_script


async def _main(args: argparse.Namespace) -> None:
    from gateway.settings import Settings

    settings = Settings()
    # A batch tool: no per-operation timeout (the rebuilds run long at production sizes).
    db = await connect(settings.mongo_uri, settings.mongo_db, settings.mongo_timeout_ms, None)
    if db.embedded:
        print("MONGO_URI is not set: seeding an in-memory database that vanishes on exit.")
    summary = await seed_database(
        db,
        users=args.users,
        seed=args.seed,
        half_life_days=settings.error_half_life_days,
        progress=True if args.progress else None,
    )
    print(f"seeded {summary.counts}; admin {summary.admin_email}, learner {summary.learner_email}")
    await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=20, help="learners to create (default 20)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--progress", action="store_true", help="always show the progress bar")
    raise SystemExit(run_script("seed", _main(parser.parse_args())))


if __name__ == "__main__":
    main()
