"""`users.total_sessions` under a recount racing `startSession`: the recount
(`resolvers.rebuild.rebuild_user_totals`, also the importer's finish) wrote a count over
the row, so a session started between its count and its write was lost from the total,
or one counted by the increment and again by the count was counted twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from models.documents import utcnow
from resolvers.rebuild import rebuild_user_totals
from resolvers.sessions import STARTING

START = "mutation { startSession(input: {}) { id } }"


@pytest.mark.interleaved
async def test_a_recount_racing_new_sessions_leaves_the_total_right(api):
    user, token = await api.user()
    db = api.services.db
    # Wrong to begin with (a restore from different times), with a start cut off between
    # its increment and its insert two minutes ago: the recounts must write, not give up.
    await db.users.update_one(
        {"_id": user["_id"]},
        {
            "$set": {
                "total_sessions": 7,
                STARTING: [{"id": "cut-off", "at": utcnow() - timedelta(minutes=2)}],
            }
        },
    )
    for _ in range(3):
        await asyncio.gather(
            *(api.data(START, token=token) for _ in range(4)),
            *(rebuild_user_totals(db, [user["_id"]]) for _ in range(3)),
        )
        row = await db.users.find_one({"_id": user["_id"]})
        assert row["total_sessions"] == await db.sessions.count_documents({"user_id": user["_id"]})
