"""Import legacy tutoring data, idempotently.

    python -m scripts.import_legacy scripts/examples/legacy_relational.json \
        scripts/examples/legacy_sessions.json

Two formats, told apart by shape:
* the relational export of the earlier PostgreSQL service (seed 002): an object with
  `users`, `conversations`, `utterances` and `errors` (per-utterance error rows);
  `error_frequency` is derived data and is recomputed, not imported;
* a sessions-history file (like seed 001's sessions.json): a list of session records with
  `session_id`, `user_email`, `start_time`, optional `end_time` / `duration_seconds`,
  `topic`, `provider`, `source`, `notes` and `messages` (role, text, timestamp, errors,
  model, tokens_in, tokens_out, cost, latency_ms). Unknown emails become new learners.

Every id is derived from the legacy id (uuid5), and every write is an insert-if-absent, so
re-running imports nothing twice. A malformed record is reported with its position and
skipped; the rest goes on.

Each message is stored unapplied and then applied by `recordMessage`'s own path
(`resolvers.messages.apply_message`), so an import produces exactly the counters recording
the messages would: session totals, error_stats, cost_daily, cost_totals, provider_daily
and cost_dims, each message once. Nothing is rebuilt afterwards: a rebuild of the affected
learners would also count their live messages still half-applied, which the maintenance
pass then applies again. A run cut short leaves stored messages unapplied; the next run
(or the gateway's maintenance pass) finishes them, once.

Files are read one array item at a time (`scripts.json_stream`): memory holds one session
record (or one row of the relational export) and the maps of learners and conversations,
not the file. The relational export's errors are matched to their utterances through a
temporary SQLite file, whatever the order of the arrays.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from gateway.settings import Settings
from models.db import Database, chunks, connect
from models.documents import SessionDoc, utcnow
from resolvers.costs.calls import carries_usage
from resolvers.errors import BadUserInput
from resolvers.messages import apply_message
from resolvers.pricing import load_pricing
from resolvers.rebuild import rebuild_user_totals
from resolvers.validation import MAX_CONTENT_CHARS, name, non_negative_money, normalize_email
from scripts.cli import run_script
from scripts.json_stream import array_items, object_keys, shape

NAMESPACE = uuid5(NAMESPACE_URL, "tutoring-gateway/legacy")
ROLES = {"user", "assistant", "system"}
# Messages applied at once (recordMessage's path, one message per task): enough to hide
# the round trips, few enough to leave the database to live traffic.
APPLY_CONCURRENCY = 16
RELATIONAL_KEYS = ("users", "conversations", "utterances", "errors")


def legacy_id(kind: str, value: Any) -> str:
    return str(uuid5(NAMESPACE, f"{kind}:{value}"))


def parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"not a timestamp: {value!r}")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return parsed.replace(microsecond=parsed.microsecond // 1000 * 1000)


@dataclass
class Report:
    inserted: Counter[str] = field(default_factory=Counter)
    existing: Counter[str] = field(default_factory=Counter)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (position, reason)
    user_ids: set[str] = field(default_factory=set)
    session_ids: set[str] = field(default_factory=set)
    half_life_days: float = 14.0
    pending: list[dict[str, Any]] = field(default_factory=list)  # stored, not yet applied

    def skip(self, position: str, reason: str) -> None:
        self.skipped.append((position, reason))

    def summary(self) -> str:
        lines = [f"inserted: {dict(self.inserted)}", f"already present: {dict(self.existing)}"]
        lines.append(f"skipped: {len(self.skipped)}")
        lines += [f"  {pos}: {reason}" for pos, reason in self.skipped]
        return "\n".join(lines)


SHARDED_BY_USER = frozenset({"sessions", "messages"})


async def _insert_once(
    db: Database, collection: str, doc: dict[str, Any], report: Report, kind: str
) -> bool:
    # Sessions and messages are matched on their shard key too (docs/scaling.md): a
    # sharded cluster refuses an upsert whose filter lacks it.
    key = {"_id": doc["_id"]}
    if collection in SHARDED_BY_USER:
        key["user_id"] = doc["user_id"]
    body = {k: v for k, v in doc.items() if k not in key and v is not None}
    result = await db.collection(collection).update_one(key, {"$setOnInsert": body}, upsert=True)
    (report.inserted if result.upserted_id is not None else report.existing)[kind] += 1
    return result.upserted_id is not None


async def _insert_message(db: Database, doc: dict[str, Any], report: Report) -> None:
    """Store `doc` unapplied (once) and queue it for recordMessage's apply; a message an
    earlier run stored but did not finish is queued again."""
    doc = {**doc, "applied": False, "guarded": True}
    if not await _insert_once(db, "messages", doc, report, "messages"):
        stored = await db.messages.find_one({"_id": doc["_id"], "user_id": doc["user_id"]})
        if stored is None or stored.get("applied", True):
            return
        doc = stored
    report.pending.append(doc)
    if len(report.pending) >= APPLY_CONCURRENCY * 4:
        await apply_pending(db, report)


async def apply_pending(db: Database, report: Report) -> None:
    """Apply the queued messages, APPLY_CONCURRENCY at a time, each exactly once. No
    session events: an imported history has no subscriber, and its learner utterances
    must not reach the tutor service as turns to answer."""
    queue, report.pending = report.pending, []
    for i in range(0, len(queue), APPLY_CONCURRENCY):
        await asyncio.gather(
            *(
                apply_message(db, doc, report.half_life_days, record=False)
                for doc in queue[i : i + APPLY_CONCURRENCY]
            )
        )


async def _user_for_email(
    db: Database,
    email: str,
    name: str | None,
    created: datetime | None,
    report: Report,
    kind_id: str,
) -> tuple[str, str | None]:
    """The existing user with this email, or a new learner (same id on every re-run), and
    the tier their imported replies' spend is reported under (cost_dims)."""
    found = await db.users.find_one({"email": email}, {"_id": 1, "subscription_tier": 1})
    if found is not None:
        report.existing["users"] += 1
        return str(found["_id"]), found.get("subscription_tier")
    doc = {
        "_id": kind_id,
        "email": email,
        "name": name or email.split("@")[0],
        "role": "user",
        "subscription_tier": "free",
        "created_at": created or utcnow(),
        "total_sessions": 0,
        "streak_days": 0,
        "learning_preferences": {},
    }
    await _insert_once(db, "users", doc, report, "users")
    return kind_id, "free"


