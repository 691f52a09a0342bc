"""The restore drill (issue 27, item 7; docs/database.md, Backups): every learner exported
in the sessions-history format, imported into an empty database, the counters rebuilt,
and nothing of what the export carries is lost."""

from __future__ import annotations

import io
from typing import Any

import pytest

from models.db import Database, connect
from resolvers.demo.seed import seed_database
from scripts.export import export_history
from scripts.import_legacy import import_files
from scripts.rebuild_stats import rebuild_all

HALF_LIFE = 14.0
ERROR_FIELDS = ("category", "subcategory", "excerpt", "correction", "explanation")


def _cost(value: Any) -> float:
    return round(float(value or 0), 9)


async def snapshot(db: Database) -> dict[str, Any]:
    """What a learner would see again after a restore, keyed by email (ids are re-derived
    on import)."""
    out: dict[str, Any] = {}
    async for user in db.users.find({}):
        uid = user["_id"]
        sessions = [s async for s in db.sessions.find({"user_id": uid})]
        if not sessions:
            continue  # nothing of theirs is in a history export
        messages = [m async for m in db.messages.find({"user_id": uid})]
        stats = [e async for e in db.error_stats.find({"user_id": uid})]
        daily = [c async for c in db.cost_daily.find({"user_id": uid})]
        out[user["email"]] = {
            "total_sessions": user.get("total_sessions"),
            "sessions": sorted(
                (
                    s.get("topic"),
                    s.get("provider"),
                    s["started_at"],
                    s.get("total_messages"),
                    s.get("total_tokens"),
                    _cost(s.get("total_cost")),
                    s.get("response_time_sum_ms"),
                    s.get("response_time_count"),
                )
                for s in sessions
            ),
            # A restored session is completed; one that had ended keeps its end.
            "ended": {s["started_at"]: s["ended_at"] for s in sessions if s.get("ended_at")},
            "messages": sorted(
                (
                    m["role"],
                    m["content"],
                    m["timestamp"],
                    tuple(tuple(e.get(k) for k in ERROR_FIELDS) for e in m.get("errors") or []),
                    m.get("model"),
                    m.get("tokens_in"),
                    m.get("tokens_out"),
                    _cost(m.get("cost")),
                    m.get("response_time_ms"),
                )
                for m in messages
            ),
            "error_stats": sorted(
                (
                    e["category"],
                    e["subcategory"],
                    e["count"],
                    e.get("first_seen"),
                    e.get("last_seen"),
                )
                for e in stats
            ),
            "cost_daily": sorted(
                (
                    c["date"],
                    c.get("provider"),
                    c.get("model"),
                    c.get("requests"),
                    c.get("tokens_in"),
                    c.get("tokens_out"),
                    _cost(c.get("cost")),
                )
                for c in daily
            ),
        }
    return out


def same(restored: dict[str, Any], live: dict[str, Any]) -> bool:
    """Everything equal; each session that had ended has the same end (one that had not
    ends, restored, at its last message)."""
    if restored.keys() != live.keys():
        return False
    for email, was in live.items():
        now = restored[email]
        if {k: v for k, v in now.items() if k != "ended"} != {
            k: v for k, v in was.items() if k != "ended"
        }:
            return False
        if any(now["ended"].get(start) != end for start, end in was["ended"].items()):
            return False
    return True


async def cost_totals(db: Database) -> dict[str, tuple[float, int, int]]:
    return {
        t["_id"]: (_cost(t.get("cost")), t.get("tokens"), t.get("requests"))
        async for t in db.cost_totals.find({})
    }


@pytest.mark.slow
async def test_export_import_round_trip_restores_every_conversation_and_counter(tmp_path):
    live = await connect(None, "drill_live")
    restored = await connect(None, "drill_restored")
    try:
        await seed_database(live, users=4, seed=7, progress=False)
        before = await snapshot(live)
        assert before and sum(len(v["messages"]) for v in before.values()) > 100
        files = []
        async for user in live.users.find({}):
            out = io.StringIO()
            counts = await export_history(live, user, out)
            if counts["sessions"]:
                path = tmp_path / f"{user['_id']}.json"
                path.write_text(out.getvalue(), encoding="utf-8")
                files.append(path)

        report = await import_files(restored, files, HALF_LIFE)
        assert not report.skipped, report.summary()
        assert same(await snapshot(restored), before)  # nothing lost, counters rebuilt
        assert await cost_totals(restored) == await cost_totals(live)

        # A restore whose collections came from different times: counters disagree with
        # the messages until rebuild_stats recomputes them.
        await restored.users.update_many({}, {"$inc": {"total_sessions": 3}})
        await restored.error_stats.update_many({}, {"$inc": {"count": 5}})
        await restored.cost_totals.delete_many({})
        assert not same(await snapshot(restored), before)
        await rebuild_all(restored, HALF_LIFE, progress=False)
        assert same(await snapshot(restored), before)
        assert await cost_totals(restored) == await cost_totals(live)

        # Importing the same files again (a drill re-run) changes nothing.
        again = await import_files(restored, files, HALF_LIFE)
        assert not again.skipped
        assert same(await snapshot(restored), before)
    finally:
        await live.close()
        await restored.close()
