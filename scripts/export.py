"""Export one learner's sessions, messages and error statistics, streaming.

    python -m scripts.export --email ana@example.com --format json --out ana.json
    python -m scripts.export --user-id <id> --format csv --out ana/     # 3 CSV files
    python -m scripts.export --email ana@example.com --format history --out ana.json
Rows are written as the cursors yield them (batches of 500), so a history of millions of
messages never sits in memory. JSON is one object: {"user", "sessions", "messages",
"error_stats"}; CSV writes sessions.csv, messages.csv and error_stats.csv into a folder.
`history` writes the sessions-history format `scripts.import_legacy` reads (sessions with
their messages), so an export restores into another database (docs/database.md, Backups).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from gateway.settings import Settings
from models.db import Database, connect, pages_by_id
from resolvers.decay import weight_at
from resolvers.validation import normalize_email
from scripts.cli import run_script

SESSION_FIELDS = [
    "id",
    "started_at",
    "ended_at",
    "status",
    "topic",
    "provider",
    "total_messages",
    "total_tokens",
    "total_cost",
    "avg_response_time_ms",
]
MESSAGE_FIELDS = [
    "id",
    "session_id",
    "timestamp",
    "role",
    "content",
    "provider",
    "model",
    "tokens_in",
    "tokens_out",
    "cost",
    "response_time_ms",
    "errors",
]
STAT_FIELDS = ["category", "subcategory", "count", "weight", "first_seen", "last_seen"]
BATCH = 500
# What a history export keeps of each language error (what scripts.import_legacy reads).
HISTORY_ERROR_FIELDS = ("category", "subcategory", "excerpt", "correction", "explanation")
# Bookkeeping no export shows.
HIDDEN = {
    "applied": 0,
    "idempotency_key": 0,
    "guarded": 0,
    "applied_at": 0,
    "guard_ids": 0,
    "applied_ids": 0,
}


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _session(doc: dict[str, Any]) -> dict[str, Any]:
    count = doc.get("response_time_count") or 0
    avg = round(doc.get("response_time_sum_ms", 0) / count, 3) if count else None
    return {
        "id": doc["_id"],
        **{f: _plain(doc.get(f)) for f in SESSION_FIELDS[1:-1]},
        "avg_response_time_ms": avg,
    }


def _message(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": doc["_id"],
        **{f: _plain(doc.get(f)) for f in MESSAGE_FIELDS[1:-1]},
        "errors": doc.get("errors") or [],
    }


async def rows(
    db: Database, user_id: str, half_life_days: float, now: datetime
) -> dict[str, AsyncIterator[dict[str, Any]]]:
    # Keyset pages, not one long cursor: an export of years of history survives cursor
    # timeouts and failovers, and each page walks an index ending in (time, _id).
    async def sessions() -> AsyncIterator[dict[str, Any]]:
        async for d in pages_by_id(
            db.sessions, {"user_id": user_id}, HIDDEN, BATCH, order_field="started_at"
        ):
            yield _session(d)

    async def messages() -> AsyncIterator[dict[str, Any]]:
        async for d in pages_by_id(
            db.messages, {"user_id": user_id}, HIDDEN, BATCH, order_field="timestamp"
        ):
            yield _message(d)

    async def stats() -> AsyncIterator[dict[str, Any]]:
        async for d in db.error_stats.find({"user_id": user_id}, dict(HIDDEN)).sort(
            [("category", 1), ("subcategory", 1)]
        ):
            yield {
                "category": d["category"],
                "subcategory": d["subcategory"],
                "count": d["count"],
                "weight": round(weight_at(d.get("decay_sum", 0.0), now, half_life_days), 6),
                "first_seen": _plain(d.get("first_seen")),
                "last_seen": _plain(d.get("last_seen")),
            }

    return {"sessions": sessions(), "messages": messages(), "error_stats": stats()}


async def export_json(
    db: Database, user: dict[str, Any], out: TextIO, half_life_days: float, now: datetime
) -> dict[str, int]:
    counts: dict[str, int] = {}
    profile = {k: _plain(v) for k, v in user.items() if k not in ("applied_ids", "guard_ids")}
    profile["id"] = profile.pop("_id")
    out.write('{"user": ' + json.dumps(profile, ensure_ascii=False))
    for name, stream in (await rows(db, user["_id"], half_life_days, now)).items():
        out.write(f', "{name}": [')
        n = 0
        async for row in stream:
            out.write(("," if n else "") + "\n  " + json.dumps(row, ensure_ascii=False))
            n += 1
        out.write("\n]")
        counts[name] = n
    out.write("}\n")
    return counts


async def export_csv(
    db: Database, user: dict[str, Any], folder: Path, half_life_days: float, now: datetime
) -> dict[str, int]:
    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    fields = {"sessions": SESSION_FIELDS, "messages": MESSAGE_FIELDS, "error_stats": STAT_FIELDS}
    for name, stream in (await rows(db, user["_id"], half_life_days, now)).items():
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=fields[name])
            writer.writeheader()
            n = 0
            async for row in stream:
                if "errors" in row:
                    row = {**row, "errors": json.dumps(row["errors"], ensure_ascii=False)}
                writer.writerow(row)
                n += 1
        counts[name] = n
    return counts


def _history_message(doc: dict[str, Any]) -> dict[str, Any]:
    fields = {
        "role": doc["role"],
        "text": doc["content"],
        "timestamp": _plain(doc["timestamp"]),
        "model": doc.get("model"),
        "tokens_in": doc.get("tokens_in"),
        "tokens_out": doc.get("tokens_out"),
        "cost": doc.get("cost"),
        "latency_ms": doc.get("response_time_ms"),
        "errors": [
            {k: e[k] for k in HISTORY_ERROR_FIELDS if e.get(k)} for e in doc.get("errors") or []
        ],
    }
    return {k: v for k, v in fields.items() if v is not None}


async def export_history(db: Database, user: dict[str, Any], out: TextIO) -> dict[str, int]:
    """The learner's sessions, each with its messages in order, as `scripts.import_legacy`
    reads a sessions history: a restore into another (or an empty) database."""
    counts = {"sessions": 0, "messages": 0}
    user_id = user["_id"]
    out.write("[")
    async for s in pages_by_id(
        db.sessions, {"user_id": user_id}, HIDDEN, BATCH, order_field="started_at"
    ):
        head = {
            "session_id": s["_id"],
            "user_email": user["email"],
            "start_time": _plain(s["started_at"]),
            "end_time": _plain(s.get("ended_at")),
            "topic": s.get("topic"),
            "provider": s.get("provider"),
        }
        record = json.dumps({k: v for k, v in head.items() if v is not None}, ensure_ascii=False)
        out.write(("," if counts["sessions"] else "") + "\n  " + record[:-1] + ', "messages": [')
        counts["sessions"] += 1
        n = 0
        async for m in pages_by_id(
            db.messages,
            {"user_id": user_id, "session_id": s["_id"]},  # the shard key, and session_time
            HIDDEN,
            BATCH,
            order_field="timestamp",
        ):
            out.write(
                ("," if n else "") + "\n    " + json.dumps(_history_message(m), ensure_ascii=False)
            )
            n += 1
        counts["messages"] += n
        out.write("\n  ]}")
    out.write("\n]\n")
    return counts


async def find_user(db: Database, email: str | None, user_id: str | None) -> dict[str, Any] | None:
    query = {"_id": user_id} if user_id else {"email": normalize_email(email or "")}
    return await db.users.find_one(query)


async def _export_to(
    db: Database, user: dict[str, Any], out: TextIO, fmt: str, settings: Settings, now: datetime
) -> dict[str, int]:
    if fmt == "history":
        return await export_history(db, user, out)
    return await export_json(db, user, out, settings.error_half_life_days, now)


async def _main(args: argparse.Namespace) -> int:
    from datetime import UTC

    settings = Settings()
    if settings.embedded:
        print("MONGO_URI is not set: there is no database to export from.", file=sys.stderr)
        return 2
    # A batch tool: no per-operation timeout (long histories, big rebuilds).
    db = await connect(settings.mongo_uri, settings.mongo_db, settings.mongo_timeout_ms, None)
    try:
        user = await find_user(db, args.email, args.user_id)
        if user is None:
            print("No such user.", file=sys.stderr)
            return 1
        now = datetime.now(UTC)
        if args.format == "csv":
            counts = await export_csv(
                db, user, Path(args.out or "."), settings.error_half_life_days, now
            )
        elif args.out and args.out != "-":
            with open(args.out, "w", encoding="utf-8") as f:
                counts = await _export_to(db, user, f, args.format, settings, now)
        else:
            counts = await _export_to(db, user, sys.stdout, args.format, settings, now)
    finally:
        await db.close()
    print(f"exported {counts}", file=sys.stderr)
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--email")
    who.add_argument("--user-id")
    parser.add_argument("--format", choices=["json", "csv", "history"], default="json")
    parser.add_argument("--out", help="JSON: a file (default stdout); CSV: a folder (default .)")
    raise SystemExit(run_script("export", _main(parser.parse_args())))


if __name__ == "__main__":
    main()