class _ErrorIndex:
    """The relational export's utterance ids and per-utterance errors, on disk (SQLite in a
    temporary directory), so a file of any size is matched in bounded memory."""

    def __init__(self, directory: str) -> None:
        self.sql = sqlite3.connect(Path(directory) / "import.sqlite")
        self.sql.execute("CREATE TABLE utterance (id TEXT PRIMARY KEY)")
        self.sql.execute("CREATE TABLE error (utterance TEXT, n INTEGER, category TEXT, sub TEXT)")
        self.sql.execute("CREATE INDEX error_utterance ON error (utterance, n)")

    def add_utterances(self, ids: list[str]) -> None:
        self.sql.executemany("INSERT OR IGNORE INTO utterance VALUES (?)", [(i,) for i in ids])

    def known(self, utterance_id: str) -> bool:
        found = self.sql.execute("SELECT 1 FROM utterance WHERE id = ?", (utterance_id,))
        return found.fetchone() is not None

    def add_error(self, n: int, utterance_id: str, category: str, sub: str) -> None:
        self.sql.execute("INSERT INTO error VALUES (?, ?, ?, ?)", (utterance_id, n, category, sub))

    def errors_of(self, utterance_id: str) -> list[dict[str, str]]:
        rows = self.sql.execute(
            "SELECT category, sub FROM error WHERE utterance = ? ORDER BY n", (utterance_id,)
        )
        return [{"category": c, "subcategory": sub} for c, sub in rows]

    def close(self) -> None:
        self.sql.close()


def _batched(items: Any, size: int = 1000) -> Any:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


