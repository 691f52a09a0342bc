"""recordMessage: one message and every counter derived from it.

MongoDB without a replica set has no multi-document transactions, so the write is split
into steps that are each safe to repeat:
1. insert the message with `applied: false, guarded: true`. With an idempotency key its
   _id is derived from (user, key), so a retry collides with the first attempt instead of
   duplicating it, and must repeat every field of the first call;
2. apply the derived counters (session totals, error_stats, cost_daily, cost_totals, user
   activity), all at once. Each counter update is guarded by the message id
   (`resolvers.counters`), so re-applying a message is a no-op per row, whichever rows an
   earlier attempt reached;
3. mark the message `applied: true` (with `applied_at`, the server's time).
A retry with the same key, or the periodic sweep (`complete_pending`), finishes a message
an earlier attempt left half-applied. Every attempt first claims the message
(`resolvers.counters.claim`: it re-reads the message, stops if it was applied meanwhile,
else takes a lease on the server's clock) and each of its counter updates carries the
lease's end, which the server checks: past it the update counts nothing. The sweep
(`settle`) removes the id from the rows' guards a grace period after step 3, and while an
attempt that did not finish exists, only a grace period after its lease ended. So an apply
is impossible once another apply of the message finished, however long it was held.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from uuid import NAMESPACE_URL, uuid4, uuid5

import structlog
from pydantic import BaseModel, ConfigDict, Field
from pymongo import ReturnDocument

from models.db import Database, DuplicateKeyError
from models.documents import LanguageErrorDoc, MessageDoc, utcnow
from models.enums import MessageRole, SessionEventType
from models.rows import Row
from resolvers import validation as v
from resolvers.context import RequestContext
from resolvers.costs.breakdown import dims_rows
from resolvers.costs.calls import carries_usage, is_ai_call
from resolvers.costs.providers import provider_key, provider_update
from resolvers.costs.rollup import Thresholds, add_to_totals, total_keys
from resolvers.counters import LEASE, claim, guarded_update, mark_applied, request_lease
from resolvers.dataloaders import MESSAGE_HIDDEN, PageKey
from resolvers.decay import growth
from resolvers.errors import BadUserInput, Forbidden
from resolvers.outbox import allocate, hub_of, publish, record_event
from resolvers.pagination import Connection, Window
from resolvers.pending import (
    PENDING_AFTER,
    SETTLE_AFTER,
    SETTLE_BUDGET_SECONDS,
    SWEEP_BATCH,
    Steps,
    Upkeep,
    finish_pending,
)
from resolvers.pending import settle as settle_guards
from resolvers.permissions import require_viewer
from resolvers.pricing import load_pricing
from resolvers.sessions import get_session
from resolvers.taxonomy import canonical, normalize_language, taxonomy_for
from resolvers.viewer import Viewer

log = structlog.get_logger("resolvers.messages")

MESSAGE_ID_NAMESPACE = uuid5(NAMESPACE_URL, "tutoring-gateway/messages")
# A tutor reply recorded this long after the learner ended its session is still kept (the
# model call was made and paid for); a learner message never is (`_late_reply`).
LATE_REPLY_WINDOW = timedelta(minutes=15)


# A language error as its finder sends it is the stored shape (validated_errors checks each
# field against the taxonomy and the length bounds before it is stored).
ErrorInput = LanguageErrorDoc


class MessageInput(BaseModel):
    """What recordMessage's caller decides, in the stored values (enums as their strings).
    schema/messages.py's RecordMessageInput is derived from this model and converted back
    once, by schema/mutation.py `_model`: the message's input is declared once."""

    model_config = ConfigDict(use_enum_values=True)

    session_id: str
    role: MessageRole
    content: str
    provider: str | None = None
    model: str | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    cost: float | None = Field(
        default=None,
        description="USD. Omitted with tokens given: priced from the provider and model. Any "
        "message carrying usage (tokens or cost), whatever its role, is an AI call counted in "
        "costReport and providerStats; provider defaults to the session's.",
    )
    response_time_ms: int | None = None
    errors: list[ErrorInput] | None = None
    idempotency_key: str | None = Field(
        default=None,
        description="Send the same key when retrying: the message is stored and counted once.",
    )


def message_id(user_id: str, key: str | None, writer: str = "learner") -> str:
    """The tutor service's keys live apart from the learner's: a learner who guessed the
    tutor's next key could otherwise take its message id first."""
    if not key:
        return str(uuid4())
    scope = f"{user_id}\x1f{key}" if writer != "tutor" else f"{user_id}\x1f{key}\x1ftutor"
    return str(uuid5(MESSAGE_ID_NAMESPACE, scope))


