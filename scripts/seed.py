"""Seed realistic demo data: learners across tiers and levels, sessions and conversations.

    python -m scripts.seed --users 200 --seed 7          # against MONGO_URI / MONGO_DB
Deterministic for a given --seed. Learner messages carry errors from the taxonomy, biased
towards each learner's own weak spots; assistant replies carry provider, model, tokens,
cost and latency. error_stats and cost_daily are derived from the messages afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from tqdm import tqdm

from models.db import Database, connect
from models.enums import CEFR_LEVELS
from resolvers.pricing import load_pricing
from resolvers.rebuild import (
    rebuild_cost_daily,
    rebuild_cost_dims,
    rebuild_cost_totals,
    rebuild_error_stats,
    rebuild_provider_daily,
)
from scripts.demo_corpus import (
    CLEAN_SENTENCES,
    CORRECTION_REPLY,
    ERROR_SENTENCES,
    FIRST_NAMES,
    LAST_NAMES,
    MODELS,
    NATIVE_LANGUAGES,
    TOPICS,
    TUTOR_REPLIES,
)

ERROR_RATE_BY_LEVEL = {"A1": 0.75, "A2": 0.6, "B1": 0.45, "B2": 0.35, "C1": 0.2, "C2": 0.1}
ADMIN_EMAIL = "admin@example.com"


@dataclass
class SeedSummary:
    admin_id: str = ""
    admin_email: str = ADMIN_EMAIL
    learner_id: str = ""
    learner_email: str = ""
    counts: dict[str, int] = field(default_factory=dict)


def _id(rng: random.Random) -> str:
    return str(UUID(int=rng.getrandbits(128), version=4))


def _user(rng: random.Random, i: int, now: datetime) -> dict[str, Any]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    return {
        "_id": _id(rng),
        "email": f"{first}.{last}.{i}@example.com".lower(),
        "name": f"{first} {last}",
        "role": "user",
        "subscription_tier": rng.choices(["free", "pro", "premium"], [0.6, 0.3, 0.1])[0],
        "native_language": rng.choice(NATIVE_LANGUAGES),
        "target_language": "English",
        "level": rng.choice(CEFR_LEVELS),
        "learning_preferences": {"topics": rng.sample(TOPICS, 2)},
        "created_at": now - timedelta(days=rng.randint(30, 365), minutes=i),
        "total_sessions": 0,
        "streak_days": 0,
    }


def _conversation(
    rng: random.Random, user: dict[str, Any], session: dict[str, Any], pricing: Any
) -> list[dict[str, Any]]:
    pairs = list(ERROR_SENTENCES)
    weak = user["_weak"]
    error_rate = ERROR_RATE_BY_LEVEL[user["level"]]
    provider, model = session["provider"], session["_model"]
    ts: datetime = session["started_at"]
    messages: list[dict[str, Any]] = []
    for _turn in range(rng.randint(3, 12)):
        ts += timedelta(seconds=rng.randint(20, 120))
        errors = []
        if rng.random() < error_rate:
            target = rng.choice(weak) if rng.random() < 0.7 else rng.choice(pairs)
            sentence, excerpt, correction, explanation = rng.choice(ERROR_SENTENCES[target])
            errors.append(
                {
                    "category": target[0],
                    "subcategory": target[1],
                    "excerpt": excerpt,
                    "correction": correction,
                    "explanation": explanation,
                }
            )
            if rng.random() < 0.2:  # a second slip in the same utterance
                other = rng.choice(pairs)
                _s, ex2, co2, expl2 = rng.choice(ERROR_SENTENCES[other])
                errors.append(
                    {
                        "category": other[0],
                        "subcategory": other[1],
                        "excerpt": ex2,
                        "correction": co2,
                        "explanation": expl2,
                    }
                )
        else:
            sentence = rng.choice(CLEAN_SENTENCES)
        messages.append(_message(rng, session, "user", sentence, ts, errors=errors))
        ts += timedelta(milliseconds=rng.randint(400, 4000))
        latency = int(rng.lognormvariate(7.0, 0.5))
        tokens_in, tokens_out = rng.randint(150, 1200), rng.randint(40, 400)
        reply = CORRECTION_REPLY.format(**errors[0]) if errors else rng.choice(TUTOR_REPLIES)
        messages.append(
            _message(
                rng,
                session,
                "assistant",
                reply,
                ts,
                provider=provider,
                model=model,
                tokens_in=tokens_in,
                tokens_out=tokens_out,
                response_time_ms=latency,
                cost=pricing.cost(provider, model, tokens_in, tokens_out),
            )
        )
    return messages


def _message(
    rng: random.Random, session: dict[str, Any], role: str, content: str, ts: datetime, **extra: Any
) -> dict[str, Any]:
    return {
        "_id": _id(rng),
        "session_id": session["_id"],
        "user_id": session["user_id"],
        "role": role,
        "content": content,
        "timestamp": ts,
        "provider": extra.get("provider"),
        "model": extra.get("model"),
        "tokens_in": extra.get("tokens_in"),
        "tokens_out": extra.get("tokens_out"),
        "cost": extra.get("cost"),
        "response_time_ms": extra.get("response_time_ms"),
        "errors": extra.get("errors", []),
        "idempotency_key": None,
        "applied": True,
    }


async def seed_database(
    db: Database,
    users: int = 20,
    seed: int = 42,
    now: datetime | None = None,
    half_life_days: float = 14.0,
    progress: bool | None = None,
) -> SeedSummary:
    rng = random.Random(seed)
    now = now or datetime.now(UTC)
    pricing = load_pricing()
    summary = SeedSummary()
    admin = _user(rng, 0, now) | {
        "email": ADMIN_EMAIL,
        "name": "Demo Admin",
        "role": "admin",
        "subscription_tier": "premium",
        "level": "C2",
    }
    summary.admin_id = admin["_id"]
    admin.pop("_weak", None)
    await db.users.update_one({"email": ADMIN_EMAIL}, {"$setOnInsert": admin}, upsert=True)
    existing_admin = await db.users.find_one({"email": ADMIN_EMAIL}, {"_id": 1})
    summary.admin_id = existing_admin["_id"] if existing_admin else admin["_id"]

    totals = {"users": 0, "sessions": 0, "messages": 0}
    bar = tqdm(
        total=users,
        desc="seeding users",
        disable=not (progress if progress is not None else users >= 200),
    )
    pairs = list(ERROR_SENTENCES)
    for i in range(1, users + 1):
        user = _user(rng, i, now)
        user["_weak"] = rng.sample(pairs, 3)
        sessions, messages = [], []
        start = now - timedelta(days=rng.randint(10, 60))
        for _s in range(rng.randint(3, 10)):
            start += timedelta(days=rng.uniform(0.5, 6), minutes=rng.randint(0, 600))
            if start > now - timedelta(hours=1):
                break
            provider, model, _share = rng.choices(MODELS, [m[2] for m in MODELS])[0]
            session = {
                "_id": _id(rng),
                "user_id": user["_id"],
                "started_at": start,
                "ended_at": None,
                "topic": rng.choice(TOPICS),
                "provider": provider,
                "_model": model,
                "status": "completed",
            }
            convo = _conversation(rng, user, session, pricing)
            last = convo[-1]["timestamp"]
            timed = [m["response_time_ms"] for m in convo if m["response_time_ms"] is not None]
            session.update(
                ended_at=last + timedelta(seconds=30),
                total_messages=len(convo),
                total_tokens=sum((m["tokens_in"] or 0) + (m["tokens_out"] or 0) for m in convo),
                total_cost=round(sum(m["cost"] or 0 for m in convo), 10),
                response_time_sum_ms=sum(timed),
                response_time_count=len(timed),
            )
            session.pop("_model")
            sessions.append(session)
            messages.extend(convo)
            user["last_active"] = max(user.get("last_active") or last, last)
        if sessions and rng.random() < 0.3:  # some learners are mid-conversation right now
            sessions[-1]["status"], sessions[-1]["ended_at"] = "active", None
        user["total_sessions"] = len(sessions)
        user.pop("_weak")
        if i == 1:
            summary.learner_id, summary.learner_email = user["_id"], user["email"]
        await db.users.insert_one(user)
        if sessions:
            await db.sessions.insert_many(sessions)
        if messages:
            await db.messages.insert_many(messages)
        totals["users"] += 1
        totals["sessions"] += len(sessions)
        totals["messages"] += len(messages)
        bar.update(1)
    bar.close()
    totals["error_stats"] = await rebuild_error_stats(db, half_life_days)
    totals["cost_daily"] = await rebuild_cost_daily(db)
    totals["cost_totals"] = await rebuild_cost_totals(db)
    totals["provider_daily"] = await rebuild_provider_daily(db)
    totals["cost_dims"] = await rebuild_cost_dims(db)
    summary.counts = totals
    return summary


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
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=20, help="learners to create (default 20)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--progress", action="store_true", help="always show the progress bar")
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
