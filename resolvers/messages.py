"""recordMessage: one message and every counter derived from it.

The write is split into steps that are each safe to repeat:
1. insert the message with `applied: false`. With an idempotency key its _id is derived
   from (user, key), so a retry collides with the first attempt instead of duplicating it;
2. apply the derived counters (session totals, error_stats, cost_daily, user activity).
   Every counter document remembers the ids of the last APPLIED_IDS_KEPT messages applied
   to it and its update only matches if this message is not among them, so re-applying a
   message is a no-op per counter, whichever steps the earlier attempt completed;
3. mark the message `applied: true`.
A retry with the same key, or the start-up sweep (`complete_pending`), finishes a message
that an earlier attempt left half-applied, and never counts it twice.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, uuid4, uuid5

import structlog

from models.db import Database, DuplicateKeyError
from models.documents import LanguageErrorDoc, MessageDoc, utcnow
from models.rows import Row
from resolvers import validation as v
from resolvers.context import RequestContext
from resolvers.costs.breakdown import dims_rows
from resolvers.costs.providers import provider_key, provider_update
from resolvers.costs.rollup import Thresholds, add_to_totals
from resolvers.dataloaders import MESSAGE_HIDDEN, PageKey
from resolvers.decay import growth
from resolvers.errors import BadUserInput
from resolvers.pagination import Connection, check_first
from resolvers.pricing import load_pricing
from resolvers.sessions import get_session
from resolvers.taxonomy import TAXONOMY, canonical

log = structlog.get_logger("resolvers.messages")

APPLIED_IDS_KEPT = 200
MESSAGE_ID_NAMESPACE = uuid5(NAMESPACE_URL, "tutoring-gateway/messages")


@dataclass
class ErrorInput:
    category: str
    subcategory: str
    excerpt: str | None = None
    correction: str | None = None
    explanation: str | None = None


@dataclass
class MessageInput:
    session_id: str
    role: str
    content: str
    provider: str | None = None
    model: str | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    cost: float | None = None
    response_time_ms: int | None = None
    errors: list[ErrorInput] = field(default_factory=list)
    idempotency_key: str | None = None


def message_id(user_id: str, key: str | None) -> str:
    return str(uuid5(MESSAGE_ID_NAMESPACE, f"{user_id}\x1f{key}")) if key else str(uuid4())


def _in_taxonomy(e: ErrorInput, i: int) -> tuple[str, str]:
    """The taxonomy's spelling of an error's (category, subcategory); an unknown pair is
    refused, or it would become a top error that no exercise can ever practise."""
    category = v.text(e.category, f"errors[{i}].category", max_len=v.MAX_LABEL_CHARS, required=True)
    subcategory = v.text(
        e.subcategory, f"errors[{i}].subcategory", max_len=v.MAX_LABEL_CHARS, required=True
    )
    pair = canonical(category or "", subcategory or "")
    if pair is not None:
        return pair
    known = [c for c in TAXONOMY if c.casefold() == (category or "").casefold()]
    if not known:
        raise BadUserInput(
            f"Unknown error category {category!r}; see errorCategories for the taxonomy.",
            field=f"errors[{i}].category",
            validCategories=list(TAXONOMY),
        )
    raise BadUserInput(
        f"Unknown subcategory {subcategory!r} of {known[0]}; valid: "
        f"{', '.join(TAXONOMY[known[0]])}.",
        field=f"errors[{i}].subcategory",
        validSubcategories=list(TAXONOMY[known[0]]),
    )


def _validated_errors(errors: list[ErrorInput], role: str) -> list[dict[str, Any]]:
    if not errors:
        return []
    if role != "user":
        raise BadUserInput("Language errors belong on USER messages only.", field="errors")
    if len(errors) > v.MAX_ERRORS_PER_MESSAGE:
        raise BadUserInput(
            f"At most {v.MAX_ERRORS_PER_MESSAGE} errors per message.", field="errors"
        )
    out = []
    for i, e in enumerate(errors):
        category, subcategory = _in_taxonomy(e, i)
        out.append(
            LanguageErrorDoc(
                category=category,
                subcategory=subcategory,
                excerpt=v.text(e.excerpt, f"errors[{i}].excerpt", max_len=v.MAX_TEXT_CHARS),
                correction=v.text(
                    e.correction, f"errors[{i}].correction", max_len=v.MAX_TEXT_CHARS
                ),
                explanation=v.text(
                    e.explanation, f"errors[{i}].explanation", max_len=v.MAX_TEXT_CHARS
                ),
            ).model_dump()
        )
    return out


def build_message(
    ctx: RequestContext, data: MessageInput, session: Row, tier: str | None = None
) -> dict[str, Any]:
    content = data.content
    if not isinstance(content, str) or not content.strip():
        raise BadUserInput("'content' must not be blank.", field="content")
    if len(content) > v.MAX_CONTENT_CHARS:
        raise BadUserInput(
            f"'content' is longer than {v.MAX_CONTENT_CHARS} characters.", field="content"
        )
    tokens_in = v.non_negative_int(data.tokens_in, "tokensIn")
    tokens_out = v.non_negative_int(data.tokens_out, "tokensOut")
    cost = v.non_negative_money(data.cost, "cost")
    provider = v.text(data.provider, "provider", max_len=100) or (
        session.get("provider") if data.role == "assistant" else None
    )
    model = v.text(data.model, "model", max_len=100)
    if cost is None and data.role == "assistant" and (tokens_in or tokens_out):
        pricing = load_pricing(ctx.settings.pricing_overrides)
        cost = pricing.cost(provider, model, tokens_in or 0, tokens_out or 0)
    key = v.idempotency_key(data.idempotency_key)
    return MessageDoc(
        id=message_id(session["user_id"], key),
        session_id=session["_id"],
        user_id=session["user_id"],
        role=data.role,
        content=content,
        provider=provider,
        model=model,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        cost=cost,
        response_time_ms=v.non_negative_int(data.response_time_ms, "responseTimeMs", 3_600_000),
        errors=_validated_errors(data.errors, data.role),  # type: ignore[arg-type]
        idempotency_key=key,
        applied=False,
        topic=session.get("topic"),
        tier=tier,
    ).to_mongo()


def public(doc: dict[str, Any]) -> Row:
    return Row({k: val for k, val in doc.items() if k not in MESSAGE_HIDDEN})


async def record_message(ctx: RequestContext, data: MessageInput) -> Row:
    session = await get_session(ctx, v.plain_id(data.session_id, "sessionId"))
    if session["status"] != "active":
        raise BadUserInput("The session has ended; start a new one.", field="sessionId")
    doc = build_message(ctx, data, session, await _tier_of(ctx, session["user_id"]))
    try:
        await ctx.db.messages.insert_one(doc)
    except DuplicateKeyError:
        existing = await ctx.db.messages.find_one({"_id": doc["_id"]})
        if existing is None:
            raise
        if existing["session_id"] != doc["session_id"] or existing["content"] != doc["content"]:
            raise BadUserInput(
                "This idempotencyKey was already used for a different message.",
                field="idempotencyKey",
            ) from None
        if existing.get("applied"):
            return public(existing)
        doc = existing  # an earlier attempt stopped half-way: finish it
    await apply_message(ctx.db, doc, ctx.settings.error_half_life_days, thresholds(ctx))
    return public(doc)


async def _tier_of(ctx: RequestContext, user_id: str) -> str | None:
    if ctx.viewer is not None and ctx.viewer.id == user_id:
        return ctx.viewer.tier  # the learner's own call: no read needed
    user = await ctx.loaders.user.load(user_id)
    return user.get("subscription_tier") if user else None


def thresholds(ctx: RequestContext) -> Thresholds:
    return Thresholds(hourly=ctx.settings.cost_alert_hourly, daily=ctx.settings.cost_alert_daily)


def _guarded(doc_filter: dict[str, Any], message_id_: str) -> dict[str, Any]:
    return {**doc_filter, "applied_ids": {"$ne": message_id_}}


def _remember(message_id_: str) -> dict[str, Any]:
    return {"applied_ids": {"$each": [message_id_], "$slice": -APPLIED_IDS_KEPT}}


def cost_day(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%d")


async def apply_message(
    db: Database,
    doc: dict[str, Any],
    half_life_days: float,
    alerts: Thresholds | None = None,
) -> None:
    mid = doc["_id"]
    ts: datetime = doc["timestamp"]
    tokens = (doc.get("tokens_in") or 0) + (doc.get("tokens_out") or 0)
    cost = doc.get("cost") or 0.0

    inc: dict[str, Any] = {"total_messages": 1, "total_tokens": tokens, "total_cost": cost}
    if doc.get("response_time_ms") is not None:
        inc["response_time_sum_ms"] = doc["response_time_ms"]
        inc["response_time_count"] = 1
    await db.sessions.update_one(
        _guarded({"_id": doc["session_id"]}, mid), {"$inc": inc, "$push": _remember(mid)}
    )

    per_target = Counter((e["category"], e["subcategory"]) for e in doc.get("errors") or [])
    if per_target:
        g = growth(ts, half_life_days)
        await asyncio.gather(
            *(
                _upsert_once(
                    db.error_stats,
                    _guarded({"user_id": doc["user_id"], "category": cat, "subcategory": sub}, mid),
                    {
                        "$inc": {"count": n, "decay_sum": n * g},
                        "$min": {"first_seen": ts},
                        "$max": {"last_seen": ts},
                        "$setOnInsert": {"_id": str(uuid4())},
                        "$push": _remember(mid),
                    },
                )
                for (cat, sub), n in per_target.items()
            )
        )

    if doc["role"] == "assistant" and (tokens or cost):
        await _upsert_once(
            db.cost_daily,
            _guarded(
                {
                    "date": cost_day(ts),
                    "provider": doc.get("provider") or "unknown",
                    "model": doc.get("model") or "unknown",
                    "user_id": doc["user_id"],
                },
                mid,
            ),
            {
                "$inc": {
                    "requests": 1,
                    "tokens_in": doc.get("tokens_in") or 0,
                    "tokens_out": doc.get("tokens_out") or 0,
                    "cost": cost,
                },
                "$setOnInsert": {"_id": str(uuid4())},
                "$push": _remember(mid),
            },
        )
        await add_to_totals(db, doc, alerts)
        for key, update in dims_rows(doc):
            await _upsert_once(
                db.cost_dims, _guarded(key, mid), {**update, "$push": _remember(mid)}
            )

    if doc["role"] == "assistant":
        await _upsert_once(
            db.provider_daily,
            _guarded(provider_key(doc), mid),
            {**provider_update(doc), "$push": _remember(mid)},
        )

    if doc["role"] == "user":
        await db.users.update_one({"_id": doc["user_id"]}, {"$max": {"last_active": ts}})
    await db.messages.update_one({"_id": mid}, {"$set": {"applied": True}})
    doc["applied"] = True


async def _upsert_once(
    collection: Any, guarded_filter: dict[str, Any], update: dict[str, Any]
) -> None:
    """Apply a guarded upsert exactly once.

    A DuplicateKeyError means either the row already holds this message (the guard did its
    job: done) or two first-ever upserts raced to insert the row; then the row exists and
    the retry matches it.
    """
    mid = guarded_filter["applied_ids"]["$ne"]
    key = {k: val for k, val in guarded_filter.items() if k != "applied_ids"}
    for _ in range(3):
        try:
            await collection.update_one(guarded_filter, update, upsert=True)
            return
        except DuplicateKeyError:
            if await collection.find_one({**key, "applied_ids": mid}, {"_id": 1}):
                return
    raise RuntimeError(f"could not apply message {mid} to {collection.name}")


async def complete_pending(
    db: Database,
    half_life_days: float,
    older_than: timedelta = timedelta(seconds=30),
    alerts: Thresholds | None = None,
) -> int:
    """Finish messages a crashed process left half-applied (run at start-up)."""
    cutoff = utcnow() - older_than
    done = 0
    async for doc in db.messages.find({"applied": False, "timestamp": {"$lt": cutoff}}):
        await apply_message(db, doc, half_life_days, alerts)
        done += 1
    if done:
        log.warning("pending_messages_completed", count=done)
    return done


async def messages_of(
    ctx: RequestContext, session_id: str, first: int | None, after: str | None
) -> Connection:
    return await ctx.loaders.messages_by_session.load(
        PageKey(session_id, check_first(first), after)
    )