# What only the tutor service knows: a learner sending any of these is refused, naming it
# (the billed numbers first).
TUTOR_FIELDS = (
    ("tokens_in", "tokensIn"),
    ("tokens_out", "tokensOut"),
    ("cost", "cost"),
    ("provider", "provider"),
    ("model", "model"),
    ("response_time_ms", "responseTimeMs"),
    ("errors", "errors"),
)


def check_writer(viewer: Viewer, data: MessageInput) -> None:
    """Learners record their own utterances, content only; replies, usage and the errors
    found in an utterance come from the tutor service (or an admin)."""
    if viewer.is_tutor or viewer.is_admin:
        return
    sent = [name for attr, name in TUTOR_FIELDS if getattr(data, attr) not in (None, [])]
    if sent:
        raise Forbidden(
            f"'{sent[0]}' is written by the tutor service, not by learners: send the "
            "utterance's content only.",
            field=sent[0],
            fields=sent,
        )
    if data.role != "user":
        raise Forbidden(
            f"Learners record USER messages; {data.role.upper()} messages come from the tutor "
            "service (an API client with the TUTOR scope).",
            field="role",
        )


def _in_taxonomy(e: ErrorInput, i: int, language: str | None) -> tuple[str, str]:
    """The taxonomy's spelling of an error's (category, subcategory) in the learner's target
    `language`; an unknown pair (or another language's own, such as ser/estar for a learner
    of German) is refused, or it would become a top error no exercise can ever practise."""
    category = v.text(e.category, f"errors[{i}].category", max_len=v.MAX_LABEL_CHARS, required=True)
    subcategory = v.text(
        e.subcategory, f"errors[{i}].subcategory", max_len=v.MAX_LABEL_CHARS, required=True
    )
    pair = canonical(category or "", subcategory or "", language)
    if pair is not None:
        return pair
    taxonomy = taxonomy_for(language)
    known = [c for c in taxonomy if c.casefold() == (category or "").casefold()]
    if not known:
        raise BadUserInput(
            f"Unknown error category {category!r}; see errorCategories for the taxonomy.",
            field=f"errors[{i}].category",
            validCategories=list(taxonomy),
        )
    raise BadUserInput(
        f"Unknown subcategory {subcategory!r} of {known[0]}"
        + (f" in {language}" if language else "")
        + f"; valid: {', '.join(taxonomy[known[0]])}.",
        field=f"errors[{i}].subcategory",
        validSubcategories=list(taxonomy[known[0]]),
    )


async def learner_language(ctx: RequestContext, user_id: str) -> str | None:
    """The learner's target language as the bank names it (None when unset or unknown):
    the taxonomy a learner's errors are checked against, and the language their sentences
    are stored in, so switching target language later does not relabel them."""
    user = await ctx.loaders.user.load(user_id)
    return normalize_language(user.get("target_language")) if user else None


def validated_errors(
    errors: list[ErrorInput], role: str, language: str | None = None
) -> list[dict[str, Any]]:
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
        category, subcategory = _in_taxonomy(e, i, language)
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
    ctx: RequestContext,
    data: MessageInput,
    session: Row,
    tier: str | None = None,
    language: str | None = None,
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
    # A reply, or any message carrying usage (an AI call, resolvers/costs/calls.py), takes
    # the session's provider when it names none, and is priced from its tokens when it
    # sends no cost: a SYSTEM or USER message's model call is billed like a reply.
    call = carries_usage(tokens_in, tokens_out, cost)
    provider = v.name(data.provider, "provider") or (
        v.name(session.get("provider"), "provider") if data.role == "assistant" or call else None
    )
    model = v.name(data.model, "model")
    priced = cost is None and bool(tokens_in or tokens_out)
    if priced:
        pricing = load_pricing(ctx.settings.pricing_overrides)
        cost = pricing.cost(provider, model, tokens_in or 0, tokens_out or 0)
    key = v.idempotency_key(data.idempotency_key)
    writer = ctx.viewer.kind if ctx.viewer is not None else "learner"
    return MessageDoc(
        id=message_id(session["user_id"], key, writer),
        session_id=session["_id"],
        user_id=session["user_id"],
        role=data.role,
        content=content,
        provider=provider,
        model=model,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        cost=cost,
        priced=priced or None,
        response_time_ms=v.non_negative_int(data.response_time_ms, "responseTimeMs", 3_600_000),
        errors=validated_errors(data.errors or [], data.role, language),  # type: ignore[arg-type]
        language=language,
        idempotency_key=key,
        applied=False,
        topic=session.get("topic"),
        tier=tier,
        guarded=True,
        author_kind=writer,
        author_id=ctx.viewer.id if ctx.viewer is not None else None,
    ).to_mongo()


