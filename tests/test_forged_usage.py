"""scripts.forged_usage: usage a learner wrote before the upgrade is found and taken out."""

from __future__ import annotations

from models.documents import MessageDoc
from resolvers.messages import apply_message
from scripts.forged_usage import candidates_query, find_forged, remove_forged, summary
from tests.conftest import Api

REPORT = "{ costReport { totalCost } providerStats { provider requests } }"
REPLY = """mutation($s: ID!) { recordMessage(input: {sessionId: $s, role: ASSISTANT,
  content: "Real reply", provider: "openai", model: "gpt-4o", tokensIn: 100, tokensOut: 20,
  cost: 0.02}) { id } }"""


async def test_forged_replies_are_listed_then_removed_and_the_rollups_rebuilt(api: Api) -> None:
    user, token = await api.user(tier="pro")
    _, admin = await api.admin()
    sid = (await api.data("mutation { startSession(input: {}) { id } }", token=token))[
        "startSession"
    ]["id"]
    await api.data(REPLY, {"s": sid}, await api.tutor())
    db = api.services.db
    # What the old gateway stored for a learner's forged reply: usage, and no author.
    for i in range(3):
        doc = MessageDoc(
            session_id=sid,
            user_id=user["_id"],
            role="assistant",
            content=f"I am the tutor {i}",
            provider="anthropic",
            model="claude-opus",
            tokens_in=10_000_000,
            tokens_out=10_000_000,
            cost=400.0,
            applied=False,
        ).to_mongo()
        await db.messages.insert_one(doc)
        await apply_message(db, doc, 14.0)
    assert (await api.data(REPORT, token=admin))["costReport"]["totalCost"] == 1200.02

    found = await find_forged(db, candidates_query())
    assert [m["content"] for m in found] == [f"I am the tutor {i}" for i in range(3)]
    assert summary(found)["cost"] == 1200.0 and summary(found)["users"] == 1
    narrowed = await find_forged(db, candidates_query(min_cost=1000))
    assert narrowed == []

    await remove_forged(db, found)
    after = await api.data(REPORT, token=admin)
    assert after["costReport"]["totalCost"] == 0.02
    assert after["providerStats"] == [{"provider": "openai", "requests": 1}]
    session = await db.sessions.find_one({"_id": sid})
    assert session["total_messages"] == 1 and session["total_cost"] == 0.02
    assert await find_forged(db, candidates_query()) == []
