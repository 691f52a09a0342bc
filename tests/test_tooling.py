"""Data tooling: legacy import, stats rebuild, export."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from resolvers.pricing import load_pricing
from scripts.export import export_csv, export_json, find_user
from scripts.import_legacy import import_files, legacy_id
from scripts.rebuild_stats import rebuild_all

EXAMPLES = Path(__file__).resolve().parent.parent / "scripts" / "examples"
FILES = [EXAMPLES / "legacy_relational.json", EXAMPLES / "legacy_sessions.json"]


async def snapshot(db):
    async def rows(coll, key):
        return {
            key(d): {k: v for k, v in d.items() if k not in ("_id", "applied_ids", "guard_ids")}
            async for d in coll.find({})
        }

    return {
        "users": await rows(db.users, lambda d: d["_id"]),
        "sessions": await rows(db.sessions, lambda d: d["_id"]),
        "messages": await rows(db.messages, lambda d: d["_id"]),
        "error_stats": await rows(
            db.error_stats, lambda d: (d["user_id"], d["category"], d["subcategory"])
        ),
        "cost_daily": await rows(
            db.cost_daily, lambda d: (d["date"], d["provider"], d["model"], d["user_id"])
        ),
        "cost_totals": await rows(db.cost_totals, lambda d: d["_id"]),
    }


async def test_import_is_idempotent_and_reports_bad_records(api):
    db = api.services.db
    first = await import_files(db, FILES, 14.0)
    assert first.inserted["messages"] == 3 + 5 and first.inserted["sessions"] == 2 + 2
    positions = [pos for pos, _ in first.skipped]
    assert positions == [
        "legacy_relational.json: users[2]",
        "legacy_relational.json: conversations[2]",
        "legacy_relational.json: errors[4]",
        "legacy_relational.json: utterances[3]",
        "legacy_sessions.json: [2]",
        "legacy_sessions.json: [3]",
    ]
    reasons = dict(first.skipped)
    assert reasons["legacy_relational.json: users[2]"] == "missing field 'email'"
    assert "unknown user_id" in reasons["legacy_relational.json: conversations[2]"]
    before = await snapshot(db)
    second = await import_files(db, FILES, 14.0)
    assert sum(second.inserted.values()) == 0
    assert await snapshot(db) == before  # nothing imported twice, derived data identical


async def test_imported_history_is_served_by_the_api(api):
    db = api.services.db
    await import_files(db, FILES, 14.0)
    anant = await db.users.find_one({"email": "anant.doe@example.com"})
    assert anant["_id"] == legacy_id("user", "01485c6d-e5a9-4050-903e-bafb49b19014")
    assert anant["name"] == "anant" and anant["total_sessions"] == 2  # one per format
    stats = {
        (d["category"], d["subcategory"]): d["count"]
        async for d in db.error_stats.find({"user_id": anant["_id"]})
    }
    assert stats == {
        ("Grammar", "Subject-Verb Agreement"): 2,
        ("Grammar", "Pronouns"): 1,
        ("Grammar", "Verb Tense"): 1,
    }
    session = await db.sessions.find_one({"_id": legacy_id("history-session", "hist-0001")})
    assert session["total_messages"] == 3 and session["response_time_count"] == 1
    assert session["ended_at"] == datetime(2025, 1, 5, 19, 15, tzinfo=UTC)
    assert session["legacy"] == {"source": "mobile", "notes": "first session after the app update"}
    newcomer = await db.users.find_one({"email": "new.learner@example.com"})
    assert newcomer is not None and newcomer["role"] == "user"
    row = await db.cost_daily.find_one({"user_id": newcomer["_id"]})
    assert row["cost"] == pytest.approx(
        load_pricing().cost("anthropic", "claude-sonnet-4", 500, 40)
    )
    _, admin = await api.admin()
    body = await api.data(
        "query($id: ID!) { user(id: $id) { sessions { totalCount edges { node { messages { edges { node { content errors { subcategory } } } } } } } } }",
        {"id": anant["_id"]},
        token=admin,
    )
    assert body["user"]["sessions"]["totalCount"] == 2


async def test_rebuild_matches_the_incremental_counters(api):
    user, token = await api.user()
    sid = (
        await api.data(
            'mutation($u: ID!) { startSession(input: {userId: $u, provider: "openai"}) { id } }',
            {"u": user["_id"]},
            token=token,
        )
    )["startSession"]["id"]
    record = "mutation($in: RecordMessageInput!) { recordMessage(input: $in) { id } }"
    for i in range(12):
        if i % 3 == 2:
            body = {
                "role": "ASSISTANT",
                "content": f"a{i}",
                "model": "gpt-4o",
                "tokensIn": 100 + i,
                "tokensOut": 20,
                "responseTimeMs": 700 + i,
            }
        else:
            body = {
                "role": "USER",
                "content": f"u{i}",
                "errors": [{"category": "Grammar", "subcategory": ["Articles", "Plurals"][i % 2]}],
            }
        message = {"sessionId": sid, **body}
        await api.data(record, {"in": message}, token=await api.writer(token, message))
    db = api.services.db
    incremental = await snapshot(db)
    totals = await rebuild_all(
        db, api.services.settings.error_half_life_days, batch=1, progress=False
    )
    rebuilt = await snapshot(db)
    assert totals["users"] == 1 and totals["sessions"] == 1
    for name in ("sessions", "users", "cost_daily", "cost_totals", "messages"):
        assert rebuilt[name].keys() == incremental[name].keys(), name
        for key, doc in incremental[name].items():
            for field, value in doc.items():
                if isinstance(value, float):
                    assert rebuilt[name][key][field] == pytest.approx(value), (name, key, field)
                else:
                    assert rebuilt[name][key][field] == value, (name, key, field)
    assert rebuilt["error_stats"].keys() == incremental["error_stats"].keys()
    for key, doc in incremental["error_stats"].items():
        again = rebuilt["error_stats"][key]
        assert again["count"] == doc["count"] and again["first_seen"] == doc["first_seen"]
        assert again["last_seen"] == doc["last_seen"]
        assert again["decay_sum"] == pytest.approx(doc["decay_sum"], rel=1e-9)


async def test_export_streams_json_and_csv(api, tmp_path):
    db = api.services.db
    await import_files(db, FILES, 14.0)
    user = await find_user(db, "Anant.Doe@example.com", None)
    assert user is not None
    # A long history, past the export's batch size.
    sid = legacy_id("history-session", "hist-0001")
    await db.messages.insert_many(
        [
            {
                "_id": f"bulk-{i:04d}",
                "session_id": sid,
                "user_id": user["_id"],
                "role": "user",
                "content": f'line {i}, with "quotes"',
                "timestamp": datetime(2025, 2, 1, tzinfo=UTC),
                "errors": [],
                "applied": True,
            }
            for i in range(1200)
        ]
    )
    out = io.StringIO()
    counts = await export_json(db, user, out, 14.0, datetime.now(UTC))
    data = json.loads(out.getvalue())
    assert counts == {"sessions": 2, "messages": 1205, "error_stats": 3}
    assert data["user"]["email"] == "anant.doe@example.com" and len(data["messages"]) == 1205
    stamps = [m["timestamp"] for m in data["messages"]]
    assert stamps == sorted(stamps)
    assert {s["subcategory"] for s in data["error_stats"]} == {
        "Subject-Verb Agreement",
        "Pronouns",
        "Verb Tense",
    }
    counts = await export_csv(db, user, tmp_path, 14.0, datetime.now(UTC))
    with (tmp_path / "messages.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 1205 and rows[-1]["content"].startswith("line ")
    assert (
        json.loads(next(r for r in rows if r["errors"] != "[]")["errors"])[0]["category"]
        == "Grammar"
    )
    with (tmp_path / "sessions.csv").open(encoding="utf-8") as f:
        assert len(list(csv.DictReader(f))) == 2


# Found by a frontend team: a script facing an unreachable MongoDB printed a 68-line
# ServerSelectionTimeoutError traceback; the gateway says one line.
@pytest.mark.parametrize(
    "argv",
    [
        ["scripts.init_db"],
        ["scripts.issue_token", "--email", "a@example.com"],
        ["scripts.seed", "--users", "1"],
        ["scripts.rebuild_stats"],
        ["scripts.export", "--email", "a@example.com"],
    ],
    ids=lambda argv: argv[0],
)
@pytest.mark.slow
def test_scripts_facing_an_unreachable_mongodb_say_one_line(argv):
    import os
    import subprocess
    import sys

    from tests.servers import ROOT, free_port

    env = {
        **os.environ,
        "MONGO_URI": f"mongodb://127.0.0.1:{free_port()}/?directConnection=true",
        "MONGO_TIMEOUT_MS": "300",
        "JWT_SECRET": "s" * 40,
    }
    done = subprocess.run(
        [sys.executable, "-m", *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 3, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "MongoDB is unreachable" in lines[0], done.stderr
    assert "Traceback" not in done.stderr


async def test_imported_usage_is_named_and_bounded_like_recorded_usage(api, tmp_path):
    """An export spelling "OpenAI" / "GPT-4o-mini" was stored as sent, and its costs too:
    costReport showed one model in three byModel buckets ("OpenAI/GPT-4o-mini" 0.5,
    "openai/gpt-4o-mini" 0.25, "OpenAI/gpt-4o-mini" -0.4) and a totalCost of 0.35 for 0.75
    spent, the reply with a cost of -0.4 taking that off the bill; a cost written as text
    ("0.1") stopped the whole import with a TypeError. Names are now stored as recordMessage
    stores them, and a cost recordMessage would refuse skips its message, with the reason."""
    from tests.test_costs import REPORT, assistant

    day = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    stamp = day.isoformat().replace("+00:00", "Z")
    history = [
        {
            "session_id": "hist-case",
            "user_email": "case@example.com",
            "start_time": stamp,
            "provider": "OpenAI",
            "messages": [
                {"role": "user", "text": "Hello.", "timestamp": stamp},
                {"role": "assistant", "text": "Hi!", "timestamp": stamp, "model": "GPT-4o-mini"}
                | {"tokens_in": 100, "tokens_out": 50, "cost": 0.5},
                {"role": "assistant", "text": "Refund?", "timestamp": stamp, "model": "gpt-4o-mini"}
                | {"tokens_in": 10, "tokens_out": 10, "cost": -0.4},
                {"role": "assistant", "text": "Text?", "timestamp": stamp, "model": "gpt-4o-mini"}
                | {"tokens_in": 10, "tokens_out": 10, "cost": "0.1"},
            ],
        }
    ]
    path = tmp_path / "history.json"
    path.write_text(json.dumps(history))
    db = api.services.db
    user, _ = await api.user()
    _, admin = await api.admin()
    await assistant(api, user["_id"], day, 0.25, provider="openai", model="gpt-4o-mini")
    report = await import_files(db, [path], 14.0)
    assert [pos for pos, _ in report.skipped] == [
        "history.json: [0].messages[2]",
        "history.json: [0].messages[3]",
    ]
    assert "cost" in dict(report.skipped)["history.json: [0].messages[2]"]
    got = (await api.data(REPORT, {}, token=admin))["costReport"]
    assert [(b["key"], b["cost"], b["requests"]) for b in got["byModel"]] == [
        ("openai/gpt-4o-mini", pytest.approx(0.75), 2)
    ]
    assert got["totalCost"] == pytest.approx(0.75)
    session = await db.sessions.find_one({"_id": legacy_id("history-session", "hist-case")})
    assert session["provider"] == "openai"
