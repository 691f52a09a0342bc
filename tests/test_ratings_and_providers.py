"""rateMessage, providerStats and the cost breakdown by topic and tier."""

from __future__ import annotations

import asyncio
import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from resolvers.costs.providers import RT_GROWTH, percentile, rt_bucket, rt_upper
from resolvers.rebuild import rebuild_cost_dims, rebuild_provider_daily

START = "mutation($t: String, $u: ID) { startSession(input: {topic: $t, userId: $u}) { id } }"
RECORD = """mutation($in: RecordMessageInput!) { recordMessage(input: $in) { id } }"""
RATE = """mutation($id: ID!, $r: Int!, $h: Boolean, $c: String) {
  rateMessage(id: $id, input: {rating: $r, helpful: $h, comment: $c}) { id rating helpful } }"""
STATS = """query($f: DateTime, $t: DateTime) { providerStats(from: $f, to: $t) {
  provider model requests tokens cost avgResponseTimeMs p95ResponseTimeMs
  ratedCount avgRating helpfulShare } }"""


async def _reply(api, token, sid, provider="openai", model="gpt-4o", ms=None, cost=0.01):
    data = {
        "sessionId": sid,
        "role": "ASSISTANT",
        "content": "Try: 'I went'.",
        "provider": provider,
        "model": model,
        "tokensIn": 100,
        "tokensOut": 20,
        "cost": cost,
    }
    if ms is not None:
        data["responseTimeMs"] = ms
    writer = await api.writer(token, data)  # the tutor service records replies
    return (await api.data(RECORD, {"in": data}, token=writer))["recordMessage"]["id"]


def _stat(stats, provider, model):
    [row] = [s for s in stats if (s["provider"], s["model"]) == (provider, model)]
    return row


async def test_learner_rates_replies_and_re_rating_replaces(api):
    _, token = await api.user()
    _, admin = await api.admin()
    sid = (await api.data(START, {"t": "travel"}, token=token))["startSession"]["id"]
    a = await _reply(api, token, sid)
    b = await _reply(api, token, sid)
    assert (await api.data(RATE, {"id": a, "r": 2, "h": False}, token=token))["rateMessage"] == {
        "id": a,
        "rating": 2,
        "helpful": False,
    }
    await api.data(RATE, {"id": b, "r": 5, "h": True, "c": "clear"}, token=token)
    again = await api.data(RATE, {"id": a, "r": 4, "h": True}, token=token)  # replaces 2
    assert again["rateMessage"]["rating"] == 4
    stat = _stat((await api.data(STATS, token=admin))["providerStats"], "openai", "gpt-4o")
    assert (stat["ratedCount"], stat["avgRating"], stat["helpfulShare"]) == (2, 4.5, 1.0)
    # Omitting `helpful` on a re-rating clears it: the share counts only answered ones.
    await api.data(RATE, {"id": b, "r": 3}, token=token)
    stat = _stat((await api.data(STATS, token=admin))["providerStats"], "openai", "gpt-4o")
    assert (stat["ratedCount"], stat["avgRating"], stat["helpfulShare"]) == (2, 3.5, 1.0)
    read = "query($s: ID!) { session(id: $s) { messages { edges { node { rating helpful } } } } }"
    nodes = (await api.data(read, {"s": sid}, token=token))["session"]["messages"]["edges"]
    assert [n["node"] for n in nodes] == [
        {"rating": 4, "helpful": True},
        {"rating": 3, "helpful": None},
    ]


async def test_a_pipe_in_a_provider_name_does_not_merge_or_rename_rows(api):
    # Found in review: the row _id "<day>|<provider>|<model>" was split back on "|", so
    # ("a|b", "c") was shown as provider "a", model "b|c" and shared a row with ("a", "b|c").
    _, token = await api.user()
    _, admin = await api.admin()
    sid = (await api.data(START, {}, token=token))["startSession"]["id"]
    first = await _reply(api, token, sid, provider="a|b", model="c")
    await _reply(api, token, sid, provider="a", model="b|c")
    await api.data(RATE, {"id": first, "r": 4}, token=token)
    stats = (await api.data(STATS, token=admin))["providerStats"]
    assert (_stat(stats, "a|b", "c")["requests"], _stat(stats, "a|b", "c")["ratedCount"]) == (1, 1)
    assert (_stat(stats, "a", "b|c")["requests"], _stat(stats, "a", "b|c")["ratedCount"]) == (1, 0)


