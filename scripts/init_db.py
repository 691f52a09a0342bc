"""Create the collections' indexes against MONGO_URI / MONGO_DB (idempotent).

    python -m scripts.init_db [--repair] [--drop-retired]
The only place indexes are built on a real server: the gateway never builds them (a build
on a large collection takes long, and a changed index must not stop a deploy); it logs
`indexes_missing` when one is absent. Runs with no operation timeout. An index whose name
or keys clash with an existing one is reported, not forced: drop the old one yourself once
nothing needs it. An index with the declared name and keys but other options (unique,
partialFilterExpression, expireAfterSeconds, sparse: a non-unique `user_category_unique`
is not the index that keeps error rows single) is reported as a conflict; `--repair`
rebuilds it as declared (a TTL by collMod, in place; others dropped and built again, so
run it when a short window without that index is acceptable). `--drop-retired` drops the
indexes earlier releases used and this one does not (models/documents:
RETIRED_INDEXES), after their replacements exist.
"""

from __future__ import annotations

import argparse
import sys

from gateway.settings import Settings
from models.db import Database, connect, ensure_indexes, missing_indexes
from models.documents import RETIRED_INDEXES
from scripts.cli import run_script


async def init_indexes(
    db: Database, drop_retired: bool = False, repair: bool = False
) -> dict[str, list[str]]:
    report = await ensure_indexes(db, repair=repair)
    report["dropped"] = []
    if drop_retired and not await missing_indexes(db):
        for coll, names in RETIRED_INDEXES.items():
            existing = await db.collection(coll).index_information()
            for name in names:
                if name in existing:
                    await db.collection(coll).drop_index(name)
                    report["dropped"].append(f"{coll}.{name}")
    return report


async def _main(args: argparse.Namespace) -> int:
    settings = Settings()
    if settings.embedded:
        print(
            "MONGO_URI is not set: nothing to initialise (the embedded database is in memory).",
            file=sys.stderr,
        )
        return 2
    db = await connect(
        settings.mongo_uri,
        settings.mongo_db,
        settings.mongo_timeout_ms,
        None,
        index_ttl=settings.index_ttl,
    )
    try:
        report = await init_indexes(db, args.drop_retired, args.repair)
    finally:
        await db.close()
    for kind in ("created", "present", "repaired", "dropped", "conflicts"):
        for line in report[kind]:
            print(f"{kind}: {line}")
    return 1 if report["conflicts"] else 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--repair",
        action="store_true",
        help="rebuild indexes whose options differ from the declared ones",
    )
    parser.add_argument(
        "--drop-retired", action="store_true", help="drop indexes no query uses any more"
    )
    raise SystemExit(run_script("init_db", _main(parser.parse_args())))


if __name__ == "__main__":
    main()
