"""The admin cost report and the cost threshold alerts."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from models.instrument import RoundTrips
from resolvers.demo.seed import seed_database
from resolvers.messages import apply_message
from tests.conftest import make_settings, running_api

REPORT = """query($from: DateTime, $to: DateTime, $top: Int) {
  costReport(from: $from, to: $to, top: $top) {
    from to totalCost totalTokens totalRequests today thisHour thisWeek
    byProvider { key cost tokens requests } byModel { key cost tokens requests }
    byDay { key cost tokens requests }
    topUsers { user { id name } cost tokens requests }
    alerts { level window threshold value message } } }"""


async def assistant(api, user_id, ts, cost, provider="openai", model="gpt-4o", tokens=(100, 50)):
    db = api.services.db
    doc = {
        "_id": str(uuid.uuid4()),
        "session_id": "s-" + user_id,
        "user_id": user_id,
        "role": "assistant",
        "content": "reply",
        "timestamp": ts,
        "provider": provider,
        "model": model,
        "tokens_in": tokens[0],
        "tokens_out": tokens[1],
        "cost": cost,
        "errors": [],
        "applied": False,
    }
    await db.messages.insert_one(doc)
    await apply_message(db, doc, 14.0)
    return doc


async def test_report_equals_sums_of_the_seeded_messages(api):
    db = api.services.db
    await seed_database(db, users=8, seed=3)
    _, admin = await api.admin()
    now = datetime.now(UTC)
    variables = {"from": (now - timedelta(days=90)).isoformat(), "to": now.isoformat(), "top": 3}
    report = (await api.data(REPORT, variables, token=admin))["costReport"]

    totals = {"cost": 0.0, "tokens": 0, "requests": 0}
    provider, model, day, user = (
        defaultdict(lambda: {"cost": 0.0, "tokens": 0, "requests": 0}) for _ in range(4)
    )
    async for m in db.messages.find({"role": "assistant"}):
        tokens = (m.get("tokens_in") or 0) + (m.get("tokens_out") or 0)
        for bucket in (
            totals,
            provider[m["provider"]],
            model[f"{m['provider']}/{m['model']}"],
            day[m["timestamp"].astimezone(UTC).strftime("%Y-%m-%d")],
            user[m["user_id"]],
        ):
            bucket["cost"] += m["cost"]
            bucket["tokens"] += tokens
            bucket["requests"] += 1
    assert report["totalRequests"] == totals["requests"] > 100
    assert report["totalTokens"] == totals["tokens"]
    assert report["totalCost"] == pytest.approx(totals["cost"], rel=1e-6)
    for field, expected in (("byProvider", provider), ("byModel", model), ("byDay", day)):
        got = {b["key"]: b for b in report[field]}
        assert set(got) == set(expected), field
        for key, sums in expected.items():
            assert got[key]["requests"] == sums["requests"] and got[key]["tokens"] == sums["tokens"]
            assert got[key]["cost"] == pytest.approx(sums["cost"], rel=1e-6)
    assert [b["key"] for b in report["byDay"]] == sorted(day)
    costs = [b["cost"] for b in report["byProvider"]]
    assert costs == sorted(costs, reverse=True)
    top = sorted(user.items(), key=lambda kv: -kv[1]["cost"])[:3]
    assert [u["user"]["id"] for u in report["topUsers"]] == [uid for uid, _ in top]
    assert all(u["user"]["name"] for u in report["topUsers"])


async def test_days_are_utc_and_windows_are_whole_days(api):
    user, _ = await api.user()
    _, admin = await api.admin()
    late = datetime(2026, 3, 9, 23, 59, 59, 999000, tzinfo=UTC)
    early = datetime(2026, 3, 10, 0, 0, 0, tzinfo=UTC)
    await assistant(api, user["_id"], late, 1.0)
    await assistant(api, user["_id"], early, 2.0)
    both = await api.data(
        REPORT, {"from": "2026-03-09T00:00:00Z", "to": "2026-03-10T12:00:00Z"}, token=admin
    )
    assert [(b["key"], b["cost"]) for b in both["costReport"]["byDay"]] == [
        ("2026-03-09", 1.0),
        ("2026-03-10", 2.0),
    ]
    # 01:00 on the 10th in UTC+05:00 is 20:00 on the 9th in UTC: only the 9th.
    first = await api.data(
        REPORT,
        {"from": "2026-03-10T01:00:00+05:00", "to": "2026-03-10T02:00:00+05:00"},
        token=admin,
    )
    report = first["costReport"]
    assert report["totalCost"] == 1.0
    # [from, to) like every window of the API: `to` is the midnight after the last day.
    assert report["from"].startswith("2026-03-09T00:00:00") and report["to"].startswith(
        "2026-03-10T00:00:00"
    )
    # A `to` at midnight leaves that day out; `from` equal to `to` is an empty window.
    to_midnight = await api.data(
        REPORT, {"from": "2026-03-09T00:00:00Z", "to": "2026-03-10T00:00:00Z"}, token=admin
    )
    assert [b["key"] for b in to_midnight["costReport"]["byDay"]] == ["2026-03-09"]
    empty = await api.gql(
        REPORT, {"from": "2026-03-09T00:00:00Z", "to": "2026-03-09T00:00:00Z"}, token=admin
    )
    assert empty.json()["errors"][0]["extensions"]["field"] == "from"


async def test_a_window_given_only_to_is_the_seven_days_before_it(api):
    """`to` at a midnight ends the day before; without `from` the window is the 7 whole
    days up to it (as with no arguments: today and the 6 before). Before, a midnight `to`
    gave 6 days, and the first day's costs were left out."""
    user, _ = await api.user()
    _, admin = await api.admin()
    await assistant(api, user["_id"], datetime(2026, 3, 3, 12, tzinfo=UTC), 1.0)  # day 1
    await assistant(api, user["_id"], datetime(2026, 3, 9, 23, tzinfo=UTC), 2.0)  # day 7
    await assistant(api, user["_id"], datetime(2026, 3, 10, 1, tzinfo=UTC), 4.0)  # after
    for to in ("2026-03-10T00:00:00Z", "2026-03-09T23:30:00Z"):
        report = (await api.data(REPORT, {"to": to}, token=admin))["costReport"]
        assert report["from"].startswith("2026-03-03T00:00:00"), to
        assert report["totalCost"] == 3.0, to
        stats = await api.data(
            "query($to: DateTime) { providerStats(to: $to) { requests } }", {"to": to}, token=admin
        )
        assert sum(s["requests"] for s in stats["providerStats"]) == 2, to


