"""annotateMessage: the tutor service attaches the errors it found to a learner's utterance.

An annotation replaces the message's errors, so the learner's error statistics move by the
difference between the old and the new errors, exactly once per annotation, with the same
steps `recordMessage` uses (resolvers/messages.py) and no transaction:
1. insert the annotation with `applied: false, guarded: true`; with an idempotency key its
   _id is derived from (message, key), so a retry or a concurrent duplicate collides with
   it and must repeat its errors;
2. claim the message (`annotating: <annotation id>`, a compare-and-set: one annotation of
   a message at a time) and record on the annotation the errors it replaces, once: every
   attempt of this annotation then computes the same difference;
3. move each error_stats row by its part of the difference, guarded by the annotation id
   (`resolvers.counters`), so a repeated step is a no-op per row;
4. set the message's errors and release the claim, then mark the annotation applied.
An attempt that finds another annotation's claim finishes that one first; the maintenance
pass finishes annotations a crash left half-done and, after the grace period, pulls their
ids from the rows' guards (`ANNOTATIONS`, resolvers/pending.py).
Skills and windowed statistics are computed from the messages themselves, so they follow
step 4 once.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any
from uuid import NAMESPACE_URL, uuid4, uuid5

from models.db import Database, DuplicateKeyError
from models.documents import AnnotationDoc, utcnow
from models.enums import SessionEventType
from models.rows import Row
from resolvers import validation as v
from resolvers.context import RequestContext
from resolvers.counters import LEASE, claim, guarded_update, mark_applied, request_lease
from resolvers.decay import growth
from resolvers.errors import BadUserInput, NotFound
from resolvers.messages import (
    ErrorInput,
    apply_message,
    learner_language,
    public,
    thresholds,
    validated_errors,
)
from resolvers.outbox import hub_of, publish, record_change
from resolvers.pending import Steps, Upkeep
from resolvers.permissions import require_tutor_or_admin

ANNOTATION_ID_NAMESPACE = uuid5(NAMESPACE_URL, "tutoring-gateway/annotations")
# Claims are taken in turn; a stuck claim is finished by whoever waits on it, so this only
# bounds pathological contention on one message.
CLAIM_ATTEMPTS = 20


def annotation_id(message_id: str, key: str | None) -> str:
    return str(uuid5(ANNOTATION_ID_NAMESPACE, f"{message_id}\x1f{key}")) if key else str(uuid4())


def _keys(errors: list[dict[str, Any]] | None) -> Counter[tuple[str, str]]:
    return Counter((e["category"], e["subcategory"]) for e in errors or [])


def difference(annotation: dict[str, Any]) -> dict[tuple[str, str], int]:
    """(category, subcategory) -> how many errors the annotation adds (negative: removes)."""
    new, old = _keys(annotation["errors"]), _keys(annotation.get("previous"))
    return {k: new[k] - old[k] for k in new.keys() | old.keys() if new[k] != old[k]}


def counter_rows(annotation: dict[str, Any]) -> list[dict[str, Any]]:
    """Keys of the error_stats rows the annotation moves (what settle releases)."""
    return [
        {"user_id": annotation["user_id"], "category": c, "subcategory": s}
        for c, s in difference(annotation)
    ]


async def annotate_message(
    ctx: RequestContext, message_id: str, errors: list[ErrorInput], key: str | None
) -> Row:
    viewer = require_tutor_or_admin(ctx)
    mid = v.plain_id(message_id, "id")
    message = await ctx.db.messages.find_one({"_id": mid})
    if message is None:
        raise NotFound("Message not found.")
    if message["role"] != "user":
        raise BadUserInput("Only USER messages (a learner's utterances) are annotated.", field="id")
    # The message keeps the language its errors were first checked in; one recorded without
    # errors is checked against the learner's target language now.
    language = message.get("language") or await learner_language(ctx, message["user_id"])
    checked = validated_errors(errors, "user", language)
    clean_key = v.idempotency_key(key)
    doc = AnnotationDoc(
        id=annotation_id(mid, clean_key),
        message_id=mid,
        user_id=message["user_id"],
        errors=checked,  # type: ignore[arg-type]
        idempotency_key=clean_key,
        author_kind=viewer.kind,
        author_id=viewer.id,
        guarded=True,
        language=language,
    ).to_mongo()
    try:
        await ctx.db.annotations.insert_one(doc)
    except DuplicateKeyError:
        existing = await ctx.db.annotations.find_one({"_id": doc["_id"]})
        if existing is None:
            raise
        if existing["errors"] != doc["errors"]:
            raise BadUserInput(
                "This idempotencyKey was already used with other errors; a retry must repeat "
                "the errors of the first call.",
                field="idempotencyKey",
            ) from None
        doc = existing
    events: list[dict[str, Any]] = []
    if not doc.get("applied"):
        await apply_annotation(
            ctx.db,
            doc,
            ctx.settings.error_half_life_days,
            thresholds(ctx),
            lease=request_lease(ctx.settings.execution_timeout_ms),
            events=events,
        )
    await publish(ctx.db, hub_of(ctx), events)
    stored = await ctx.db.messages.find_one({"_id": mid}) or message
    row = public(stored)
    ctx.loaders.message.prime(mid, row, force=True)  # the rest of the request sees the new errors
    return row


async def _claim(db: Database, annotation: dict[str, Any], *args: Any) -> dict[str, Any]:
    """The message, held by this annotation; other annotations' claims are finished first."""
    aid, mid = annotation["_id"], annotation["message_id"]
    for _ in range(CLAIM_ATTEMPTS):
        message = await db.messages.find_one_and_update(
            {"_id": mid, "annotating": {"$in": [None, aid]}},
            {"$set": {"annotating": aid}},
        )
        if message is not None:
            return message  # as it was: `errors` still the ones this annotation replaces
        current = await db.messages.find_one({"_id": mid}, {"annotating": 1})
        if current is None:
            raise NotFound("Message not found.")
        other = await db.annotations.find_one({"_id": current.get("annotating")})
        if other is not None and not other.get("applied"):
            await apply_annotation(db, other, *args)
        else:  # the holder is gone or done: its claim was left behind by a crash
            await db.messages.update_one(
                {"_id": mid, "annotating": current.get("annotating")},
                {"$unset": {"annotating": ""}},
            )
    raise RuntimeError(f"could not claim message {mid} for annotation {aid}")


