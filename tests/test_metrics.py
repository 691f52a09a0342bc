"""/metrics: Prometheus text an operator can alert on, correct across Uvicorn workers."""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import urllib.request

from prometheus_client.parser import text_string_to_metric_families
from pymongo.errors import DuplicateKeyError, OperationFailure

from tests.conftest import make_settings, running_api
from tests.faults import mongo_down
from tests.servers import start_gateway


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


async def scrape(api) -> str:
    response = await api.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_requests_latency_cost_and_database_calls_are_counted(api):
    _, token = await api.user(name="Metered")
    for _ in range(3):
        await api.client.post(
            "/graphql",
            json={"query": "query Me { me { name } }"},
            headers={"Authorization": f"Bearer {token}"},
        )
    await api.gql("{ nope }")
    text = await scrape(api)
    assert value(text, "gateway_requests_total", operation="Me", status="200") == 3
    assert value(text, "gateway_requests_total", operation="none", status="400") == 1
    assert value(text, "gateway_request_duration_seconds_count", operation="Me") == 3
    assert value(text, "gateway_query_cost_count") == 3
    assert value(text, "gateway_query_cost_sum") == 3  # `me` costs 1
    # Commands, as the driver's command events name them (the embedded adapter emits the same).
    assert value(text, "gateway_db_operations_total", collection="users", op="find") >= 1


async def test_throttled_requests_are_counted_by_tier():
    async with running_api(make_settings(rate_limit_anonymous="2/minute")) as api:
        statuses = [(await api.gql("{ users { totalCount } }")).status_code for _ in range(4)]
        assert statuses.count(429) == 2
        text = await scrape(api)
    assert value(text, "gateway_rate_limited_total", tier="anonymous") == 2


async def test_operation_labels_are_bounded():
    async with running_api(make_settings(metrics_max_operations=2)) as api:
        for name in ("A", "B", "C", "D"):
            await api.client.post("/graphql", json={"query": f"query {name} {{ __typename }}"})
        text = await scrape(api)
    assert value(text, "gateway_requests_total", operation="A", status="200") == 1
    assert value(text, "gateway_requests_total", operation="B", status="200") == 1
    assert value(text, "gateway_requests_total", operation="other", status="200") == 2


async def test_an_unreachable_database_shows_as_503s(api):
    """No command reaches a server that cannot be selected, so no command event fails:
    an outage shows in the 503s (and readiness), the alert's other half."""
    _, token = await api.user()
    with mongo_down(api.services.db):
        response = await api.gql("{ me { id } }", token=token)
    assert response.status_code == 503
    text = await scrape(api)
    assert value(text, "gateway_requests_total", operation="none", status="503") == 1


async def test_failed_commands_and_write_errors_are_counted(api):
    """A duplicate key is a write error in a succeeded command's reply on a server; an
    aggregation over 16 MB is a failed command. Both count, with the caller's error class."""
    user, _ = await api.user()
    db = api.services.db
    with contextlib.suppress(DuplicateKeyError):
        await db.users.insert_one({**user})
    with contextlib.suppress(OperationFailure):
        big = {"_id": "huge", "session_id": "s-huge", "content": "x" * (9 * 1024 * 1024)}
        await db.messages.insert_many([big, {**big, "_id": "huge-2"}])
        await db.messages.aggregate(
            [
                {"$match": {"session_id": "s-huge"}},
                {"$group": {"_id": None, "all": {"$push": "$$ROOT"}}},
            ]
        )
    text = await scrape(api)
    duplicate = {"collection": "users", "op": "insert", "error": "DuplicateKeyError"}
    assert value(text, "gateway_db_errors_total", **duplicate) == 1
    too_large = {"collection": "messages", "op": "aggregate", "error": "OperationFailure"}
    assert value(text, "gateway_db_errors_total", **too_large) == 1
    assert value(text, "gateway_db_operations_total", collection="messages", op="aggregate") >= 1


async def test_metrics_token_protects_the_endpoint():
    async with running_api(make_settings(metrics_token="m" * 32)) as api:
        anonymous = await api.client.get("/metrics")
        assert anonymous.status_code == 401 and "Bearer" in anonymous.headers["www-authenticate"]
        wrong = await api.client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        ok = await api.client.get("/metrics", headers={"Authorization": f"Bearer {'m' * 32}"})
        assert ok.status_code == 200 and "gateway_requests_total" in ok.text


def test_several_workers_report_the_same_totals(tmp_path):
    env = {
        "WORKERS": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "RATE_LIMITS_ENABLED": "false",  # counting, not throttling, is under test
    }
    gateway = start_gateway(env, seed_users=0)
    query = json.dumps(
        {"query": "query Types { __schema { types { name fields { name } } } }"}
    ).encode()

    def call(_: int) -> int:
        request = urllib.request.Request(
            f"{gateway.url}/graphql",
            data=query,
            headers={"Content-Type": "application/json", "Connection": "close"},
        )
        with urllib.request.urlopen(request, timeout=20) as response:
            response.read()  # the whole answer, as a client would wait for
            return response.status

    def workers_that_answered() -> set[str]:
        return {f.name for f in tmp_path.glob("counter_*.db") if b"Types" in f.read_bytes()}

    try:
        sent = 0
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            # The kernel hands connections to whichever worker wakes first: keep sending
            # until both have answered some, so the totals below really span two processes.
            while len(workers_that_answered()) < 2 and sent < 800:
                assert set(pool.map(call, range(20))) == {200}
                sent += 20
        assert len(workers_that_answered()) == 2
        totals = set()
        for _ in range(10):  # each scrape may be answered by either worker
            with urllib.request.urlopen(f"{gateway.url}/metrics", timeout=10) as response:
                text = response.read().decode()
            labels = {"operation": "Types", "status": "200"}
            totals.add(value(text, "gateway_requests_total", **labels))
        assert totals == {float(sent)}
    finally:
        gateway.stop()
