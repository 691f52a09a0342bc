"""Find, and remove, AI usage a learner's browser wrote before the tutor had its own caller.

    python -m scripts.forged_usage [--until 2026-12-06T00:00:00Z] [--min-cost 1] [--user ID]
    python -m scripts.forged_usage --apply --save forged.jsonl [same filters]

Before API clients, every ASSISTANT/SYSTEM message was written with a person's token, so
any learner could record "tutor" replies with made-up tokens and cost. Messages written
since carry who wrote them (`author_kind`); the candidates are the costed ASSISTANT/SYSTEM
messages that say nothing (written before the upgrade) or say a learner wrote them. The
first form lists them (dry run: nothing changes). `--apply` writes them to `--save` as
JSON lines (so nothing is lost: `scripts.import_legacy` reads them back), deletes them,
and rebuilds what they fed (session totals, cost_daily, cost_totals, provider_daily,
cost_dims). Narrow the candidates with the filters first: before the upgrade the real
tutor wrote with a person's token too, so a pre-upgrade reply is a suspect, not a proof.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from gateway.settings import Settings
from models.db import Database, chunks, connect
from resolvers.rebuild import (
    rebuild_cost_daily,
    rebuild_cost_dims,
    rebuild_cost_totals,
    rebuild_provider_daily,
    rebuild_session_totals,
)
from scripts.cli import run_script


def candidates_query(
    since: datetime | None = None,
    until: datetime | None = None,
    user_ids: list[str] | None = None,
    min_cost: float | None = None,
) -> dict[str, Any]:
    query: dict[str, Any] = {
        "role": {"$in": ["assistant", "system"]},
        "author_kind": {"$in": [None, "learner"]},
        "$or": [{"tokens_in": {"$gt": 0}}, {"tokens_out": {"$gt": 0}}, {"cost": {"$gt": 0}}],
    }
    when: dict[str, Any] = {}
    if since is not None:
        when["$gte"] = since
    if until is not None:
        when["$lt"] = until
    if when:
        query["timestamp"] = when
    if user_ids:
        query["user_id"] = {"$in": user_ids}
    if min_cost is not None:
        query["cost"] = {"$gte": min_cost}
    return query


async def find_forged(db: Database, query: dict[str, Any]) -> list[dict[str, Any]]:
    return [m async for m in db.messages.find(query).sort([("timestamp", 1), ("_id", 1)])]


def summary(found: list[dict[str, Any]]) -> dict[str, Any]:
    by_user: dict[str, float] = defaultdict(float)
    for m in found:
        by_user[m["user_id"]] += m.get("cost") or 0.0
    return {
        "messages": len(found),
        "cost": round(sum(m.get("cost") or 0.0 for m in found), 6),
        "tokens": sum((m.get("tokens_in") or 0) + (m.get("tokens_out") or 0) for m in found),
        "users": len(by_user),
        "top_users": Counter(by_user).most_common(10),
        "first": found[0]["timestamp"].isoformat() if found else None,
        "last": found[-1]["timestamp"].isoformat() if found else None,
    }


async def remove_forged(db: Database, found: list[dict[str, Any]]) -> dict[str, int]:
    """Delete `found` and rebuild every rollup they were counted in."""
    ids = [m["_id"] for m in found]
    for part in chunks(ids):
        await db.messages.delete_many({"_id": {"$in": part}})
    sessions = sorted({m["session_id"] for m in found})
    users = sorted({m["user_id"] for m in found})
    return {
        "deleted": len(ids),
        "sessions": await rebuild_session_totals(db, sessions),
        "cost_daily": await rebuild_cost_daily(db, users),
        "cost_totals": await rebuild_cost_totals(db),
        "provider_daily": await rebuild_provider_daily(db),
        "cost_dims": await rebuild_cost_dims(db),
    }


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


async def _main(args: argparse.Namespace) -> int:
    settings = Settings()
    if settings.embedded:
        print("MONGO_URI is not set: there is no stored usage to check.", file=sys.stderr)
        return 2
    if args.apply and not args.save:
        print("--apply needs --save FILE: the removed messages are kept there.", file=sys.stderr)
        return 2
    db = await connect(settings.mongo_uri, settings.mongo_db, settings.mongo_timeout_ms, None)
    try:
        query = candidates_query(_when(args.since), _when(args.until), args.user, args.min_cost)
        found = await find_forged(db, query)
        print(json.dumps(summary(found), indent=2))
        if not args.apply:
            print("dry run: nothing changed (add --apply --save FILE to remove them)")
            return 0
        with Path(args.save).open("w") as out:
            for m in found:
                out.write(json.dumps(m, default=str) + "\n")
        print(f"rebuilt {await remove_forged(db, found)}; removed messages in {args.save}")
    finally:
        await db.close()
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--since", help="only messages at or after this ISO time")
    parser.add_argument("--until", help="only messages before this ISO time (the upgrade)")
    parser.add_argument("--user", action="append", help="only this learner (repeatable)")
    parser.add_argument("--min-cost", type=float, help="only replies costing at least this")
    parser.add_argument("--apply", action="store_true", help="remove them and rebuild")
    parser.add_argument("--save", help="with --apply: where the removed messages are written")
    raise SystemExit(run_script("forged_usage", _main(parser.parse_args())))


if __name__ == "__main__":
    main()
