"""generateExercise: plan targets from the learner's stats, ask the generator, store."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from models.documents import ExerciseDoc, utcnow
from models.rows import Row
from resolvers.context import RequestContext
from resolvers.errors import BadUserInput, NotFound
from resolvers.exercises import category_name
from resolvers.permissions import subject_user
from resolvers.practice.generator import (
    GenerationRequest,
    OwnSentence,
    load_generator,
    plan,
    recent_cutoff,
)
from resolvers.practice.skills import load_evidence, skills_from
from resolvers.practice.stats import StatsKey
from resolvers.taxonomy import normalize_language, taxonomy_for

MAX_COUNT = 20
OWN_SENTENCES_SCANNED = 200


def _category(value: str | None) -> str | None:
    return None if value is None else category_name(value)


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
    ctx: RequestContext, user_id: str | None, count: int | None, category: str | None
) -> list[Row]:
    uid = subject_user(ctx, user_id)
    n = 1 if count is None else count
    if not 1 <= n <= MAX_COUNT:
        raise BadUserInput(f"'count' must be between 1 and {MAX_COUNT}.", field="count")
    wanted = _category(category)
    user = await ctx.loaders.user.load(uid)
    if user is None:
        raise NotFound("User not found.")
    docs = await draft_exercises(ctx, user, n, wanted, utcnow())
    if docs:
        await ctx.db.exercises.insert_many(docs)
    return [Row(d) for d in docs]


def target_language(user: Row) -> str:
    """The language exercises are written in: the learner's target, English by default."""
    return normalize_language(user.get("target_language")) or "English"


async def draft_exercises(
    ctx: RequestContext,
    user: Row,
    n: int,
    category: str | None,
    now: datetime,
    weakest_first: bool = False,
    daily: str | None = None,
) -> list[dict[str, Any]]:
    """Exercise documents for `user`, not yet stored. `daily` (a local date) also seeds the
    difficulty picks, so the same day's plan is the same plan."""
    user_id = user["_id"]
    stats, recent, own, evidence = await asyncio.gather(
        ctx.loaders.error_stats.load(StatsKey(user_id)),
        _recent(ctx, user_id),
        _own_sentences(ctx, user_id),
        load_evidence(ctx.db, user_id, now),
    )
    level = user.get("level")
    abilities = {(s.category, s.subcategory): s.ability for s in skills_from(evidence, level, now)}
    seed = f"{user_id}:{daily or now.isoformat()}"
    language = target_language(user)
    slots = plan(
        stats, recent, level, n, category, abilities, seed, weakest_first, language=language
    )
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
            level=level,
            slots=slots,
            recently_seen=seen,
            own_sentences=own,
            language=language,
        )
    )
    docs = []
    taxonomy = taxonomy_for(language)
    for d in drafts[:n]:
        if d.subcategory not in taxonomy.get(d.category, ()):
            continue  # a plug-in generator must stay within the taxonomy
        docs.append(
            ExerciseDoc(
                user_id=user_id,
                language=language,
                daily=daily,
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
    return docs
