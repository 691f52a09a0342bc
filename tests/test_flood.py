"""A zero-priced flood from one anonymous IP, against a real Uvicorn server on loopback.

Before: 35 distinct documents of 2,000 free selections (`rateLimit` x 50) each took
~0.17 s of server time, were priced 0 and left the anonymous budget at 30/30; two
connections for 8 s moved a learner's `{ me { id } }` from p50 0.6 ms to 249 ms and
`/health` to 281 ms. Now every request spends a request of the caller's window before
its document is parsed, plus points for its size and selections, and a throttled caller
gets its 429s slowly: the learner and /health keep within 2x of idle.
"""

from __future__ import annotations

import http.client
import json
import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from tests.servers import Gateway, start_gateway

pytestmark = pytest.mark.slow

FIELDS = (
    "tier limit remaining resetAt windowSeconds cost pointsCapacity pointsRemaining "
    "pointsRefillPerSecond maxCost exempt"
)


def zero_cost_document(n: int) -> str:
    """A distinct valid document of ~15 KB whose fields are all free."""
    body = "\n".join(f"  rateLimit {{ {FIELDS} }}  # {'padding ' * 20}" for _ in range(50))
    return f"query Z{n} {{\n{body}\n  __typename\n}}"


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    # Learners are not throttled here: only the anonymous flood is.
    lavish = {f"RATE_LIMIT_{t}": "100000/minute" for t in ("FREE", "PRO", "PREMIUM")}
    server = start_gateway(env=lavish, seed_users=2)
    try:
        yield server
    finally:
        server.stop()


def _post(conn: http.client.HTTPConnection, query: str, token: str | None = None) -> int:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request("POST", "/graphql", json.dumps({"query": query}), headers)
    response = conn.getresponse()
    response.read()
    return response.status


def latencies(gateway: Gateway, token: str, seconds: float) -> tuple[list[float], list[float]]:
    """The learner's `{ me { id } }` and /health, alternately, for `seconds`."""
    conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=30)
    me, health = [], []
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        started = time.perf_counter()
        assert _post(conn, "{ me { id } }", token) == 200
        me.append(time.perf_counter() - started)
        started = time.perf_counter()
        conn.request("GET", "/health")
        response = conn.getresponse()
        response.read()
        assert response.status == 200
        health.append(time.perf_counter() - started)
        time.sleep(0.005)
    conn.close()
    return me, health


def flood(gateway: Gateway, seconds: float, start: int, statuses: Counter[int]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=30)
    stop = time.monotonic() + seconds
    n = start
    while time.monotonic() < stop:
        statuses[_post(conn, zero_cost_document(n))] += 1
        n += 1
    conn.close()


def test_a_zero_cost_flood_is_throttled_and_others_keep_their_latency(gateway):
    token = gateway.tokens["learner"]
    latencies(gateway, token, 0.5)  # warm up: the learner's document is compiled
    idle_me, idle_health = latencies(gateway, token, 2.0)
    statuses: Counter[int] = Counter()
    floods = [
        threading.Thread(target=flood, args=(gateway, 5.0, 1000 * i, statuses)) for i in (1, 2)
    ]
    for thread in floods:
        thread.start()
    time.sleep(1.0)  # the flood's first, admitted documents have been parsed
    busy_me, busy_health = latencies(gateway, token, 3.0)
    for thread in floods:
        thread.join()
    # Throttled: the anonymous window (30/min) and bucket (500 points) are spent within
    # the first few documents, and the rest are refused before they are parsed.
    assert statuses[429] > 0
    assert statuses[200] <= 30
    # One millisecond of slack for a shared machine's scheduling noise.
    assert statistics.median(busy_me) <= 2 * statistics.median(idle_me) + 0.001
    assert statistics.median(busy_health) <= 2 * statistics.median(idle_health) + 0.001


def test_every_document_spends_its_callers_window_and_grows_with_its_size(gateway):
    conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=30)
    conn.request(
        "POST",
        "/graphql",
        json.dumps({"query": "{ __typename }"}),
        {"Content-Type": "application/json", "X-Forwarded-For": "ignored"},
    )
    first = json.loads(conn.getresponse().read())
    token = gateway.tokens["learner"]
    small = _cost(conn, "query S { rateLimit { cost } }", token)
    large = _cost(conn, zero_cost_document(1), token)
    conn.close()
    assert first["extensions"]["rateLimit"]["remaining"] < 30  # `{ __typename }` counted
    assert small == 0  # free fields, small document
    # 601 selections and ~15 KB: 60 + 29 points, though every field is free
    assert large == 601 // 10 + len(zero_cost_document(1)) // 500


def _cost(conn: http.client.HTTPConnection, query: str, token: str) -> int:
    conn.request(
        "POST",
        "/graphql",
        json.dumps({"query": query}),
        {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    response = conn.getresponse()
    body = json.loads(response.read())
    return int(body["extensions"]["rateLimit"]["cost"])