def public(doc: dict[str, Any]) -> Row:
    return Row({k: val for k, val in doc.items() if k not in MESSAGE_HIDDEN})


# What the client's input decides (directly, or as the default it chose by leaving a field
# out): a retry must repeat all of it, or the key is being reused for another message.
# Server-side context (timestamp, the learner's tier, the session topic) and what later
# mutations add (a rating) may differ without making it another message.
CALL_FIELDS = (
    "session_id",
    "user_id",
    "role",
    "content",
    "provider",
    "model",
    "tokens_in",
    "tokens_out",
    "cost",
    "response_time_ms",
    "errors",
    "idempotency_key",
)


def same_call(
    stored: dict[str, Any], sent: dict[str, Any], defaulted: frozenset[str] = frozenset()
) -> bool:
    """`defaulted`: the fields the retry left to the server (a cost priced from tokens, the
    session's provider). A message stored empty there is the same call: before every AI
    call was priced (docs/cost-reporting.md), only ASSISTANT messages were, so a SYSTEM
    or USER message with tokens stored by an older replica has neither, and its retry on
    a newer one would have both.

    A message annotated since (`annotated_at`) holds the annotation's errors, not the
    call's: its `errors` say nothing about the retry. A lost answer, then a turn the tutor
    answered and annotated within seconds, then the app's retry is the ordinary sequence;
    refusing that retry as a reused key had the app send the utterance again under a new
    key, stored and counted twice. The other fields still tell another message apart.

    A cost the server priced (`priced`) and the retry again leaves to it is not compared:
    it is the price list's, not the call's, and the price list may change between two
    attempts (a PRICING_OVERRIDES deploy, or a rolling one where the retry lands on a
    replica with the new prices). The tokens, provider and model that were priced are
    compared, and the first attempt's cost is what was billed and what the retry answers.
    Comparing it refused the tutor's retry of a reply whose answer was lost as a reused
    key, so its retry under a new key billed the reply twice. A cost the first call sent
    itself is still the call's: a retry without it is another call."""
    annotated = stored.get("annotated_at") is not None
    return all(
        _called(k, stored.get(k)) == _called(k, sent.get(k))
        or (k in defaulted and stored.get(k) is None)
        or (k == "cost" and k in defaulted and stored.get("priced") is True)
        or (k == "errors" and annotated)
        for k in CALL_FIELDS
    )


def _called(field: str, value: Any) -> Any:
    """A name as a call sends it, in any case: names are stored lower-case since
    2026-12-07, and a retry of a call stored before then as "OpenAI" is the same call."""
    if field in ("provider", "model") and isinstance(value, str):
        return value.lower()
    return value


async def record_message(ctx: RequestContext, data: MessageInput) -> Row:
    viewer = require_viewer(ctx)
    check_writer(viewer, data)
    session = await get_session(ctx, v.plain_id(data.session_id, "sessionId"))
    # Only a message with errors needs the learner's language (validation, own sentences).
    language = await learner_language(ctx, session["user_id"]) if data.errors else None
    doc = build_message(ctx, data, session, await _tier_of(ctx, session["user_id"]), language)
    if session["status"] != "active" and not _late_reply(viewer, doc, session):
        # A retry of a message stored before the end is answered, not refused: the client
        # whose answer was lost learns it was stored (below, as any retry).
        if data.idempotency_key is None or not await ctx.db.messages.find_one(
            {"_id": doc["_id"], "user_id": doc["user_id"]}, projection={"_id": 1}
        ):
            raise BadUserInput("The session has ended; start a new one.", field="sessionId")
    try:
        await ctx.db.messages.insert_one(doc)
    except DuplicateKeyError:
        existing = await ctx.db.messages.find_one({"_id": doc["_id"], "user_id": doc["user_id"]})
        if existing is None:
            raise
        defaulted = frozenset(f for f in ("cost", "provider") if getattr(data, f) is None)
        if not same_call(existing, doc, defaulted):
            raise BadUserInput(
                "This idempotencyKey was already used with different values; a retry must "
                "repeat every field of the first call.",
                field="idempotencyKey",
            ) from None
        doc = existing
    after = None
    events: list[dict[str, Any]] = []
    if not doc.get("applied"):  # new, or an earlier attempt stopped half-way: finish it
        after = await apply_message(
            ctx.db,
            doc,
            ctx.settings.error_half_life_days,
            thresholds(ctx),
            events,
            lease=request_lease(ctx.settings.execution_timeout_ms),
        )
    await publish(ctx.db, hub_of(ctx), events)
    # The response shows the session as this write left it (`recordMessage { session {..} }`).
    if after is not None:
        ctx.loaders.session.prime(doc["session_id"], Row(after), force=True)
    else:
        ctx.loaders.session.clear(doc["session_id"])
    return public(doc)


