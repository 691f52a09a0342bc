"""Bulk test data written straight to the database (for pagination and round-trip tests)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any


def _id() -> str:
    return str(uuid.uuid4())


async def conversations(
    db: Any, users: int, sessions: int, messages: int, tier: str = "free"
) -> list[str]:
    base = datetime(2026, 1, 1, tzinfo=UTC)
    user_ids = []
    user_docs, session_docs, message_docs = [], [], []
    for u in range(users):
        uid = _id()
        user_ids.append(uid)
        user_docs.append(
            {
                "_id": uid,
                "email": f"bulk{u}-{uid[:6]}@example.com",
                "name": f"Bulk {u}",
                "role": "user",
                "subscription_tier": tier,
                "level": "B1",
                "created_at": base + timedelta(minutes=u),
                "total_sessions": sessions,
                "streak_days": 0,
            }
        )
        for s in range(sessions):
            sid = _id()
            started = base + timedelta(days=s, minutes=u)
            session_docs.append(
                {
                    "_id": sid,
                    "user_id": uid,
                    "started_at": started,
                    "status": "completed",
                    "topic": f"topic {s}",
                    "provider": "openai",
                    "total_messages": messages,
                    "total_tokens": 0,
                    "total_cost": 0.0,
                    "response_time_sum_ms": 0,
                    "response_time_count": 0,
                }
            )
            for m in range(messages):
                message_docs.append(
                    {
                        "_id": _id(),
                        "session_id": sid,
                        "user_id": uid,
                        "role": "user" if m % 2 == 0 else "assistant",
                        "content": f"message {m}",
                        "timestamp": started + timedelta(seconds=m),
                        "errors": [],
                        "applied": True,
                    }
                )
    await db.users.insert_many(user_docs)
    if session_docs:
        await db.sessions.insert_many(session_docs)
    if message_docs:
        await db.messages.insert_many(message_docs)
    return user_ids


async def pending_exercise(db: Any, user_id: str, item: Any) -> dict[str, Any]:
    """A bank item (resolvers.practice.bank.BankItem) given to a learner, waiting for an
    answer, as generation stores it."""
    doc = {
        "_id": _id(),
        "user_id": user_id,
        "language": item.language,
        "category": item.category,
        "subcategory": item.subcategory,
        "type": item.type,
        "difficulty": item.difficulty,
        "prompt": item.prompt,
        "choices": list(item.choices),
        "answer": item.answer,
        "accepted_answers": list(item.accepted),
        "explanation": item.explanation,
        "status": "pending",
        "attempts": 0,
        "hints_used": 0,
        "created_at": datetime.now(UTC),
    }
    await db.exercises.insert_one(doc)
    return doc


def finished_exercise(
    user_id: str, at: datetime, correct: bool, sub: str = "Articles", **extra: Any
) -> dict[str, Any]:
    """An answered exercise as submitExercise leaves it: for skills, progress and difficulty."""
    return {
        "_id": _id(),
        "user_id": user_id,
        "language": "English",
        "category": "Grammar",
        "subcategory": sub,
        "type": "multiple_choice",
        "difficulty": 3,
        "prompt": "p",
        "answer": "a",
        "status": "completed",
        "outcome": "correct" if correct else "incorrect",
        "correct": correct,
        "attempts": 1,
        "hints_used": 0,
        "created_at": at,
        "completed_at": at,
        **extra,
    }