async def test_today_this_hour_this_week_and_alerts():
    async with running_api(make_settings(cost_alert_hourly=1.0, cost_alert_daily=1.5)) as api:
        user, token = await api.user()
        _, admin = await api.admin()
        start = "mutation($in: StartSessionInput!) { startSession(input: $in) { id } }"
        sid = (
            await api.data(
                start, {"in": {"userId": user["_id"], "provider": "openai"}}, token=token
            )
        )["startSession"]["id"]
        record = "mutation($in: RecordMessageInput!) { recordMessage(input: $in) { cost } }"
        for i in range(3):
            await api.data(
                record,
                {
                    "in": {
                        "sessionId": sid,
                        "role": "ASSISTANT",
                        "content": f"r{i}",
                        "model": "gpt-4o",
                        "tokensIn": 10,
                        "tokensOut": 10,
                        "cost": 0.6,
                    }
                },
                token=await api.tutor(),
            )
        report = (await api.data(REPORT, {}, token=admin))["costReport"]
        assert report["thisHour"] == pytest.approx(1.8) and report["today"] == pytest.approx(1.8)
        assert report["thisWeek"] == pytest.approx(1.8)
        levels = {(a["window"], a["level"]) for a in report["alerts"]}
        assert levels == {("HOUR", "CRITICAL"), ("DAY", "CRITICAL")}