async def test_rating_is_refused_outside_its_rules(api):
    _learner, token = await api.user()
    _, other = await api.user()
    _, admin = await api.admin()
    sid = (await api.data(START, {}, token=token))["startSession"]["id"]
    reply = await _reply(api, token, sid)
    own = (
        await api.data(
            RECORD, {"in": {"sessionId": sid, "role": "USER", "content": "I goed"}}, token=token
        )
    )["recordMessage"]["id"]

    async def code(tok, **v):
        body = (await api.gql(RATE, {"id": reply, "r": 3, **v}, token=tok)).json()
        return body["errors"][0]["extensions"]

    assert await code(token, r=0) == {"code": "BAD_USER_INPUT", "field": "input.rating"}
    assert await code(token, r=6) == {"code": "BAD_USER_INPUT", "field": "input.rating"}
    assert await code(token, id=own) == {"code": "BAD_USER_INPUT", "field": "id"}
    assert await code(token, c="x" * 1001) == {"code": "BAD_USER_INPUT", "field": "input.comment"}
    assert (await code(other))["code"] == "NOT_FOUND"
    assert (await code(admin))["code"] == "FORBIDDEN"
    learner_stats = (await api.gql(STATS, token=token)).json()
    assert learner_stats["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.interleaved
async def test_concurrent_re_ratings_leave_exact_counters(api):
    _, token = await api.user()
    _, admin = await api.admin()
    sid = (await api.data(START, {}, token=token))["startSession"]["id"]
    replies = [await _reply(api, token, sid) for _ in range(6)]
    rng = random.Random(3)
    ratings = [(m, rng.randint(1, 5), rng.choice([True, False])) for m in replies for _ in range(4)]
    await asyncio.gather(
        *(api.data(RATE, {"id": m, "r": r, "h": h}, token=token) for m, r, h in ratings)
    )
    stored = [d async for d in api.services.db.messages.find({"role": "assistant"})]
    stat = _stat((await api.data(STATS, token=admin))["providerStats"], "openai", "gpt-4o")
    assert stat["ratedCount"] == 6
    assert stat["avgRating"] == round(sum(d["rating"] for d in stored) / 6, 3)
    assert stat["helpfulShare"] == round(sum(d["helpful"] for d in stored) / 6, 4)


def test_p95_from_the_histogram_is_within_its_bucket_width():
    rng = random.Random(5)
    times = [int(rng.lognormvariate(7, 0.6)) for _ in range(2000)]
    hist: dict[int, int] = {}
    for t in times:
        hist[rt_bucket(t)] = hist.get(rt_bucket(t), 0) + 1
    exact = sorted(times)[math.ceil(0.95 * len(times)) - 1]
    got = percentile(hist, 0.95)
    assert got is not None and abs(got - exact) / exact <= RT_GROWTH - 1
    assert rt_bucket(10) == 0 and rt_upper(rt_bucket(1234)) >= 1234 > rt_upper(rt_bucket(1234) - 1)
    assert percentile({}, 0.95) is None


async def test_provider_stats_per_provider_and_model_in_a_window(api):
    _, token = await api.user()
    _, admin = await api.admin()
    sid = (await api.data(START, {}, token=token))["startSession"]["id"]
    for ms in range(100, 2100, 100):  # 20 replies: 100..2000 ms
        await _reply(api, token, sid, ms=ms)
    await _reply(api, token, sid, provider="anthropic", model="claude-sonnet-4", ms=900)
    await _reply(api, token, sid, provider="anthropic", model="claude-sonnet-4")  # untimed
    stats = (await api.data(STATS, token=admin))["providerStats"]
    assert [(s["provider"], s["model"]) for s in stats] == [
        ("openai", "gpt-4o"),
        ("anthropic", "claude-sonnet-4"),
    ]
    openai = stats[0]
    assert (openai["requests"], openai["tokens"]) == (20, 2400)
    assert openai["cost"] == pytest.approx(0.2)
    assert openai["avgResponseTimeMs"] == 1050.0
    assert abs(openai["p95ResponseTimeMs"] - 1900) / 1900 <= RT_GROWTH - 1
    assert openai["ratedCount"] == 0 and openai["avgRating"] is None
    anthropic = stats[1]
    assert anthropic["requests"] == 2 and anthropic["avgResponseTimeMs"] == 900.0
    past = {"f": "2020-01-01T00:00:00Z", "t": "2020-01-31T00:00:00Z"}
    assert (await api.data(STATS, past, token=admin))["providerStats"] == []
    # The rollup reads rows, not messages: the rebuild from messages gives the same answer.
    await rebuild_provider_daily(api.services.db)
    assert (await api.data(STATS, token=admin))["providerStats"] == stats


async def test_cost_by_topic_and_tier(api):
    free, free_token = await api.user(tier="free")
    _pro, pro_token = await api.user(tier="pro")
    _, admin = await api.admin()
    travel = (await api.data(START, {"t": "travel"}, token=free_token))["startSession"]["id"]
    work = (await api.data(START, {"t": "job interview"}, token=pro_token))["startSession"]["id"]
    bare = (await api.data(START, {}, token=pro_token))["startSession"]["id"]
    await _reply(api, free_token, travel, cost=0.5)
    await _reply(api, pro_token, work, cost=0.25)
    await _reply(api, pro_token, work, cost=0.25)
    await _reply(api, admin, bare, cost=0.125)  # an admin recording for the learner
    q = "{ costReport { byTopic { key cost requests } byTier { key cost tokens requests } } }"
    report = (await api.data(q, token=admin))["costReport"]
    assert report["byTopic"] == [
        {"key": "job interview", "cost": 0.5, "requests": 2},
        {"key": "travel", "cost": 0.5, "requests": 1},
        {"key": "(none)", "cost": 0.125, "requests": 1},
    ]
    assert report["byTier"] == [
        {"key": "pro", "cost": 0.625, "tokens": 360, "requests": 3},
        {"key": "free", "cost": 0.5, "tokens": 120, "requests": 1},
    ]
    # A later upgrade does not move past spend.
    await api.services.db.users.update_one(
        {"_id": free["_id"]}, {"$set": {"subscription_tier": "premium"}}
    )
    assert (await api.data(q, token=admin))["costReport"] == report
    await rebuild_cost_dims(api.services.db)
    rebuilt = (await api.data(q, token=admin))["costReport"]
    assert rebuilt["byTopic"] == report["byTopic"]
    assert {b["key"] for b in rebuilt["byTier"]} == {"pro", "free"}
    when = datetime.now(UTC) - timedelta(days=30)
    old = {"f": when.isoformat(), "t": (when + timedelta(days=1)).isoformat()}
    empty = "query($f: DateTime, $t: DateTime) { costReport(from: $f, to: $t) { byTopic { key } byTier { key } } }"
    assert (await api.data(empty, old, token=admin))["costReport"] == {"byTopic": [], "byTier": []}


async def test_provider_stats_and_the_cost_report_count_the_same_calls(api):
    """providerStats counted every ASSISTANT reply (one without usage too: openai/gpt-4o
    showed 19 requests there and 18 in costReport.byModel) and no SYSTEM or USER message
    with usage. Both now count the AI calls, the messages carrying usage whatever their
    role: requests, tokens and cost agree per provider/model, before and after a rebuild.
    A reply without usage (no model call) adds nothing there, nor to the latency; its
    rating still counts."""
    from scripts.rebuild_stats import rebuild_all

    _, token = await api.user()
    _, admin = await api.admin()
    tutor = await api.tutor()
    sid = (await api.data(START, {"t": "travel"}, token=token))["startSession"]["id"]
    for ms in (400, 800):
        await _reply(api, token, sid, ms=ms)
    canned = {"sessionId": sid, "role": "ASSISTANT", "content": "Hello again!"}
    canned |= {"provider": "openai", "model": "gpt-4o", "responseTimeMs": 9000}
    canned_id = (await api.data(RECORD, {"in": canned}, token=tutor))["recordMessage"]["id"]
    await api.data(RATE, {"id": canned_id, "r": 5}, token=token)
    calls = [
        ("SYSTEM", "openai", "gpt-4o", 300, 100, 0.02, 600),
        ("USER", "openai", "whisper-1", 800, 0, 0.005, None),
        ("SYSTEM", None, None, 10, 0, 0.001, None),  # unnamed: unknown/unknown on both
    ]
    for role, provider, model, tin, tout, cost, ms in calls:
        data = {"sessionId": sid, "role": role, "content": role.lower(), "tokensIn": tin}
        data |= {"tokensOut": tout, "cost": cost}
        data |= {"provider": provider, "model": model} if provider else {}
        data |= {"responseTimeMs": ms} if ms else {}
        await api.data(RECORD, {"in": data}, token=tutor)
    by_model = "{ costReport { totalRequests byModel { key cost tokens requests } } }"

    async def both():
        report = (await api.data(by_model, token=admin))["costReport"]
        stats = (await api.data(STATS, token=admin))["providerStats"]
        return report, stats

    report, stats = await both()
    assert report["totalRequests"] == 5 == sum(s["requests"] for s in stats)
    buckets = {b["key"]: (b["requests"], b["tokens"], b["cost"]) for b in report["byModel"]}
    assert buckets == {
        f"{s['provider']}/{s['model']}": (s["requests"], s["tokens"], s["cost"]) for s in stats
    }
    assert buckets["openai/gpt-4o"] == (3, 640, pytest.approx(0.04))
    assert {"openai/whisper-1", "unknown/unknown"} <= buckets.keys()
    gpt = _stat(stats, "openai", "gpt-4o")
    assert gpt["avgResponseTimeMs"] == 600.0  # 400, 800 and 600: not the canned reply's 9000
    assert (gpt["ratedCount"], gpt["avgRating"]) == (1, 5.0)  # the canned reply's rating

    await rebuild_all(api.services.db, 14.0, progress=False)
    assert await both() == (report, stats)


async def test_a_rated_reply_without_usage_keeps_its_rating_through_a_rebuild(api):
    """A rated reply without usage is the only one of its provider/model: its
    provider_daily row holds a rating and no call. A rebuild keeps the row (it deleted a
    row no counted message derives), and rebuilds it when it is gone."""
    from scripts.rebuild_stats import rebuild_all

    _, token = await api.user()
    _, admin = await api.admin()
    tutor = await api.tutor()
    sid = (await api.data(START, {}, token=token))["startSession"]["id"]
    await _reply(api, token, sid)
    canned = {"sessionId": sid, "role": "ASSISTANT", "content": "Welcome!"}
    canned |= {"provider": "templates", "model": "welcome"}
    canned_id = (await api.data(RECORD, {"in": canned}, token=tutor))["recordMessage"]["id"]
    await api.data(RATE, {"id": canned_id, "r": 4, "h": True}, token=token)
    stats = (await api.data(STATS, token=admin))["providerStats"]
    row = _stat(stats, "templates", "welcome")
    assert (row["requests"], row["tokens"], row["avgResponseTimeMs"]) == (0, 0, None)
    assert (row["ratedCount"], row["avgRating"], row["helpfulShare"]) == (1, 4.0, 1.0)
    db = api.services.db
    await rebuild_all(db, 14.0, progress=False)
    assert (await api.data(STATS, token=admin))["providerStats"] == stats
    await db.provider_daily.delete_many({})
    await rebuild_all(db, 14.0, progress=False)
    assert (await api.data(STATS, token=admin))["providerStats"] == stats


class _Lost:
    """The n-th write to a collection is applied, then its answer is lost (the driver's
    one retry failing too: the caller sees the error)."""

    def __init__(self, collection: str, call: str) -> None:
        self.collection, self.call = collection, call

    def wrap(self, coll):
        from models.driver_calls import CollectionProxy

        lost = self

        class Lost(CollectionProxy):
            async def _call(self, name, method, a, k):
                result = await method(*a, **k)
                if self.name == lost.collection and name == lost.call:
                    from pymongo.errors import AutoReconnect

                    raise AutoReconnect("applied, then the connection closed (simulated)")
                return result

        return Lost(coll)


@pytest.mark.parametrize(
    ("collection", "call"),
    [("session_events", "insert_one"), ("messages", "update_one")],
)
async def test_a_rating_retried_after_its_answer_was_lost_is_one_event(api, collection, call):
    """rateMessage's event was stored (or its pending mark cleared) and the answer lost:
    the app retries the same rating. Before, each retry was a new cause with an event of
    its own: the learner's other devices and the tutor saw MESSAGE_RATED twice for one
    tap. A retry repeating the stored rating finishes the pending one, or is answered
    without a second event; another rating is still a new event."""
    _, token = await api.user(tier="premium")
    sid = (await api.data(START, {"t": "Travel"}, token=token))["startSession"]["id"]
    reply = await _reply(api, token, sid)
    db = api.services.db
    with db.wrapped(_Lost(collection, call).wrap):
        body = (await api.gql(RATE, {"id": reply, "r": 4, "h": True}, token=token)).json()
    assert body["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    again = await api.data(RATE, {"id": reply, "r": 4, "h": True}, token=token)
    assert again["rateMessage"] == {"id": reply, "rating": 4, "helpful": True}
    events = [e async for e in db.session_events.find({"session_id": sid, "type": "message_rated"})]
    assert len(events) == 1
    changed = await api.data(RATE, {"id": reply, "r": 2, "h": True}, token=token)
    assert changed["rateMessage"]["rating"] == 2
    rated = [e async for e in db.session_events.find({"session_id": sid, "type": "message_rated"})]
    assert sorted(e["message"]["rating"] for e in rated) == [2, 4]
    [stat] = (await api.data(STATS, token=(await api.admin())[1]))["providerStats"]
    assert (stat["ratedCount"], stat["avgRating"]) == (1, 2.0)
    assert await db.messages.count_documents({"rating_event": {"$exists": True}}) == 0
