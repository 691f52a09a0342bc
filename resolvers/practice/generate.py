"""generateExercise: plan targets from the learner's stats, ask the generator, store."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from models.documents import ExerciseDoc, utcnow
from models.rows import Row
from resolvers.context import RequestContext
from resolvers.errors import BadUserInput, NotFound
from resolvers.exercises import category_name
from resolvers.permissions import subject_user
from resolvers.practice.generator import (
    ExerciseDraft,
    GenerationRequest,
    OwnSentence,
    Slot,
    load_generator,
    native_code,
    neighbour_targets,
    own_sentence,
    own_sentence_text,
    plan,
    recent_cutoff,
    sentence_key,
    slots_for,
    variety_of,
)
from resolvers.practice.skills import load_evidence, skills_from
from resolvers.practice.stats import StatsKey
from resolvers.taxonomy import normalize_language, target_language, taxonomy_for

MAX_COUNT = 20
OWN_SENTENCES_SCANNED = 200
# Unanswered new exercises do not pile up: older than this they expire (status EXPIRED,
# no evidence either way), and beyond MAX_PENDING open ones the oldest expire first.
# A pending review never expires: it is its skill's next review.
PENDING_TTL_DAYS = 7
MAX_PENDING = 20


def _category(value: str | None) -> str | None:
    return None if value is None else category_name(value)


async def _own_sentences(
    ctx: RequestContext, user_id: str, language: str, recent: list[dict[str, Any]]
) -> dict[tuple[str, str], list[OwnSentence]]:
    """The learner's recent corrected utterances in `language`, newest first, one per
    sentence carrying every correction found in it (uses user_id+timestamp), filed under
    each of the skills it practises. A sentence given in the last 30 days (`recent`) is left
    out whichever message it came from: a learner who says the same thing twice has one
    sentence, not two exercises."""
    cursor = ctx.db.messages.find(
        {"user_id": user_id, "role": "user", "errors.correction": {"$exists": True}},
        {"content": 1, "errors": 1, "language": 1},
    )
    given = {
        own_sentence_text(e.get("prompt") or "")
        for e in recent
        if e.get("source") == "own_sentence"
    }
    found: dict[tuple[str, str], list[OwnSentence]] = {}
    async for doc in cursor.sort([("timestamp", -1)]).limit(OWN_SENTENCES_SCANNED):
        # A sentence keeps the language it was written in; one from before the learner
        # switched target language, or with no language recorded (older and seeded
        # messages), is not practice in this one.
        if normalize_language(doc.get("language")) != language:
            continue
        sentence = own_sentence(doc["_id"], doc["content"], doc.get("errors") or [])
        if sentence is None or sentence_key(sentence.content) in given:
            continue
        given.add(sentence_key(sentence.content))
        for pair in dict.fromkeys((c.category, c.subcategory) for c in sentence.corrections):
            found.setdefault(pair, []).append(sentence)
    return found


async def _recent(ctx: RequestContext, user_id: str) -> list[dict[str, Any]]:
    cursor = ctx.db.exercises.find(
        {"user_id": user_id, "created_at": {"$gte": recent_cutoff()}},
        {
            "bank_id": 1,
            "category": 1,
            "subcategory": 1,
            "status": 1,
            "correct": 1,
            "created_at": 1,
            "source": 1,
            "prompt": 1,
        },
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
    now = utcnow()
    await expire_stale(ctx, uid, now, room_for=n)
    docs = await draft_exercises(ctx, user, n, wanted, now)
    if docs:
        await ctx.db.exercises.insert_many(docs)
    return [Row(d) for d in docs]


async def expire_stale(ctx: RequestContext, user_id: str, now: datetime, room_for: int) -> None:
    """Expire the learner's new exercises left pending past PENDING_TTL_DAYS, and the
    oldest beyond MAX_PENDING - room_for (those made in the last day excepted)."""
    new_pending = {"user_id": user_id, "status": "pending", "review_of": None}
    expire = {"$set": {"status": "expired", "completed_at": now}}
    await ctx.db.exercises.update_many(
        {**new_pending, "created_at": {"$lt": now - timedelta(days=PENDING_TTL_DAYS)}}, expire
    )
    keep = max(0, MAX_PENDING - room_for)
    cursor = ctx.db.exercises.find(
        {**new_pending, "created_at": {"$lt": now - timedelta(days=1)}}, {"_id": 1}
    )
    older = [
        d["_id"] async for d in cursor.sort([("created_at", -1)]).skip(keep).limit(MAX_PENDING)
    ]
    if older:
        await ctx.db.exercises.update_many({**new_pending, "_id": {"$in": older}}, expire)


async def draft_exercises(
    ctx: RequestContext,
    user: Row,
    n: int,
    category: str | None,
    now: datetime,
    weakest_first: bool = False,
    daily: str | None = None,
    avoid: frozenset[tuple[str, str]] = frozenset(),
) -> list[dict[str, Any]]:
    """Exercise documents for `user`, not yet stored. `daily` (a local date) also seeds the
    difficulty picks, so the same day's plan is the same plan. `avoid`: (category,
    subcategory) pairs to draw nothing from while others are left."""
    user_id = user["_id"]
    language = target_language(user)
    stats, recent, evidence = await asyncio.gather(
        ctx.loaders.error_stats.load(StatsKey(user_id)),
        _recent(ctx, user_id),
        # Abilities in this language: difficulty and weakest-first follow how the learner
        # does in what they practise now, not in a language they left.
        load_evidence(ctx.db, user_id, now, language),
    )
    own = await _own_sentences(ctx, user_id, language, recent)
    level = user.get("level")
    abilities = {(s.category, s.subcategory): s.ability for s in skills_from(evidence, level, now)}
    seed = f"{user_id}:{daily or now.isoformat()}"
    slots = plan(
        stats,
        recent,
        level,
        n,
        category,
        abilities,
        seed,
        weakest_first,
        language=language,
        avoid=avoid,
    )
    seen: dict[str, Any] = {}
    for e in recent:  # newest first: keep the latest time each item was given
        if e.get("bank_id"):
            seen.setdefault(e["bank_id"], e["created_at"])
    generator = ctx.extras.get("exercise_generator") or load_generator(
        ctx.settings.exercise_generator
    )
    ctx.extras["exercise_generator"] = generator
    taxonomy = taxonomy_for(language)

    async def draw(slots: list[Slot], seen: dict[str, Any], repeats: bool) -> list[ExerciseDraft]:
        drafts = await generator.generate(
            GenerationRequest(
                user_id=user_id,
                level=level,
                slots=slots,
                recently_seen=seen,
                own_sentences=own,
                language=language,
                allow_repeats=repeats,
                variety=variety_of(language, user.get("target_language"), user.get("time_zone")),
                native_language=native_code(user.get("native_language")),
            )
        )
        # a plug-in generator must stay within the taxonomy
        return [d for d in drafts if d.subcategory in taxonomy.get(d.category, ())]

    drafts = (await draw(slots, seen, False))[:n]
    if len(drafts) < n:
        # The targets ran out of fresh items: fill from neighbouring skills, and repeat
        # items (oldest first) only when those have nothing fresh either.
        used = {(s.target.category, s.target.subcategory) for s in slots} | avoid
        given = {**seen, **{d.bank_id: now for d in drafts}}
        extra = neighbour_targets(used, category, level, language)
        more = slots_for(extra, n - len(drafts), abilities, level, seed)
        drafts += (await draw(more, given, False))[: n - len(drafts)]
    if len(drafts) < n:
        given = {d.bank_id: now for d in drafts}
        again = await draw(slots, {**seen, **given}, True)
        drafts += [d for d in again if d.bank_id not in given][: n - len(drafts)]
    docs = []
    taxonomy = taxonomy_for(language)
    for d in drafts[:n]:
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
                corrections=d.corrections,
            ).to_mongo()
        )
    return docs