async def test_threshold_warning_is_logged_once(capsys):
    async with running_api(make_settings(cost_alert_hourly=1.0, cost_alert_daily=1.5)) as api:
        user, token = await api.user()
        start = "mutation($in: StartSessionInput!) { startSession(input: $in) { id } }"
        sid = (await api.data(start, {"in": {"userId": user["_id"]}}, token=token))["startSession"][
            "id"
        ]
        record = "mutation($in: RecordMessageInput!) { recordMessage(input: $in) { id } }"
        capsys.readouterr()
        for i in range(5):
            await api.data(
                record,
                {
                    "in": {
                        "sessionId": sid,
                        "role": "ASSISTANT",
                        "content": f"r{i}",
                        "provider": "anthropic",
                        "model": "claude-sonnet-4",
                        "tokensIn": 1,
                        "tokensOut": 1,
                        "cost": 0.6,
                    }
                },
                token=await api.tutor(),
            )
        events = [
            json.loads(line)
            for line in capsys.readouterr().out.splitlines()
            if line.startswith("{")
        ]
        alerts = [e for e in events if e["event"] == "cost_threshold_exceeded"]
        assert [(a["window"], a["threshold"]) for a in alerts] == [("hour", 1.0), ("day", 1.5)]
        hour, day = alerts
        assert hour["value"] == pytest.approx(1.2) and day["value"] == pytest.approx(1.8)
        assert (
            hour["level"] == "warning" and hour["provider"] == "anthropic" and "request_id" in hour
        )


async def test_cost_is_computed_from_tokens_and_lands_in_the_report(api):
    from resolvers.pricing import load_pricing

    user, token = await api.user()
    _, admin = await api.admin()
    start = "mutation($in: StartSessionInput!) { startSession(input: $in) { id } }"
    sid = (
        await api.data(start, {"in": {"userId": user["_id"], "provider": "gemini"}}, token=token)
    )["startSession"]["id"]
    record = "mutation($in: RecordMessageInput!) { recordMessage(input: $in) { cost } }"
    got = (
        await api.data(
            record,
            {
                "in": {
                    "sessionId": sid,
                    "role": "ASSISTANT",
                    "content": "hi",
                    "model": "gemini-2.0-flash",
                    "tokensIn": 12_000,
                    "tokensOut": 3_000,
                }
            },
            token=await api.tutor(),
        )
    )["recordMessage"]["cost"]
    expected = load_pricing().cost("gemini", "gemini-2.0-flash", 12_000, 3_000)
    assert got == pytest.approx(expected) and expected > 0
    report = (await api.data(REPORT, {}, token=admin))["costReport"]
    assert report["byModel"] == [
        {
            "key": "gemini/gemini-2.0-flash",
            "cost": pytest.approx(expected),
            "tokens": 15_000,
            "requests": 1,
        }
    ]


async def test_a_providers_name_in_another_case_is_priced_and_reported_as_one(capsys):
    """A tutor service sending "OpenAI" / "GPT-4o-mini" was charged the unknown-model
    fallback (0.04 for 1,000 + 1,000 tokens, 53x gpt-4o-mini's 0.00075) in a costReport
    bucket of its own. Names are now stored in one case; a name no price is known for is
    logged once."""
    from resolvers.pricing import load_pricing

    async with running_api(make_settings()) as api:
        user, token = await api.user()
        _, admin = await api.admin()
        tutor = await api.tutor()
        start = "mutation($in: StartSessionInput!) { startSession(input: $in) { id provider } }"
        started = (
            await api.data(
                start, {"in": {"userId": user["_id"], "provider": " OpenAI "}}, token=token
            )
        )["startSession"]
        assert started["provider"] == "openai"
        record = """mutation($in: RecordMessageInput!) {
          recordMessage(input: $in) { cost provider model } }"""
        spellings = [("OpenAI", "GPT-4o-mini"), ("openai", "gpt-4o-mini"), (None, "Gpt-4O-Mini")]
        for provider, model in spellings:
            data = {
                "sessionId": started["id"],
                "role": "ASSISTANT",
                "content": "hi",
                "model": model,
            }
            data |= {"tokensIn": 1000, "tokensOut": 1000}
            if provider is not None:
                data["provider"] = provider
            got = (await api.data(record, {"in": data}, token=tutor))["recordMessage"]
            assert got == {
                "cost": pytest.approx(0.00075),
                "provider": "openai",
                "model": "gpt-4o-mini",
            }
        report = (await api.data(REPORT, {}, token=admin))["costReport"]
        assert [(b["key"], b["requests"]) for b in report["byModel"]] == [("openai/gpt-4o-mini", 3)]
        assert report["totalCost"] == pytest.approx(3 * 0.00075)
        capsys.readouterr()
        for _ in range(2):
            assert load_pricing().cost("acme", "Tutor-X", 1000, 1000) == pytest.approx(0.04)
        events = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
        assert [(e["event"], e["provider"], e["model"]) for e in events] == [
            ("unpriced_model", "acme", "Tutor-X")
        ]


