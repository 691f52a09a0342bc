"""dailyPractice: one stable set of exercises per learner and local day (and target
language: after a switch the day has a set in the new language too).

The first call of a day (in the learner's time zone, UTC if unset) builds the set: the
reviews due by then, oldest first (at most DAILY_SIZE - MIN_NEW), then new
exercises on the learner's weakest targets up to DAILY_SIZE. Every later call that day
returns the same exercises with their current state. Two first calls racing each other
both answer the set whichever stored first (the set's _id is "<user>:<date>").

The build is idempotent (issue 28): the new exercises' ids derive from the set's _id and
their place in it, so a build cut off after inserting them (before the set was stored)
and built again inserts nothing twice: 5 pending exercises, not 10.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from pymongo.errors import BulkWriteError

from models.db import DuplicateKeyError
from models.documents import DailySetDoc, utcnow
from models.rows import Row
from resolvers.context import RequestContext
from resolvers.errors import NotFound
from resolvers.localtime import local_date, zone
from resolvers.pagination import (
    Connection,
    Order,
    Window,
    build_connection,
    cursor_position,
    seek_filter,
    sort_spec,
)
from resolvers.permissions import subject_user
from resolvers.practice.generate import draft_exercises, expire_stale
from resolvers.taxonomy import in_language, target_language

DAILY_SIZE = 5
MIN_NEW = 2
DUE_ORDER = Order(
    "due_at",
    descending=False,
    connection="Query.dueExercises",
    parent_field="user_id",
)
DAILY_ID_NAMESPACE = uuid5(NAMESPACE_URL, "tutoring-gateway/daily-exercises")
DUPLICATE_KEY = 11000


def daily_exercise_id(key: str, slot: int) -> str:
    """The id of the new exercise in `slot` of the daily set `key`: the same in every
    build of that set."""
    return str(uuid5(DAILY_ID_NAMESPACE, f"{key}:{slot}"))


@dataclass(slots=True)
class DailyPractice:
    date: str
    exercises: list[Row]
    completed: int
    total: int


async def daily_practice(ctx: RequestContext, user_id: str | None) -> DailyPractice:
    uid = subject_user(ctx, user_id)
    user = await ctx.loaders.user.load(uid)
    if user is None:
        raise NotFound("User not found.")
    tz = zone(user.get("time_zone"))
    now = utcnow()
    today = local_date(now, tz)
    key = f"{uid}:{today.isoformat()}"
    stored = await ctx.db.daily_sets.find_one({"_id": key})
    language = target_language(user)
    if stored is not None and stored.get("language") not in (None, language):
        # The learner switched target language since the day's first set: German practice
        # after a switch to German, not the Spanish set until midnight. The first set keeps
        # its key (and comes back after a switch back); another language's has its own.
        key = f"{key}:{language}"
        stored = await ctx.db.daily_sets.find_one({"_id": key})
    if stored is None:
        stored = await _build(ctx, user, key, today.isoformat(), language)
    rows = await ctx.loaders.exercise.load_many(stored["exercise_ids"])
    exercises = [r for r in rows if r is not None]
    return DailyPractice(
        date=today.isoformat(),
        exercises=exercises,
        completed=sum(1 for e in exercises if e["status"] != "pending"),
        total=len(exercises),
    )


async def _build(
    ctx: RequestContext, user: Row, key: str, day: str, language: str
) -> dict[str, Any]:
    uid = user["_id"]
    now = utcnow()
    # Due now, as dueExercises counts it: a review due later today waits for tomorrow's set
    # rather than being listed before it is due; and in the language the learner practises
    # now, as the new exercises are (resolvers/practice/schedule.py).
    due_cursor = ctx.db.exercises.find(
        {"user_id": uid, "status": "pending", "due_at": {"$lte": now}, **in_language(language)}
    )
    due = [d async for d in due_cursor.sort(sort_spec(DUE_ORDER)).limit(DAILY_SIZE - MIN_NEW)]
    await expire_stale(ctx, uid, now, room_for=DAILY_SIZE)
    # The new exercises go to other skills than the reviews': answering a new Articles item
    # first would move the set's Articles review (due with its card) days into the future
    # while it still sat in today's set as a review, and the review would then be answered
    # before it was due.
    reviewed = frozenset((d["category"], d["subcategory"]) for d in due)
    fresh = await draft_exercises(
        ctx,
        user,
        DAILY_SIZE - len(due),
        None,
        now,
        weakest_first=True,
        daily=day,
        avoid=reviewed,
    )
    for slot, draft in enumerate(fresh):
        draft["_id"] = daily_exercise_id(key, slot)
    if fresh:
        try:
            await ctx.db.exercises.insert_many(fresh, ordered=False)
        except BulkWriteError as exc:
            # An earlier build of this set inserted them before failing: theirs stay.
            if any(e.get("code") != DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
                raise
            ids = [d["_id"] for d in fresh]
            stored_fresh = {d["_id"]: d async for d in ctx.db.exercises.find({"_id": {"$in": ids}})}
            fresh = [stored_fresh.get(d["_id"], d) for d in fresh]
    doc = DailySetDoc(
        id=key,
        user_id=uid,
        date=day,
        exercise_ids=[d["_id"] for d in due + fresh],
        language=language,
    ).to_mongo()
    try:
        await ctx.db.daily_sets.insert_one(doc)
    except DuplicateKeyError:
        # Another request stored today's set first: that one is the day's set. Its new
        # exercises have the same ids as ours; only ours beyond it (it drafted fewer)
        # go, and only while nobody answered them.
        winner = await ctx.db.daily_sets.find_one({"_id": key})
        if winner is None:
            raise
        extra = [d["_id"] for d in fresh if d["_id"] not in set(winner["exercise_ids"])]
        if extra:
            await ctx.db.exercises.delete_many(
                {"_id": {"$in": extra}, "user_id": uid, "status": "pending", "attempts": 0}
            )
        return dict(winner)
    ctx.loaders.exercise.prime_many({d["_id"]: Row(d) for d in due + fresh})
    return doc


def _practised(user: Row | None) -> dict[str, Any]:
    """Reviews in the learner's target language: after a switch, a Spanish review is no
    practice for German (it waits until the learner switches back)."""
    return in_language(target_language(user))


async def due_exercises(ctx: RequestContext, user_id: str | None, window: Window) -> Connection:
    """The review queue: pending reviews whose time has come, the longest-waiting first."""
    uid = subject_user(ctx, user_id)
    n, after, backward = window
    user = await ctx.loaders.user.load(uid)
    base = {"user_id": uid, "status": "pending", "due_at": {"$lte": utcnow()}, **_practised(user)}
    position = await cursor_position(DUE_ORDER, after, ctx.db.exercises, backward, uid)
    cursor = ctx.db.exercises.find({**base, **seek_filter(DUE_ORDER, position, backward)})
    docs = [Row(d) async for d in cursor.sort(sort_spec(DUE_ORDER, backward)).limit(n + 1)]
    conn = build_connection(docs, n, DUE_ORDER, backward=backward)
    exercises = ctx.db.exercises

    async def count() -> int:
        return int(await exercises.count_documents(base))

    conn.count_fn = count
    ctx.loaders.exercise.prime_many({e.node["_id"]: e.node for e in conn.edges})
    return conn