async def apply_annotation(
    db: Database,
    annotation: dict[str, Any],
    half_life_days: float,
    *alerts: Any,
    lease: timedelta = LEASE,
    events: list[dict[str, Any]] | None = None,
) -> None:
    """Finish `annotation` (each step at most once, whichever steps an earlier attempt did)."""
    aid, mid = annotation["_id"], annotation["message_id"]
    message = await db.messages.find_one({"_id": mid})
    if message is None:
        raise NotFound("Message not found.")
    if not message.get("applied"):
        # Its own errors must be counted before they can be replaced.
        await apply_message(db, message, half_life_days, *alerts, lease=lease)
    if annotation.get("previous") is None:
        fresh = await db.annotations.find_one({"_id": aid})
        if fresh is None:
            raise NotFound("Annotation not found.")
        if fresh.get("previous") is None:
            held = await _claim(db, annotation, half_life_days, *alerts)
            # Every attempt of this annotation holding the claim sees the same errors (they
            # change only when the claim is released): the first write fixes them.
            await db.annotations.update_one(
                {"_id": aid, "previous": {"$exists": False}},
                {"$set": {"previous": held.get("errors") or []}},
            )
            fresh = await db.annotations.find_one({"_id": aid}) or fresh
        annotation = fresh
    # Re-read and leased like a message's apply (resolvers/messages.py): once another
    # attempt finished this annotation, this one counts nothing, however late it runs.
    until = None if annotation.get("applied") else await claim(db.annotations, {"_id": aid}, lease)
    if until is None:
        # A late attempt of a finished annotation may have just taken the claim: give it back.
        await db.messages.update_one(
            {"_id": mid, "annotating": aid}, {"$unset": {"annotating": ""}}
        )
        annotation["applied"] = True
        return
    g = growth(message["timestamp"], half_life_days)
    ts = message["timestamp"]
    steps = [
        guarded_update(
            db.error_stats,
            {"user_id": annotation["user_id"], "category": c, "subcategory": s},
            aid,
            {
                "$inc": {"count": n, "decay_sum": n * g},
                **({"$min": {"first_seen": ts}, "$max": {"last_seen": ts}} if n > 0 else {}),
                **({"$setOnInsert": {"_id": str(uuid4())}} if n > 0 else {}),
            },
            upsert=n > 0,  # a row loses only errors it counted: it exists
            until=until,
        )
        for (c, s), n in difference(annotation).items()
    ]
    results = await asyncio.gather(*steps, return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        raise failed[0]
    now = utcnow()
    await db.messages.update_one(
        {"_id": mid, "annotating": aid},
        {
            "$set": {
                "errors": annotation["errors"],
                "annotated_at": now,
                **(
                    {"language": annotation["language"]}
                    if annotation.get("language") and not message.get("language")
                    else {}
                ),
            },
            "$unset": {"annotating": ""},
        },
    )
    # Before the annotation is marked applied: a crash here leaves it to the maintenance
    # pass, which records the event (once: its id is the annotation's).
    event = await record_change(
        db,
        SessionEventType.MESSAGE_ANNOTATED,
        aid,
        message["session_id"],
        message["user_id"],
        {**message, "errors": annotation["errors"], "annotated_at": now},
    )
    if event is not None and events is not None:
        events.append(event)
    await db.annotations.update_one({"_id": aid}, mark_applied())
    annotation["applied"], annotation["applied_at"] = True, now


async def _finish(db: Database, annotation: dict[str, Any], upkeep: Upkeep) -> bool:
    await apply_annotation(db, annotation, upkeep.half_life_days)
    return True


def _guards(annotation: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {"error_stats": counter_rows(annotation)}


# What the maintenance pass finishes and settles (resolvers/pending.py).
ANNOTATIONS = Steps(
    "annotations", "annotations", {"applied": False}, "created_at", _finish, guards=_guards
)
