"""Authentication, authorization and the per-tier budgets."""

from __future__ import annotations

import asyncio
import json
import time

import jwt
import pytest

from gateway.auth import issue_token
from tests.conftest import SECRET, make_settings, redis_url, running_api

ME = "{ me { id } }"


async def spend(api, token, n, query=ME):
    statuses = []
    for _ in range(n):
        statuses.append((await api.gql(query, token=token)).status_code)
    return statuses


@pytest.mark.parametrize(("tier", "limit"), [("free", 60), ("pro", 300), ("premium", 1000)])
@pytest.mark.slow
async def test_each_tier_request_limit_is_exact(api, tier, limit):
    _, token = await api.user(tier=tier)
    statuses = await spend(api, token, limit)
    assert statuses == [200] * limit  # the limit-th request still passes
    refused = await api.gql(ME, token=token)
    assert refused.status_code == 429
    body = refused.json()
    err = body["errors"][0]
    assert err["extensions"]["code"] == "RATE_LIMITED"
    assert 1 <= err["extensions"]["retryAfter"] <= 60
    assert refused.headers["Retry-After"] == str(err["extensions"]["retryAfter"])
    assert refused.headers["X-RateLimit-Limit"] == str(limit)
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert body["data"] is None


async def test_anonymous_budget_is_per_ip_and_introspection_is_allowed(api):
    for _ in range(30):
        response = await api.gql("{ __schema { queryType { name } } }")
        assert response.status_code == 200
        assert response.json()["data"]["__schema"]["queryType"]["name"] == "Query"
    assert (await api.gql("{ __typename __schema { queryType { name } } }")).status_code == 429


async def test_anonymous_callers_may_read_nothing_else(api):
    body = (await api.gql(ME)).json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    status = (await api.gql("{ rateLimit { tier limit remaining cost } }")).json()["data"][
        "rateLimit"
    ]
    # the unauthenticated request and this one: every request counts, free fields too
    assert status == {"tier": "ANONYMOUS", "limit": 30, "remaining": 28, "cost": 0}


@pytest.mark.slow
async def test_admins_are_exempt(api):
    _, token = await api.admin()
    assert set(await spend(api, token, 1100)) == {200}
    ext = (await api.gql(ME, token=token)).json()["extensions"]["rateLimit"]
    assert ext["exempt"] is True


async def test_rate_limit_query_spends_a_request_and_no_points(api):
    # Before: reading the budget was free, so a flood of it was never throttled.
    _, token = await api.user(tier="free")
    await spend(api, token, 3)
    points = 1997
    for n in range(1, 11):
        status = (
            await api.data("{ rateLimit { remaining cost pointsRemaining exempt } }", token=token)
        )["rateLimit"]
        assert status["remaining"] == 57 - n and status["cost"] == 0 and status["exempt"] is False
        assert points <= status["pointsRemaining"] <= 2000  # refills, never spent
        points = status["pointsRemaining"]


async def test_every_response_reports_the_budget(api):
    _, token = await api.user(tier="pro")
    response = await api.gql(
        "{ me { id sessions(first: 10) { edges { node { id } } } } }", token=token
    )
    ext = response.json()["extensions"]["rateLimit"]
    assert ext["tier"] == "PRO" and ext["limit"] == 300 and ext["remaining"] == 299
    assert ext["cost"] == 1 + 1 + 10 * 1  # me + connection + 10 session nodes
    assert ext["pointsRemaining"] == 10_000 - ext["cost"]
    assert response.headers["X-RateLimit-Limit"] == "300"
    assert response.headers["X-RateLimit-Remaining"] == "299"
    assert int(response.headers["X-RateLimit-Reset"]) >= int(time.time())
    assert response.headers["X-Query-Cost"] == str(ext["cost"])


async def test_points_bucket_refuses_then_refills():
    # 30-point bucket refilling at 100 points/s; the query costs 1 + 1 + 20 = 22.
    async with running_api(make_settings(cost_bucket_free="30:100")) as api:
        _, token = await api.user(tier="free")
        q = "{ me { sessions(first: 20) { edges { node { id } } } } }"
        assert (await api.gql(q, token=token)).status_code == 200
        refused = await api.gql(q, token=token)
        assert refused.status_code == 429
        err = refused.json()["errors"][0]
        assert err["extensions"]["code"] == "RATE_LIMITED" and err["extensions"]["cost"] == 22
        assert "points" in err["message"]
        await asyncio.sleep(0.3)  # 30 points come back in 0.3 s
        assert (await api.gql(q, token=token)).status_code == 200