def _late_reply(viewer: Viewer, doc: dict[str, Any], session: Row) -> bool:
    """The tutor service's reply (or note) to a session the learner ended while the model
    was answering: kept, with its usage, for LATE_REPLY_WINDOW after the end. The call was
    made and paid for; refusing it lost the reply and left its cost out of costReport."""
    if not (viewer.is_tutor or viewer.is_admin) or doc["role"] == "user":
        return False
    ended = session.get("ended_at")
    return ended is not None and doc["timestamp"] - ended <= LATE_REPLY_WINDOW


async def _tier_of(ctx: RequestContext, user_id: str) -> str | None:
    if ctx.viewer is not None and ctx.viewer.id == user_id:
        return ctx.viewer.tier  # the learner's own call: no read needed
    user = await ctx.loaders.user.load(user_id)
    return user.get("subscription_tier") if user else None


def thresholds(ctx: RequestContext) -> Thresholds:
    return Thresholds(hourly=ctx.settings.cost_alert_hourly, daily=ctx.settings.cost_alert_daily)


def cost_day(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%d")


def error_keys(doc: dict[str, Any]) -> Counter[tuple[str, str]]:
    return Counter((e["category"], e["subcategory"]) for e in doc.get("errors") or [])


def cost_daily_key(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "date": cost_day(doc["timestamp"]),
        "provider": doc.get("provider") or "unknown",
        "model": doc.get("model") or "unknown",
        "user_id": doc["user_id"],
    }


def counter_rows(doc: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Collection -> keys of every counter row this message is applied to (guards)."""
    rows: dict[str, list[dict[str, Any]]] = {
        "sessions": [{"_id": doc["session_id"], "user_id": doc["user_id"]}],
        "error_stats": [
            {"user_id": doc["user_id"], "category": c, "subcategory": s} for c, s in error_keys(doc)
        ],
    }
    if is_ai_call(doc):
        rows["cost_daily"] = [cost_daily_key(doc)]
        rows["cost_totals"] = total_keys(doc["timestamp"])
        rows["cost_dims"] = [key for key, _ in dims_rows(doc)]
        rows["provider_daily"] = [provider_key(doc)]
    return rows


async def _run(step: Callable[[], Awaitable[Any]]) -> Any:
    return await step()


async def apply_message(
    db: Database,
    doc: dict[str, Any],
    half_life_days: float,
    alerts: Thresholds | None = None,
    events: list[dict[str, Any]] | None = None,
    *,
    lease: timedelta = LEASE,
    record: bool = True,
) -> dict[str, Any] | None:
    """Apply every counter of `doc` (each at most once), record its MESSAGE_RECORDED
    event (resolvers/outbox.py; appended to `events` for the caller to publish) and mark
    it applied. `record=False`: no event (an import: history nobody is subscribed to).

    Returns the session row after this message's update, or None when an earlier attempt
    had already counted the message in it.
    """
    mid = doc["_id"]
    until = await claim(db.messages, {"_id": mid, "user_id": doc["user_id"]}, lease)
    if until is None:  # another attempt finished it since `doc` was read
        doc["applied"] = True
        return None
    ts: datetime = doc["timestamp"]
    tokens = (doc.get("tokens_in") or 0) + (doc.get("tokens_out") or 0)
    cost = doc.get("cost") or 0.0

    # The event's number comes with the count (one update); a repeat takes its own below.
    inc: dict[str, Any] = {
        "total_messages": 1,
        "total_tokens": tokens,
        "total_cost": cost,
        "event_seq": 1,
    }
    if doc.get("response_time_ms") is not None:
        inc["response_time_sum_ms"] = doc["response_time_ms"]
        inc["response_time_count"] = 1
    steps: list[Callable[[], Awaitable[Any]]] = [
        lambda: guarded_update(
            db.sessions,
            {"_id": doc["session_id"], "user_id": doc["user_id"]},
            mid,
            {"$inc": inc},
            upsert=False,
            return_after=True,
            until=until,
        )
    ]
    g = growth(ts, half_life_days)
    steps += [
        partial(
            guarded_update,
            db.error_stats,
            {"user_id": doc["user_id"], "category": cat, "subcategory": sub},
            mid,
            {
                "$inc": {"count": n, "decay_sum": n * g},
                "$min": {"first_seen": ts},
                "$max": {"last_seen": ts},
                "$setOnInsert": {"_id": str(uuid4())},
            },
            until=until,
        )
        for (cat, sub), n in error_keys(doc).items()
    ]
    if is_ai_call(doc):  # every cost row, whatever the role (resolvers/costs/calls.py)
        steps.append(
            partial(
                guarded_update,
                db.cost_daily,
                cost_daily_key(doc),
                mid,
                {
                    "$inc": {
                        "requests": 1,
                        "tokens_in": doc.get("tokens_in") or 0,
                        "tokens_out": doc.get("tokens_out") or 0,
                        "cost": cost,
                    },
                    "$setOnInsert": {"_id": str(uuid4())},
                },
                until=until,
            )
        )
        steps.append(partial(add_to_totals, db, doc, alerts, until))
        steps += [
            partial(guarded_update, db.cost_dims, key, mid, update, until=until)
            for key, update in dims_rows(doc)
        ]
        steps.append(
            partial(
                guarded_update,
                db.provider_daily,
                provider_key(doc),
                mid,
                provider_update(doc),
                until=until,
            )
        )
    if doc["role"] == "user":
        steps.append(
            partial(db.users.update_one, {"_id": doc["user_id"]}, {"$max": {"last_active": ts}})
        )
    # Independent rows: one round trip's latency for all of them. Every step runs to its
    # end before a failure is reported, so nothing is left running behind the response.
    results = await asyncio.gather(*(_run(step) for step in steps), return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        raise failed[0]
    counted, session_after = results[0]  # type: ignore[misc]  # not an exception: checked
    snapshot = session_after if counted else None
    if snapshot is None and record:
        snapshot = await allocate(db, doc["session_id"], doc["user_id"])
    if snapshot is not None and record:
        event = await record_event(
            db, SessionEventType.MESSAGE_RECORDED, mid, snapshot, {**doc, "applied": True}
        )
        if events is not None:
            events.append(event)
    marked = await db.messages.find_one_and_update(
        {"_id": mid, "user_id": doc["user_id"]},
        mark_applied(),
        projection={"applied_at": 1},
        return_document=ReturnDocument.AFTER,
    )
    doc["applied"] = True
    doc["applied_at"] = marked["applied_at"] if marked else utcnow()
    return session_after if counted else None


async def _finish(db: Database, doc: dict[str, Any], upkeep: Upkeep) -> bool:
    return await apply_message(db, doc, upkeep.half_life_days, upkeep.alerts) is not None


# What the maintenance pass finishes and settles (resolvers/pending.py); the text is the
# only large field counter_rows never needs.
MESSAGES = Steps(
    "messages",
    "messages",
    {"applied": False},
    "timestamp",
    _finish,
    guards=counter_rows,
    settle_projection={"content": 0},
)


async def complete_pending(
    db: Database,
    half_life_days: float,
    older_than: timedelta = PENDING_AFTER,
    alerts: Thresholds | None = None,
    batch: int = SWEEP_BATCH,
) -> int:
    """Finish messages a crashed or cut-off attempt left half-applied (resolvers/pending.py)."""
    return await finish_pending(db, MESSAGES, Upkeep(half_life_days, alerts), older_than, batch)


async def settle(
    db: Database,
    grace: timedelta = SETTLE_AFTER,
    batch: int = SWEEP_BATCH,
    budget_s: float = SETTLE_BUDGET_SECONDS,
) -> int:
    """Remove settled message ids from the guards of the rows they were counted in."""
    return await settle_guards(db, MESSAGES, grace, batch, budget_s)


async def messages_of(
    ctx: RequestContext,
    sessions: list[tuple[str, str | None]],
    window: Window,
    count: bool = True,
    cursors: bool = True,
) -> list[Connection]:
    """One page per (session id, owner) pair, in order; the owner targets the messages'
    shard (docs/scaling.md). All keys go to the loader at once."""
    n, cursor, backward = window
    return await ctx.loaders.messages_by_session.load_many(
        [
            PageKey(session_id, n, cursor, (), count, owner, cursors, backward)
            for session_id, owner in sessions
        ]
    )
