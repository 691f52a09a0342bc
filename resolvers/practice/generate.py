"""generateExercise: plan targets from the learner's stats, ask the generator, store."""

from __future__ import annotations

import asyncio
from typing import Any

from models.documents import ExerciseDoc
from models.rows import Row
from resolvers import validation as v
from resolvers.context import RequestContext
from resolvers.errors import BadUserInput, NotFound
from resolvers.permissions import ensure_user_access
from resolvers.practice.generator import (
    GenerationRequest,
    OwnSentence,
    load_generator,
    plan,
    recent_cutoff,
)
from resolvers.practice.stats import StatsKey
from resolvers.taxonomy import CATEGORIES, TAXONOMY

MAX_COUNT = 20
OWN_SENTENCES_SCANNED = 200


def _category(value: str | None) -> str | None:
    if value is None:
        return None
    for name in CATEGORIES:
        if name.casefold() == value.strip().casefold():
            return name
    raise BadUserInput(
        f"Unknown category {value!r}. Valid categories: {', '.join(CATEGORIES)}.",
        field="category",
        validCategories=list(CATEGORIES),
    )


async def _own_sentences(
    ctx: RequestContext, user_id: str
) -> dict[tuple[str, str], list[OwnSentence]]:
    """The learner's recent corrected utterances, newest first (uses user_id+timestamp)."""
    cursor = ctx.db.messages.find(
        {"user_id": user_id, "role": "user", "errors.correction": {"$exists": True}},
        {"content": 1, "errors": 1},
    )
    found: dict[tuple[str, str], list[OwnSentence]] = {}
    async for doc in cursor.sort([("timestamp", -1)]).limit(OWN_SENTENCES_SCANNED):
        for err in doc.get("errors") or []:
            excerpt, correction = err.get("excerpt"), err.get("correction")
            if excerpt and correction and excerpt in doc["content"] and excerpt != correction:
                found.setdefault((err["category"], err["subcategory"]), []).append(
                    OwnSentence(
                        doc["_id"], doc["content"], excerpt, correction, err.get("explanation")
                    )
                )
    return found


async def _recent(ctx: RequestContext, user_id: str) -> list[dict[str, Any]]:
    cursor = ctx.db.exercises.find(
        {"user_id": user_id, "created_at": {"$gte": recent_cutoff()}},
        {"bank_id": 1, "category": 1, "subcategory": 1, "status": 1, "correct": 1, "created_at": 1},
    )
    return [d async for d in cursor.sort([("created_at", -1)]).limit(500)]


async def generate_exercises(
    ctx: RequestContext, user_id: str, count: int | None, category: str | None
) -> list[Row]:
    ensure_user_access(ctx, v.plain_id(user_id, "userId"))
    n = 1 if count is None else count
    if not 1 <= n <= MAX_COUNT:
        raise BadUserInput(f"'count' must be between 1 and {MAX_COUNT}.", field="count")
    wanted = _category(category)
    user = await ctx.loaders.user.load(user_id)
    if user is None:
        raise NotFound("User not found.")
    stats, recent, own = await asyncio.gather(
        ctx.loaders.error_stats.load(StatsKey(user_id)),
        _recent(ctx, user_id),
        _own_sentences(ctx, user_id),
    )
    slots = plan(stats, recent, user.get("level"), n, wanted)
    seen: dict[str, Any] = {}
    for e in recent:  # newest first: keep the latest time each item was given
        if e.get("bank_id"):
            seen.setdefault(e["bank_id"], e["created_at"])
    generator = ctx.extras.get("exercise_generator") or load_generator(
        ctx.settings.exercise_generator
    )
    ctx.extras["exercise_generator"] = generator
    drafts = await generator.generate(
        GenerationRequest(
            user_id=user_id,
            level=user.get("level"),
            slots=slots,
            recently_seen=seen,
            own_sentences=own,
        )
    )
    docs = []
    for d in drafts[:n]:
        if d.subcategory not in TAXONOMY.get(d.category, ()):
            continue  # a plug-in generator must stay within the taxonomy
        docs.append(
            ExerciseDoc(
                user_id=user_id,
                category=d.category,
                subcategory=d.subcategory,
                type=d.type,
                difficulty=max(1, min(5, d.difficulty)),
                prompt=d.prompt,
                choices=d.choices,
                answer=d.answer,
                accepted_answers=d.accepted_answers,
                explanation=d.explanation,
                hints=d.hints,
                source=d.source,
                bank_id=d.bank_id,
            ).to_mongo()
        )
    if docs:
        await ctx.db.exercises.insert_many(docs)
    return [Row(d) for d in docs]