async def test_a_request_larger_than_the_tiers_bucket_says_waiting_does_not_help():
    # Before: "retry in 1s", and the same answer after every retry; then a 429 with
    # Retry-After and retryAfter, which a client that obeys them retries forever.
    async with running_api(make_settings(cost_bucket_free="30:100")) as api:
        _, token = await api.user(tier="free")
        q = "{ me { sessions(first: 40) { edges { node { id } } } } }"  # 1 + 1 + 40 points
        refused = await api.gql(q, token=token)
        assert refused.status_code == 400 and "Retry-After" not in refused.headers
        err = refused.json()["errors"][0]
        assert err["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        assert "retryAfter" not in err["extensions"]
        assert err["extensions"]["cost"] == 42 and err["extensions"]["pointsCapacity"] == 30
        assert "cannot run at any time" in err["message"] and "retry in" not in err["message"]
        smaller = "{ me { sessions(first: 10) { edges { node { id } } } } }"
        assert (await api.gql(smaller, token=token)).status_code == 200  # nothing was spent


async def test_a_document_longer_than_the_tiers_bucket_is_not_told_to_retry():
    """Refused before parsing for its length alone (a bucket smaller than the points of a
    long document): 400 without Retry-After, as for a priced one (found in review)."""
    async with running_api(make_settings(cost_bucket_free="50:1")) as api:
        _, token = await api.user(tier="free")
        padded = "{ __typename }" + " " * 30_000 + "# pad"
        refused = await api.gql(padded, token=token)
        assert refused.status_code == 400 and "Retry-After" not in refused.headers
        assert refused.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


async def test_over_the_per_request_maximum_is_query_too_complex(api):
    _, token = await api.user(tier="premium")
    q = "{ me { sessions(first: 100) { edges { node { messages(first: 100) { edges { node { content session { id } user { id } } } } } } } } }"
    response = await api.gql(q, token=token)
    assert response.status_code == 400
    err = response.json()["errors"][0]
    assert err["extensions"]["code"] == "QUERY_TOO_COMPLEX" and err["extensions"]["cost"] > 25_000


async def test_depth_and_alias_limits(api):
    _, token = await api.user()
    deep = "{ me { sessions { edges { node { user { sessions { edges { node { user { sessions { edges { node { id } } } } } } } } } } } } }"
    body = (await api.gql(deep, token=token)).json()
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    aliases = "{ " + " ".join(f"a{i}: me {{ id }}" for i in range(31)) + " }"
    body = (await api.gql(aliases, token=token)).json()
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


async def test_a_tier_upgrade_takes_effect_at_once(api):
    user, token = await api.user(tier="free")
    _, admin = await api.admin()
    await spend(api, token, 60)
    assert (await api.gql(ME, token=token)).status_code == 429
    upgrade = "mutation($id: ID!) { updateUser(id: $id, input: {subscriptionTier: PRO}) { subscriptionTier } }"
    await api.data(upgrade, {"id": user["_id"]}, token=admin)
    response = await api.gql(ME, token=token)
    assert response.status_code == 200
    assert response.json()["extensions"]["rateLimit"]["tier"] == "PRO"


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(
            lambda uid: jwt.encode(
                {"sub": uid, "exp": int(time.time()) + 60}, "another-secret-" * 4, algorithm="HS256"
            ),
            id="forged",
        ),
        pytest.param(
            lambda uid: jwt.encode(
                {"sub": uid, "exp": int(time.time()) - 10}, SECRET, algorithm="HS256"
            ),
            id="expired",
        ),
        pytest.param(
            lambda uid: jwt.encode(
                {"sub": uid, "exp": int(time.time()) + 60}, None, algorithm="none"
            ),
            id="unsigned",
        ),
        pytest.param(lambda uid: jwt.encode({"sub": uid}, SECRET, algorithm="HS256"), id="no-exp"),
        pytest.param(lambda uid: "not.a.jwt", id="garbage"),
    ],
)
async def test_bad_tokens_are_refused(api, make_token):
    user, _ = await api.user()
    response = await api.gql(ME, token=make_token(user["_id"]))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_wrong_auth_scheme_is_refused(api):
    _user, token = await api.user()
    response = await api.client.post(
        "/graphql", json={"query": ME}, headers={"Authorization": f"Token {token}"}
    )
    assert response.status_code == 401


async def test_role_comes_from_the_database_not_the_token(api):
    user, _ = await api.user()
    token = jwt.encode(
        {"sub": user["_id"], "role": "admin", "tier": "premium", "exp": int(time.time()) + 60},
        SECRET,
        algorithm="HS256",
    )
    body = (await api.gql("{ users { totalCount } }", token=token)).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["extensions"]["rateLimit"]["tier"] == "FREE"