async def import_relational(db: Database, path: Path, report: Report, source: str) -> None:
    users: dict[str, tuple[str, str | None]] = {}
    for i, rec in enumerate(array_items(path, "users")):
        pos = f"{source}: users[{i}]"
        try:
            email = normalize_email(str(rec["email"]))
            created = parse_time(rec["created_at"]) if rec.get("created_at") else None
            name = (rec.get("name") or rec.get("username") or "").strip()[:200] or None
            users[str(rec["user_id"])] = await _user_for_email(
                db, email, name, created, report, legacy_id("user", rec["user_id"])
            )
        except (KeyError, TypeError, ValueError, BadUserInput) as exc:
            report.skip(pos, _why(exc))
    # legacy conversation -> (session id, user id, tier)
    sessions: dict[str, tuple[str, str, str | None]] = {}
    for i, rec in enumerate(array_items(path, "conversations")):
        pos = f"{source}: conversations[{i}]"
        try:
            user = users.get(str(rec["user_id"]))
            if user is None:
                raise ValueError(f"unknown user_id {rec['user_id']!r}")
            sid = legacy_id("conversation", rec["conversation_id"])
            await _insert_once(
                db,
                "sessions",
                _session(sid, user[0], parse_time(rec["started_at"])),
                report,
                "sessions",
            )
            sessions[str(rec["conversation_id"])] = (sid, user[0], user[1])
            report.session_ids.add(sid)
            report.user_ids.add(user[0])
        except (KeyError, TypeError, ValueError) as exc:
            report.skip(pos, _why(exc))
    with tempfile.TemporaryDirectory(prefix="import_legacy") as tmp:
        index = _ErrorIndex(tmp)
        try:
            for batch in _batched(array_items(path, "utterances")):
                index.add_utterances(
                    [str(u.get("utterance_id")) for u in batch if isinstance(u, dict)]
                )
            for i, rec in enumerate(array_items(path, "errors")):
                pos = f"{source}: errors[{i}]"
                try:
                    uid = str(rec["utterance_id"])
                    if not index.known(uid):
                        raise ValueError(f"unknown utterance_id {uid!r}")
                    category, sub = (
                        str(rec["error_category"]).strip(),
                        str(rec["error_subcategory"]).strip(),
                    )
                    if not category or not sub:
                        raise ValueError("empty category or subcategory")
                    index.add_error(i, uid, category, sub)
                except (KeyError, TypeError, ValueError) as exc:
                    report.skip(pos, _why(exc))
            for i, rec in enumerate(array_items(path, "utterances")):
                pos = f"{source}: utterances[{i}]"
                try:
                    target = sessions.get(str(rec["conversation_id"]))
                    if target is None:
                        raise ValueError(f"unknown conversation_id {rec['conversation_id']!r}")
                    await _insert_message(
                        db,
                        {
                            "_id": legacy_id("utterance", rec["utterance_id"]),
                            "session_id": target[0],
                            "user_id": target[1],
                            "role": "user",
                            "content": _content(rec["content"]),
                            "timestamp": parse_time(rec["timestamp"]),
                            "errors": index.errors_of(str(rec["utterance_id"])),
                            "tier": target[2],
                        },
                        report,
                    )
                except (KeyError, TypeError, ValueError) as exc:
                    report.skip(pos, _why(exc))
        finally:
            index.close()
    frequency = sum(1 for _ in array_items(path, "error_frequency"))
    if frequency:
        report.existing["error_frequency (recomputed, not imported)"] += frequency


async def import_sessions(db: Database, path: Path, report: Report, source: str) -> None:
    pricing = load_pricing(Settings().pricing_overrides)
    for i, rec in enumerate(array_items(path)):
        pos = f"{source}: [{i}]"
        try:
            if not isinstance(rec, dict):
                raise ValueError("not an object")
            email = normalize_email(str(rec["user_email"]))
            started = parse_time(rec["start_time"])
            if rec.get("end_time"):
                ended: datetime | None = parse_time(rec["end_time"])
            elif rec.get("duration_seconds") is not None:
                ended = started + timedelta(seconds=float(rec["duration_seconds"]))
            else:
                ended = None
            messages = rec.get("messages") or []
            if not isinstance(messages, list):
                raise ValueError("messages is not a list")
            user_id, tier = await _user_for_email(
                db, email, None, started, report, legacy_id("email", email)
            )
            sid = legacy_id("history-session", rec["session_id"])
            await _insert_once(
                db,
                "sessions",
                _session(
                    sid,
                    user_id,
                    started,
                    ended_at=ended,
                    topic=rec.get("topic"),
                    provider=name(rec.get("provider"), "provider"),
                )
                | {"legacy": {k: rec[k] for k in ("source", "notes") if rec.get(k)}},
                report,
                "sessions",
            )
            report.session_ids.add(sid)
            report.user_ids.add(user_id)
        except (KeyError, TypeError, ValueError, BadUserInput) as exc:
            report.skip(pos, _why(exc))
            continue
        for j, msg in enumerate(messages):
            try:
                doc = _history_message(rec, j, msg, sid, user_id, pricing)
            except (KeyError, TypeError, ValueError, BadUserInput) as exc:
                report.skip(f"{pos}.messages[{j}]", _why(exc))
                continue
            await _insert_message(db, {**doc, "topic": rec.get("topic"), "tier": tier}, report)


