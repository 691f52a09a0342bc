"""Guard release keeps up with a busy shared row (issue 28): a settle pass releases batch
after batch until no settled message is left, within a time budget, not a fixed count."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from resolvers.costs.rollup import day_key
from resolvers.counters import GUARD_FIELD
from resolvers.messages import settle
from tests.test_mongo_semantics import _assistant, start

MESSAGES = 90
BATCH = 2  # scaled down: 60 batches of 2 stand for 60 batches of SWEEP_BATCH (500)


async def test_one_pass_releases_every_settled_guard_of_a_busy_row(api, capsys):
    """Before: one pass stopped after 40 batches (500 ids once, then 40 x 500), so a row
    every message touches (the day's cost_totals) kept ids that were long settled while
    more kept arriving, up to GUARD_CAP. Now the pass goes on while its budget lasts."""
    user, token = await api.user()
    sid = await start(api, token, user["_id"])
    db = api.services.db
    for _ in range(MESSAGES):
        await _assistant(db, user["_id"], sid, 0.01)
    busy = {"_id": day_key(datetime.now(UTC))}
    assert len((await db.cost_totals.find_one(busy))[GUARD_FIELD]) == MESSAGES
    assert await settle(db, grace=timedelta(0), batch=BATCH, budget_s=60) == MESSAGES
    assert (await db.cost_totals.find_one(busy))[GUARD_FIELD] == []
    assert await db.messages.count_documents({"guarded": True}) == 0


async def test_a_pass_stops_at_its_budget_and_says_so(api, capsys):
    user, token = await api.user()
    sid = await start(api, token, user["_id"])
    db = api.services.db
    for _ in range(6):
        await _assistant(db, user["_id"], sid, 0.01)
    capsys.readouterr()
    assert await settle(db, grace=timedelta(0), batch=BATCH, budget_s=0) == BATCH
    events = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    [behind] = [e for e in events if e["event"] == "guards_settle_behind"]
    assert behind["released"] == BATCH and behind["collection"] == "messages"
    assert await settle(db, grace=timedelta(0), batch=BATCH, budget_s=60) == 6 - BATCH