@pytest.mark.slow
async def test_redis_counters_are_shared_between_two_gateways():
    pytest.importorskip("redis")
    import redis.asyncio as redis

    probe = redis.from_url(redis_url())
    try:
        await probe.ping()
    except Exception as exc:  # pragma: no cover - CI starts Redis
        pytest.skip(f"Redis is not reachable: {exc}")
    finally:
        await probe.aclose()
    shared = make_settings(redis_url=redis_url())
    other = shared.model_copy(update={"mongo_db": shared.mongo_db})
    async with running_api(shared) as one, running_api(other) as two:
        # Same database name: on a real server (MONGO_URI) both gateways see one store; on
        # the embedded backend each has its own, so the user is written to both (an upsert,
        # which is a no-op on the shared server instead of a DuplicateKeyError).
        user, token = await one.user(tier="free")
        await two.services.db.users.replace_one({"_id": user["_id"]}, user, upsert=True)
        # The first spends ~200 points on gateway one: the bucket two reports is lower
        # however slowly the other 59 go (it refills 40 per second).
        costly = "{ me { sessions(first: 100) { edges { node { messages(first: 15) { totalCount } } } } } }"
        statuses = [(await one.gql(costly, token=token)).status_code]
        for i in range(1, 60):
            api = one if i % 2 == 0 else two
            statuses.append((await api.gql(ME, token=token)).status_code)
        assert statuses == [200] * 60
        assert (await one.gql(ME, token=token)).status_code == 429
        assert (await two.gql(ME, token=token)).status_code == 429
        # Reading the budget is a request too: refused, its answer still reports it.
        refused = await two.gql("{ rateLimit { remaining pointsRemaining } }", token=token)
        assert refused.status_code == 429
        status = refused.json()["extensions"]["rateLimit"]
        assert status["remaining"] == 0
        assert status["pointsRemaining"] < 2000  # the points bucket is shared too


async def test_issue_token_round_trip(api):
    user, _ = await api.user(name="Tok")
    token = issue_token(api.services.settings, user["_id"], ttl_seconds=60)
    assert (await api.data("{ me { name } }", token=token))["me"]["name"] == "Tok"


async def test_a_cached_token_still_expires(api, monkeypatch):
    user, _ = await api.user()
    token = issue_token(api.services.settings, user["_id"], ttl_seconds=30)
    assert (await api.gql(ME, token=token)).status_code == 200  # verified and cached
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 31)
    response = await api.gql(ME, token=token)
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "The token has expired."


async def test_an_expired_token_is_told_from_a_bad_one_without_reading_the_message(api):
    # A client refreshes an expired token silently and sends a learner with any other
    # credential problem to sign in; before, only the English message told them apart.
    user, _ = await api.user()
    expired = jwt.encode(
        {"sub": user["_id"], "exp": int(time.time()) - 3600}, SECRET, algorithm="HS256"
    )
    cases = {
        "expired": expired,
        "invalid": "not-a-jwt",
        "unknown_user": issue_token(api.services.settings, "no-such-user"),
    }
    for reason, token in cases.items():
        response = await api.gql(ME, token=token)
        assert response.status_code == 401, reason
        assert response.headers["www-authenticate"].startswith("Bearer")
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "UNAUTHENTICATED"
        assert error["extensions"]["reason"] == reason
    anonymous = (await api.gql("{ me { id } }")).json()
    assert anonymous["errors"][0]["extensions"]["reason"] == "missing"


def test_memory_window_is_a_moving_window():
    from gateway.ratelimit import MemoryWindow

    now = [1000.0]
    window = MemoryWindow(clock=lambda: now[0])
    results = []
    for t in (1000.0, 1020.0, 1040.0, 1050.0):  # three fit; the fourth is refused
        now[0] = t
        results.append(window.hit("k", 3, 60)[0])
    assert results == [True, True, True, False]
    now[0] = 1059.0
    assert window.hit("k", 3, 60) == (False, 0, 1060.0)  # refusals are not remembered
    now[0] = 1060.001  # the hit at 1000 has left the window
    assert window.hit("k", 3, 60) == (True, 0, 1080.0)
    assert window.peek("other", 3, 60) == (3, 1120.001)


@pytest.mark.slow
async def test_an_unreachable_rate_limit_storage_is_reported_not_hidden(capsys):
    # Before: with Redis down, rateLimit.remaining reported a full budget while nothing
    # was metered, and nothing said so.
    from tests.servers import free_port

    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    async with running_api(make_settings(redis_url=dead)) as api:
        _, token = await api.user(tier="free")
        response = await api.gql("{ rateLimit { remaining degraded } }", token=token)
        assert response.status_code == 200  # free fails open
        assert response.json()["data"]["rateLimit"] == {"remaining": 60, "degraded": True}
        assert response.json()["extensions"]["rateLimit"]["degraded"] is True
        metrics = (await api.client.get("/metrics")).text
        assert 'gateway_unmetered_requests_total{tier="free"} 1.0' in metrics
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "{" in line]
    completed = [e for e in events if e["event"] == "request_completed" and e.get("tier") == "free"]
    assert completed and completed[0]["unmetered"] is True
    assert any(e["event"] == "rate_limit_storage_unavailable" for e in events)


async def test_a_reachable_storage_is_not_degraded(api):
    _, token = await api.user(tier="free")
    body = (await api.gql("{ rateLimit { degraded } }", token=token)).json()
    assert body["data"]["rateLimit"]["degraded"] is False
    assert body["extensions"]["rateLimit"]["degraded"] is False