def _history_message(
    rec: dict[str, Any], j: int, msg: Any, sid: str, user_id: str, pricing: Any
) -> dict[str, Any]:
    if not isinstance(msg, dict):
        raise ValueError("not an object")
    role = str(msg["role"]).lower()
    if role not in ROLES:
        raise ValueError(f"unknown role {msg['role']!r}")
    errs = []
    for e in msg.get("errors") or []:
        if not (isinstance(e, dict) and e.get("category") and e.get("subcategory")):
            raise ValueError("an error lacks category or subcategory")
        errs.append(
            {
                k: str(e[k])
                for k in ("category", "subcategory", "excerpt", "correction", "explanation")
                if e.get(k)
            }
        )
    if errs and role != "user":
        raise ValueError("errors on a non-user message")
    tokens_in, tokens_out = msg.get("tokens_in"), msg.get("tokens_out")
    for value in (tokens_in, tokens_out, msg.get("latency_ms")):
        if value is not None and (not isinstance(value, int) or value < 0):
            raise ValueError(f"bad count {value!r}")
    # Names in recordMessage's one spelling and the cost within its bounds: an export's
    # "OpenAI" / "GPT-4o-mini" sat in costReport and providerStats in a bucket apart from the
    # live "openai/gpt-4o-mini", and a negative cost took its amount off the bill.
    provider, model = name(rec.get("provider"), "provider"), name(msg.get("model"), "model")
    cost = msg.get("cost")
    if cost is not None and (isinstance(cost, bool) or not isinstance(cost, int | float)):
        raise ValueError(f"bad cost {cost!r}")
    cost = non_negative_money(cost, "cost")
    # Any message carrying usage is an AI call, priced and named like a reply
    # (resolvers/costs/calls.py), as recordMessage does.
    call = carries_usage(tokens_in, tokens_out, cost)
    if cost is None and (tokens_in or tokens_out):
        cost = pricing.cost(provider, model, tokens_in or 0, tokens_out or 0)
    return {
        "_id": legacy_id("history-message", f"{rec['session_id']}:{j}"),
        "session_id": sid,
        "user_id": user_id,
        "role": role,
        "content": _content(msg["text"]),
        "timestamp": parse_time(msg["timestamp"]),
        "provider": provider if role == "assistant" or call else None,
        "model": model,
        "tokens_in": tokens_in,
        "tokens_out": tokens_out,
        "cost": cost,
        "response_time_ms": msg.get("latency_ms"),
        "errors": errs,
    }


def _session(sid: str, user_id: str, started: datetime, **fields: Any) -> dict[str, Any]:
    """A completed session as the gateway stores it (counters are rebuilt afterwards)."""
    return SessionDoc(
        id=sid, user_id=user_id, started_at=started, status="completed", **fields
    ).to_mongo()


def _content(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("empty content")
    if len(value) > MAX_CONTENT_CHARS:
        raise ValueError(f"content longer than {MAX_CONTENT_CHARS} characters")
    return value


def _why(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    if isinstance(exc, BadUserInput):
        return exc.message
    return str(exc)


async def finish(db: Database, report: Report, half_life_days: float) -> None:
    """What the messages' apply does not derive: sessions' end times and the learners'
    session counts and last activity. Queued messages are applied first."""
    report.half_life_days = half_life_days
    await apply_pending(db, report)
    if not report.user_ids:
        return
    session_ids, user_ids = sorted(report.session_ids), sorted(report.user_ids)
    for ids in chunks(session_ids):  # no `$in` outgrows a command, however big the import
        async for row in await db.messages.aggregate(
            [
                {"$match": {"session_id": {"$in": ids}}},
                {
                    "$group": {
                        "_id": "$session_id",
                        "user_id": {"$first": "$user_id"},
                        "last": {"$max": "$timestamp"},
                    }
                },
            ]
        ):
            await db.sessions.update_one(
                {"_id": row["_id"], "user_id": row["user_id"], "ended_at": None},
                {"$set": {"ended_at": row["last"]}},
            )
    # The recount a live startSession cannot race (it wrote the count over the row).
    await rebuild_user_totals(db, user_ids)
    for user_id in user_ids:
        last = await db.messages.find_one(
            {"user_id": user_id}, {"timestamp": 1}, sort=[("timestamp", -1)]
        )
        if last:
            await db.users.update_one(
                {"_id": user_id}, {"$max": {"last_active": last["timestamp"]}}
            )


async def import_files(db: Database, paths: list[Path], half_life_days: float) -> Report:
    report = Report(half_life_days=half_life_days)
    for path in paths:
        try:
            kind = shape(path)
            if kind == "object" and any(k in RELATIONAL_KEYS for k in object_keys(path)):
                await import_relational(db, path, report, path.name)
            elif kind == "array":
                await import_sessions(db, path, report, path.name)
            else:
                report.skip(str(path), "neither a relational export nor a sessions history")
        except (OSError, ValueError) as exc:
            report.skip(str(path), f"unreadable: {exc}")
        await apply_pending(db, report)
    await finish(db, report, half_life_days)
    return report


async def _main(args: argparse.Namespace) -> int:
    settings = Settings()
    if settings.embedded:
        print("MONGO_URI is not set: importing into memory would be lost at exit.", file=sys.stderr)
        return 2
    # A batch tool: no per-operation timeout (long histories, big rebuilds).
    db = await connect(settings.mongo_uri, settings.mongo_db, settings.mongo_timeout_ms, None)
    try:
        report = await import_files(
            db, [Path(p) for p in args.files], settings.error_half_life_days
        )
    finally:
        await db.close()
    print(report.summary())
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("files", nargs="+")
    raise SystemExit(run_script("import_legacy", _main(parser.parse_args())))


if __name__ == "__main__":
    main()