async def test_rows_written_before_names_were_lower_case_still_match():
    """A session started before names were stored lower-case ("OpenAI") lends its name to
    a reply that sends none, in one case; a retry of a reply stored as "OpenAI" then is the
    same call, not a reuse of its key with other values."""
    async with running_api(make_settings()) as api:
        user, token = await api.user()
        tutor = await api.tutor()
        start = "mutation($in: StartSessionInput!) { startSession(input: $in) { id } }"
        sid = (await api.data(start, {"in": {"userId": user["_id"]}}, token=token))["startSession"][
            "id"
        ]
        db = api.services.db
        await db.sessions.update_one({"_id": sid}, {"$set": {"provider": "OpenAI"}})
        record = """mutation($in: RecordMessageInput!) {
          recordMessage(input: $in) { id provider model cost } }"""
        reply = {"sessionId": sid, "role": "ASSISTANT", "content": "hi", "model": "gpt-4o-mini"}
        reply |= {"tokensIn": 1000, "tokensOut": 1000, "cost": 0.00075, "idempotencyKey": "r1"}
        got = (await api.data(record, {"in": reply}, token=tutor))["recordMessage"]
        assert (got["provider"], got["model"]) == ("openai", "gpt-4o-mini")
        await db.messages.update_one(
            {"_id": got["id"]}, {"$set": {"provider": "OpenAI", "model": "GPT-4o-mini"}}
        )
        again = (await api.data(record, {"in": reply}, token=tutor))["recordMessage"]
        assert again["id"] == got["id"]


async def test_rebuild_with_lower_case_names_merges_rows_written_before_in_another_case(api):
    """Replies stored as "OpenAI/GPT-4o" before names were lower-cased sit in costReport
    and providerStats apart from "openai/gpt-4o"; `scripts.rebuild_stats
    --lower-case-names` writes the names in lower case and rebuilds them into one."""
    from scripts.rebuild_stats import lower_case_names, rebuild_all

    user, _ = await api.user()
    _, admin = await api.admin()
    at = datetime.now(UTC) - timedelta(minutes=5)
    await assistant(api, user["_id"], at, 0.5, provider="OpenAI", model="GPT-4o")
    await assistant(api, user["_id"], at, 0.25, provider="openai", model="gpt-4o")
    stats = "{ providerStats { provider model requests cost } }"
    before = (await api.data(REPORT, {}, token=admin))["costReport"]
    assert {b["key"] for b in before["byModel"]} == {"OpenAI/GPT-4o", "openai/gpt-4o"}
    db = api.services.db
    assert (await lower_case_names(db))["messages"] == 2  # one reply's provider and model
    await rebuild_all(db, 14.0, progress=False)
    after = (await api.data(REPORT, {}, token=admin))["costReport"]
    assert after["byModel"] == [
        {"key": "openai/gpt-4o", "cost": pytest.approx(0.75), "tokens": 300, "requests": 2}
    ]
    assert after["totalCost"] == pytest.approx(0.75)
    assert (await api.data(stats, token=admin))["providerStats"] == [
        {"provider": "openai", "model": "gpt-4o", "requests": 2, "cost": pytest.approx(0.75)}
    ]
    assert (await lower_case_names(db))["messages"] == 0  # nothing left to write


