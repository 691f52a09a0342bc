"""The benchmark's data set, identical for every variant (deterministic)."""

from __future__ import annotations

import os
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.auth import issue_token
from gateway.settings import Settings
from models.db import Database
from resolvers.rebuild import rebuild_cost_daily, rebuild_cost_totals, rebuild_error_stats
from resolvers.taxonomy import PAIRS

W1_USERS, W1_SESSIONS, W1_MESSAGES = 50, 10, 20
W2_MESSAGES = 10_000
W3_WRITERS = 20  # premium: 1000 requests/min each
# free: 60 requests/min each, so 90,000/min in all: the gateway answers W4 at ~4,000/s over
# HTTP now, and 300 callers (18,000/min) ran out within the 12 s run, so most answers
# were 429s and the req/s figure measured refusals.
W4_CALLERS = 1500


def bench_now() -> datetime:
    """The seed's clock: BENCH_NOW (ISO 8601) when set, so servers seeded in separate
    processes hold the same rows to the millisecond and their answers can be compared
    (bench --http-quick); else now, cut to BSON's millisecond."""
    fixed = os.environ.get("BENCH_NOW")
    now = datetime.fromisoformat(fixed) if fixed else datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _user(rng: random.Random, i: int, tier: str = "premium", role: str = "user") -> dict[str, Any]:
    return {
        "_id": _uid(rng),
        "email": f"bench{i}@example.com",
        "name": f"Bench {i}",
        "role": role,
        "subscription_tier": tier,
        "level": "B1",
        "target_language": "English",
        "created_at": datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=i),
        "total_sessions": 0,
        "streak_days": 0,
    }


def _conversation(
    rng: random.Random, user_id: str, start: datetime, n: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    sid = _uid(rng)
    msgs = []
    for m in range(n):
        user_turn = m % 2 == 0
        errors = []
        if user_turn and rng.random() < 0.5:
            cat, sub = rng.choice(PAIRS)
            errors = [{"category": cat, "subcategory": sub, "excerpt": "x", "correction": "y"}]
        msgs.append(
            {
                "_id": _uid(rng),
                "session_id": sid,
                "user_id": user_id,
                "role": "user" if user_turn else "assistant",
                "content": f"{'learner' if user_turn else 'tutor'} message {m} "
                + "lorem ipsum " * 6,
                "timestamp": start + timedelta(seconds=30 * m),
                "errors": errors,
                "applied": True,
                **(
                    {}
                    if user_turn
                    else {
                        "provider": "openai",
                        "model": "gpt-4o-mini",
                        "tokens_in": 300,
                        "tokens_out": 80,
                        "cost": 0.0001,
                        "response_time_ms": 900,
                    }
                ),
            }
        )
    session = {
        "_id": sid,
        "user_id": user_id,
        "started_at": start,
        "status": "completed",
        "topic": "Travel",
        "provider": "openai",
        "total_messages": n,
        "total_tokens": 0,
        "total_cost": 0.0,
        "response_time_sum_ms": 0,
        "response_time_count": 0,
    }
    return session, msgs


async def seed_bench(
    db: Database, settings: Settings, small: bool = False, heavy_learner: bool = True
) -> dict[str, Any]:
    """small: W1's shape with one message per session and no 10,000-message learner, so
    the naive per-item resolvers finish on the embedded database (whose every aggregation
    copies the whole collection). heavy_learner=False leaves out W2's 10,000 messages
    (the CPU comparison does not run W2)."""
    rng = random.Random(1234)
    now = bench_now()
    users, sessions, messages = [], [], []
    admin = _user(rng, 0, role="admin")
    users.append(admin)
    for i in range(1, W1_USERS + 1):
        u = _user(rng, i, tier=rng.choice(["free", "pro", "premium"]))
        # The newest accounts, so `users(first: 50)` is exactly these 50.
        u["created_at"] = datetime(2026, 6, 1, tzinfo=UTC) + timedelta(minutes=i)
        users.append(u)
        for s in range(W1_SESSIONS):
            sess, msgs = _conversation(
                rng, u["_id"], now - timedelta(days=30 - s), 1 if small else W1_MESSAGES
            )
            sessions.append(sess)
            messages += msgs
    heavy = _user(rng, 1000)
    users.append(heavy)
    for s in range(0 if small or not heavy_learner else W2_MESSAGES // 100):
        sess, msgs = _conversation(rng, heavy["_id"], now - timedelta(days=200 - s * 2), 100)
        sessions.append(sess)
        messages += msgs
    callers = [_user(rng, 10_000 + i, tier="free") for i in range(W4_CALLERS)]
    users += callers
    writers = []
    for i in range(W3_WRITERS):
        w = _user(rng, 3000 + i)
        users.append(w)
        sess, _ = _conversation(rng, w["_id"], now, 0)
        sess["status"] = "active"
        sessions.append(sess)
        writers.append({"token": issue_token(settings, w["_id"]), "session_id": sess["_id"]})
    await db.users.insert_many(users)
    await db.sessions.insert_many(sessions)
    for i in range(0, len(messages), 5000):
        await db.messages.insert_many(messages[i : i + 5000])
    await rebuild_error_stats(db, settings.error_half_life_days)
    await rebuild_cost_daily(db)
    await rebuild_cost_totals(db)
    return {
        "admin_token": issue_token(settings, admin["_id"]),
        "heavy_id": heavy["_id"],
        "heavy_token": issue_token(settings, heavy["_id"]),
        "caller_tokens": [issue_token(settings, c["_id"]) for c in callers],
        # mid's callers: the W1 learners (10 sessions of 20 messages each).
        "learner_tokens": [issue_token(settings, u["_id"]) for u in users[1 : W1_USERS + 1]],
        "writers": writers,
        # W3 records a learner's utterance with its errors: the tutor service's write
        # (docs/api-clients.md), with a tutor-scoped token.
        "tutor_token": issue_token(settings, "bench-tutor", scope="tutor"),
        "counts": {"users": len(users), "sessions": len(sessions), "messages": len(messages)},
    }
