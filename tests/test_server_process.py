"""A real `python -m gateway` process: its whole output is JSON, and client IPs behind a
proxy are what the proxy saw, not what the client claims."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.servers import start_gateway


def post(port: int, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture
def server():
    gateway = start_gateway(
        {
            "LOG_LEVEL": "INFO",
            "FORWARDED_ALLOW_IPS": "127.0.0.1",
            "RATE_LIMIT_ANONYMOUS": "5/minute",
            "SLOW_REQUEST_MS": "0",
        },
        seed_users=0,
        keep_output=True,
    )
    proc = gateway.proc
    output: list[str] = []
    yield gateway.port, proc, output
    if proc.poll() is None:
        proc.terminate()
    output.extend(proc.communicate(timeout=20)[0].splitlines())


INTROSPECT = {"query": "{ __schema { queryType { name } } }"}


def test_a_fake_first_hop_does_not_evade_the_anonymous_limit(server):
    port, _, _ = server
    # Before: the leftmost X-Forwarded-For entry was the client, so rotating it gave every
    # request a fresh anonymous budget.
    statuses = [
        post(port, INTROSPECT, {"X-Forwarded-For": f"10.9.{i}.1, 198.51.100.7"})[0]
        for i in range(8)
    ]
    assert statuses == [200] * 5 + [429] * 3
    # another client behind the same proxy has its own budget
    assert post(port, INTROSPECT, {"X-Forwarded-For": "198.51.100.8"})[0] == 200


def test_every_line_the_process_writes_is_json(server):
    port, proc, output = server
    post(port, INTROSPECT, {"X-Request-ID": "json-lines-1", "X-Forwarded-For": "198.51.100.9"})
    proc.terminate()
    output.extend(proc.communicate(timeout=20)[0].splitlines())
    assert output, "the process wrote nothing"
    events = [json.loads(line) for line in output]  # fails on any plain-text line
    assert all("timestamp" in e and "level" in e and "event" in e for e in events)
    # Uvicorn's own lines (start-up, shutdown) come through the same JSON chain.
    assert any(e.get("logger", "").startswith("uvicorn") for e in events)
    mine = [e for e in events if e.get("request_id") == "json-lines-1"]
    assert {e["event"] for e in mine} >= {"request_completed", "slow_request"}