async def test_pricing_overrides_from_configuration():
    overrides = json.dumps({"acme": {"tutor-1": {"input": 0.001, "output": 0.002}}})
    async with running_api(make_settings(pricing_overrides=overrides)) as api:
        user, token = await api.user()
        start = "mutation($in: StartSessionInput!) { startSession(input: $in) { id } }"
        sid = (
            await api.data(start, {"in": {"userId": user["_id"], "provider": "acme"}}, token=token)
        )["startSession"]["id"]
        record = "mutation($in: RecordMessageInput!) { recordMessage(input: $in) { cost } }"
        cost = (
            await api.data(
                record,
                {
                    "in": {
                        "sessionId": sid,
                        "role": "ASSISTANT",
                        "content": "x",
                        "model": "tutor-1",
                        "tokensIn": 10,
                        "tokensOut": 5,
                    }
                },
                token=await api.tutor(),
            )
        )["recordMessage"]["cost"]
        assert cost == pytest.approx(0.02)


async def test_access_and_bad_windows(api):
    _, learner = await api.user()
    _, admin = await api.admin()
    refused = (await api.gql(REPORT, {}, token=learner)).json()
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN" and refused["data"] is None
    inverted = (
        await api.gql(
            REPORT, {"from": "2026-03-10T00:00:00Z", "to": "2026-03-01T00:00:00Z"}, token=admin
        )
    ).json()
    assert inverted["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "from"}
    too_wide = (
        await api.gql(
            REPORT, {"from": "2024-01-01T00:00:00Z", "to": "2025-06-01T00:00:00Z"}, token=admin
        )
    ).json()
    assert too_wide["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "from"}
    bad_top = (await api.gql(REPORT, {"top": 0}, token=admin)).json()
    assert bad_top["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "top"}


async def test_report_round_trips_do_not_grow_with_users(api):
    _, admin = await api.admin()
    now = datetime.now(UTC)
    for i in range(30):
        u, _ = await api.user()
        await assistant(api, u["_id"], now - timedelta(days=i % 5), 0.01 * (i + 1))
    counter = RoundTrips()
    await api.data("{ me { id } }", token=admin)
    with api.services.db.wrapped(counter.wrap):
        report = (await api.data(REPORT, {"top": 25}, token=admin))["costReport"]
    assert len(report["topUsers"]) == 25
    assert dict(counter.calls) == {
        ("cost_daily", "aggregate"): 1,
        ("cost_dims", "aggregate"): 1,  # byTopic / byTier
        ("cost_totals", "find"): 1,
        ("users", "find"): 1,
    }


async def test_usage_on_system_and_user_messages_is_billed_like_a_reply(capsys):
    """A tutor-written SYSTEM message with usage and a USER message the tutor recorded with
    its speech-to-text call's usage were added to the session's totalCost but left out of
    costReport (totals, byModel, byDay, the hour and day alerts), and were not priced from
    their tokens: the admin's bill was 0.2 for sessions that cost 1.1."""
    prices = {
        "acme": {
            "think-1": {"input": 0.001, "output": 0.002},
            "listen-1": {"input": 0.001, "output": 0.0},
        }
    }
    settings = make_settings(
        pricing_overrides=json.dumps(prices), cost_alert_hourly=1.0, cost_alert_daily=1.05
    )
    async with running_api(settings) as api:
        user, token = await api.user()
        _, admin = await api.admin()
        tutor = await api.tutor()
        start = "mutation($in: StartSessionInput!) { startSession(input: $in) { id } }"
        sid = (
            await api.data(start, {"in": {"userId": user["_id"], "provider": "acme"}}, token=token)
        )["startSession"]["id"]
        record = """mutation($in: RecordMessageInput!) {
          recordMessage(input: $in) { role provider model cost } }"""
        turn = [
            # (role, fields): the reply with its own cost; the SYSTEM call priced from its
            # tokens and named after the session's provider; the learner's utterance as the
            # tutor recorded it, with what transcribing it cost; messages without usage.
            ("ASSISTANT", {"model": "think-1", "tokensIn": 100, "tokensOut": 50, "cost": 0.2}),
            ("SYSTEM", {"model": "think-1", "tokensIn": 200, "tokensOut": 100}),
            ("SYSTEM", {}),
            ("USER", {"provider": "acme", "model": "listen-1", "tokensIn": 500, "tokensOut": 0}),
            ("USER", {}),
        ]
        capsys.readouterr()
        got = []
        for role, fields in turn:
            data = {"sessionId": sid, "role": role, "content": role.lower(), **fields}
            writer = token if role == "USER" and not fields else tutor
            got.append((await api.data(record, {"in": data}, token=writer))["recordMessage"])
        assert [(m["provider"], m["cost"]) for m in got] == [
            ("acme", 0.2),
            ("acme", pytest.approx(0.4)),
            (None, None),
            ("acme", pytest.approx(0.5)),
            (None, None),
        ]
        events = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
        crossed = [
            (e["window"], e["model"]) for e in events if e["event"] == "cost_threshold_exceeded"
        ]
        assert crossed == [("hour", "listen-1"), ("day", "listen-1")]  # the USER call crossed

        session = "query($s: ID!) { session(id: $s) { totalCost totalTokens } }"
        totals = (await api.data(session, {"s": sid}, token=admin))["session"]
        assert totals == {"totalCost": pytest.approx(1.1), "totalTokens": 950}
        report = (await api.data(REPORT, {}, token=admin))["costReport"]
        assert report["totalCost"] == pytest.approx(totals["totalCost"])
        assert (report["totalTokens"], report["totalRequests"]) == (950, 3)
        assert report["byModel"] == [
            {"key": "acme/think-1", "cost": pytest.approx(0.6), "tokens": 450, "requests": 2},
            {"key": "acme/listen-1", "cost": pytest.approx(0.5), "tokens": 500, "requests": 1},
        ]
        today = datetime.now(UTC).strftime("%Y-%m-%d")
        assert [(d["key"], d["cost"], d["requests"]) for d in report["byDay"]] == [
            (today, pytest.approx(1.1), 3)
        ]
        assert report["thisHour"] == pytest.approx(1.1) and report["today"] == pytest.approx(1.1)
        assert {(a["window"], a["level"]) for a in report["alerts"]} == {
            ("HOUR", "CRITICAL"),
            ("DAY", "CRITICAL"),
        }
        assert [(u["user"]["id"], u["cost"]) for u in report["topUsers"]] == [
            (user["_id"], pytest.approx(1.1))
        ]


async def test_sessions_total_cost_adds_up_to_the_report_for_a_window(api):
    """The sum of the sessions' totalCost over a window is costReport.totalCost, whatever
    the roles of the messages that carried the usage."""
    _, admin = await api.admin()
    tutor = await api.tutor()
    start = "mutation($in: StartSessionInput!) { startSession(input: $in) { id } }"
    record = "mutation($in: RecordMessageInput!) { recordMessage(input: $in) { id } }"
    sessions = []
    for i, role in enumerate(["ASSISTANT", "SYSTEM", "USER"] * 2):
        user, token = await api.user()
        sid = (await api.data(start, {"in": {"userId": user["_id"]}}, token=token))["startSession"][
            "id"
        ]
        sessions.append(sid)
        for j in range(2):
            usage = {"provider": "openai", "model": "gpt-4o-mini", "tokensIn": 100 * (i + 1)}
            usage |= {"tokensOut": 10 * j} if j else {"cost": 0.01 * (i + 1)}
            data = {"sessionId": sid, "role": role, "content": f"{role} {j}", **usage}
            await api.data(record, {"in": data}, token=tutor)
    read = "query($s: ID!) { session(id: $s) { totalCost totalTokens } }"
    totals = [(await api.data(read, {"s": s}, token=admin))["session"] for s in sessions]
    report = (await api.data(REPORT, {}, token=admin))["costReport"]
    assert report["totalCost"] == pytest.approx(sum(t["totalCost"] for t in totals), rel=1e-9)
    assert report["totalTokens"] == sum(t["totalTokens"] for t in totals)
    assert report["totalRequests"] == 12


async def test_a_retry_of_a_message_an_older_replica_left_unpriced_is_the_same_call(api):
    """Before every AI call was priced, a SYSTEM message with tokens was stored without a
    cost or a provider; its retry (same key, same fields) on an upgraded replica is the same
    call, not a reuse of the key. A retry that sends another cost still is."""
    user, token = await api.user()
    tutor = await api.tutor()
    start = "mutation($in: StartSessionInput!) { startSession(input: $in) { id } }"
    sid = (
        await api.data(start, {"in": {"userId": user["_id"], "provider": "openai"}}, token=token)
    )["startSession"]["id"]
    record = "mutation($in: RecordMessageInput!) { recordMessage(input: $in) { id cost } }"
    data = {"sessionId": sid, "role": "SYSTEM", "content": "summary", "model": "gpt-4o-mini"}
    data |= {"tokensIn": 1000, "tokensOut": 1000, "idempotencyKey": "sys-1"}
    first = (await api.data(record, {"in": data}, token=tutor))["recordMessage"]
    assert first["cost"] == pytest.approx(0.00075)
    await api.services.db.messages.update_one(
        {"_id": first["id"]}, {"$unset": {"cost": "", "provider": ""}}
    )
    again = (await api.data(record, {"in": data}, token=tutor))["recordMessage"]
    assert again == {"id": first["id"], "cost": None}
    other = (await api.gql(record, {"in": {**data, "cost": 0.5}}, token=tutor)).json()
    assert other["errors"][0]["extensions"]["field"] == "idempotencyKey"


async def test_a_retry_after_the_price_list_changed_is_the_same_call(api):
    """The tutor's reply priced from its tokens, its answer lost, the price list changed
    (a PRICING_OVERRIDES deploy; in a rolling one the retry lands on a replica with the new
    prices), the retry sends the same fields: it is the same call, answered with what was
    billed. Before, the retry was refused as a reused idempotencyKey (the re-priced cost
    0.0015 differed from the stored 0.00075), and a tutor that then sent the reply under a
    new key was billed for it twice (0.00225 for one reply)."""
    user, token = await api.user()
    _, admin = await api.admin()
    tutor = await api.tutor()
    start = "mutation($in: StartSessionInput!) { startSession(input: $in) { id } }"
    sid = (
        await api.data(start, {"in": {"userId": user["_id"], "provider": "openai"}}, token=token)
    )["startSession"]["id"]
    record = "mutation($in: RecordMessageInput!) { recordMessage(input: $in) { id cost } }"
    data = {"sessionId": sid, "role": "ASSISTANT", "content": "Nearly!", "model": "gpt-4o-mini"}
    data |= {"tokensIn": 1000, "tokensOut": 1000, "idempotencyKey": "turn-7-reply"}
    first = (await api.data(record, {"in": data}, token=tutor))["recordMessage"]
    assert first["cost"] == pytest.approx(0.00075)
    doubled = {"openai": {"gpt-4o-mini": {"input": 0.30 / 1e6, "output": 1.20 / 1e6}}}
    api.services.settings.pricing_overrides = json.dumps(doubled)
    again = (await api.data(record, {"in": data}, token=tutor))["recordMessage"]
    assert again == first
    report = (await api.data(REPORT, {}, token=admin))["costReport"]
    assert (report["totalRequests"], report["totalCost"]) == (1, pytest.approx(0.00075))
    # Another message under the key (other tokens) is still refused.
    other = (await api.gql(record, {"in": {**data, "tokensOut": 5}}, token=tutor)).json()
    assert other["errors"][0]["extensions"]["field"] == "idempotencyKey"


async def test_dated_model_snapshots_are_priced_as_their_model(api):
    """What a provider's API answers as the model (a dated snapshot) and the Anthropic
    names of docs/api-clients.md's example were billed at the unknown-model fallback: the
    example's reply (anthropic/claude-3-5-sonnet, 420 in, 96 out) cost 0.00708 instead of
    0.0027, a gpt-4o-mini-2024-07-18 reply of 1,000 + 1,000 tokens 0.04 instead of
    0.00075. A snapshot priced apart from its family keeps its own entry."""
    user, token = await api.user()
    _, admin = await api.admin()
    tutor = await api.tutor()
    start = "mutation($in: StartSessionInput!) { startSession(input: $in) { id } }"
    sid = (await api.data(start, {"in": {"userId": user["_id"]}}, token=token))["startSession"][
        "id"
    ]
    record = "mutation($in: RecordMessageInput!) { recordMessage(input: $in) { cost } }"
    cases = [
        ("anthropic", "claude-3-5-sonnet", 420, 96, 0.0027),
        ("anthropic", "claude-3-5-sonnet-20241022", 420, 96, 0.0027),
        ("anthropic", "claude-3-5-haiku-latest", 1000, 1000, 0.0048),
        ("openai", "gpt-4o-mini-2024-07-18", 1000, 1000, 0.00075),
        ("openai", "gpt-4o-2024-08-06", 1000, 1000, 0.0125),
        ("openai", "gpt-4o-2024-05-13", 1000, 1000, 0.02),
        ("gemini", "gemini-2.0-flash@20250101", 1000, 1000, 0.0005),
        ("openai", "gpt-9", 1000, 1000, 0.04),  # unknown: the fallback, never free
    ]
    for provider, model, tokens_in, tokens_out, expected in cases:
        data = {"sessionId": sid, "role": "ASSISTANT", "content": model, "provider": provider}
        data |= {"model": model, "tokensIn": tokens_in, "tokensOut": tokens_out}
        got = (await api.data(record, {"in": data}, token=tutor))["recordMessage"]["cost"]
        assert got == pytest.approx(expected), model
    report = (await api.data(REPORT, {}, token=admin))["costReport"]
    assert report["totalCost"] == pytest.approx(sum(c[-1] for c in cases))


async def test_every_cost_report_field_says_what_it_counts(api):
    """An admin reading the schema to put costReport's numbers in a budget could not tell
    the currency, that tokens are in + out, that today/thisHour/thisWeek ignore from/to, or
    that byDay leaves out days without calls: 20 of the 28 fields of CostReport, CostBucket,
    UserCost and CostAlert had no description."""
    query = """query($n: String!) { __type(name: $n) {
      fields { name description } } }"""
    missing = []
    for name in ("CostReport", "CostBucket", "UserCost", "CostAlert", "ProviderStat"):
        fields = (await api.data(query, {"n": name}))["__type"]["fields"]
        missing += [f"{name}.{f['name']}" for f in fields if not f["description"]]
        described = {f["name"]: f["description"] or "" for f in fields}
        if name == "CostReport":
            for live in ("today", "thisHour", "thisWeek"):
                assert "whatever from/to say" in described[live], live
            assert "without AI calls" in described["byDay"]
        for money in ("cost", "totalCost", "value", "threshold"):
            if money in described:
                assert "US dollars" in described[money], f"{name}.{money}"
    assert missing == ["CostAlert.message", "ProviderStat.provider", "ProviderStat.model"]


async def test_token_totals_past_32_bits_are_reported(api):
    """80M tokens a day (a few thousand learners' turns) is 2.4 billion in a month: past
    GraphQL Int's 2^31, so costReport for November answered HTTP 400, `data: null`, "Int
    cannot represent non 32-bit signed integer value: 2400000000", and providerStats the
    same: the admin got no report at all. Token totals are BigInt, JSON integers as before."""
    user, _ = await api.user()
    _, admin = await api.admin()
    day = datetime(2026, 11, 1, 12, tzinfo=UTC)
    for i in range(30):
        await assistant(
            api, user["_id"], day + timedelta(days=i), 20.0, tokens=(60_000_000, 20_000_000)
        )
    month = {"from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"}
    response = await api.gql(REPORT, month, token=admin)
    assert response.status_code == 200, response.text
    report = response.json()["data"]["costReport"]
    assert (report["totalTokens"], report["totalCost"]) == (2_400_000_000, 600.0)
    assert type(report["totalTokens"]) is int  # a JSON integer, not 2400000000.0
    assert report["byModel"][0]["tokens"] == report["topUsers"][0]["tokens"] == 2_400_000_000
    stats = "query($f: DateTime, $t: DateTime) { providerStats(from: $f, to: $t) { tokens } }"
    got = await api.data(stats, {"f": month["from"], "t": month["to"]}, token=admin)
    assert got["providerStats"] == [{"tokens": 2_400_000_000}]
