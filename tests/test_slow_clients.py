"""Slow clients against a real Uvicorn server on loopback: deadlines and the per-IP cap.

Before: a TCP connection that sent nothing, headers trickled one line per second, and
`Content-Length: 1000` with one body byte per second were none closed within 30 s; a
client gone mid-body logged an error-level `unhandled_exception` (ClientDisconnect) and
was not charged; any number of connections per IP were accepted.
"""

from __future__ import annotations

import http.client
import json
import socket
import statistics
import threading
import time
from collections.abc import Iterator

import pytest
from websockets.sync.client import connect as ws_connect

from tests.servers import Gateway, start_gateway

pytestmark = pytest.mark.slow

LIMITS = {
    "HTTP_HEADER_TIMEOUT_SECONDS": "1.5",
    "HTTP_BODY_TIMEOUT_SECONDS": "1.5",
    "HTTP_KEEP_ALIVE_TIMEOUT_SECONDS": "1",
    "MAX_CONNECTIONS_PER_IP": "12",
    "LOG_LEVEL": "INFO",
    **{f"RATE_LIMIT_{t}": "100000/minute" for t in ("FREE", "PRO", "PREMIUM")},
}


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    server = start_gateway(env=LIMITS, seed_users=2, keep_output=True)
    output: list[str] = []

    def pump() -> None:
        assert server.proc.stdout is not None
        output.extend(server.proc.stdout)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    server.output = output  # type: ignore[attr-defined]
    try:
        yield server
    finally:
        server.stop()
        reader.join(timeout=5)


def connect(gateway: Gateway) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", gateway.port), timeout=10)
    return sock


def closed_within(sock: socket.socket, seconds: float, trickle: bytes = b"") -> float:
    """Seconds until the server closed `sock`, sending `trickle` a byte per 0.2 s."""
    started = time.monotonic()
    sock.settimeout(0.2)
    sent = 0
    while time.monotonic() - started < seconds:
        try:
            if sock.recv(4096) == b"":
                return time.monotonic() - started
        except TimeoutError:
            pass
        except ConnectionResetError:
            return time.monotonic() - started
        if sent < len(trickle):
            try:
                sock.sendall(trickle[sent : sent + 1])
            except OSError:
                return time.monotonic() - started
            sent += 1
    raise AssertionError(f"still open after {seconds} s")


def anonymous_remaining(gateway: Gateway) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=10)
    conn.request("GET", "/graphql?query=%7B__typename%7D", headers={"Accept": "application/json"})
    body = json.loads(conn.getresponse().read())
    conn.close()
    return int(body["extensions"]["rateLimit"]["remaining"])


def test_a_silent_connection_is_closed_at_the_header_deadline(gateway):
    with connect(gateway) as sock:
        assert closed_within(sock, 8.0) < 1.5 + 1.5


def test_trickled_headers_are_cut_off(gateway):
    headers = b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: a\r\n" * 100
    with connect(gateway) as sock:
        assert closed_within(sock, 8.0, trickle=headers) < 1.5 + 1.5


def test_a_trickled_body_is_cut_off_charged_and_not_an_error(gateway):
    before = anonymous_remaining(gateway)
    head = (
        b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n"
    )
    with connect(gateway) as sock:
        sock.sendall(head)
        assert closed_within(sock, 8.0, trickle=b'{"query": "' + b"x" * 900) < 1.5 + 1.5
    time.sleep(0.3)
    # the cut-off request and this one
    assert anonymous_remaining(gateway) == before - 2
    lines = [json.loads(line) for line in gateway.output if line.startswith("{")]  # type: ignore[attr-defined]
    assert not [e for e in lines if e.get("level") == "error"], lines
    assert any(e.get("event") == "client_disconnected" for e in lines)


def test_an_idle_keep_alive_connection_is_closed(gateway):
    conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=10)
    conn.request("GET", "/health")
    conn.getresponse().read()
    assert conn.sock is not None
    assert closed_within(conn.sock, 8.0) < 1 + 1.5
    conn.close()


def test_a_busy_keep_alive_connection_is_not_cut_at_the_header_deadline(gateway):
    """Before: the check sampled "in a request now" twice a second; a client whose short
    requests all fell between two samples looked idle and was closed mid-conversation."""
    conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=10)
    stop = time.monotonic() + 2.5 * 1.5
    answered = 0
    while time.monotonic() < stop:
        conn.request("GET", "/health")
        assert conn.getresponse().read()
        answered += 1
        time.sleep(0.05)
    conn.close()
    assert answered > 30


def test_connections_per_ip_are_capped(gateway):
    socks = [connect(gateway) for _ in range(12)]
    try:
        time.sleep(0.2)
        with connect(gateway) as extra:
            extra.settimeout(5)
            answer = extra.recv(4096)
        assert answer.startswith(b"HTTP/1.1 503")
        assert b"Too many connections" in answer
        # As every RATE_LIMITED error: the client's generic handler reads how long to
        # wait from extensions.retryAfter, not only from the Retry-After header.
        body = json.loads(answer.partition(b"\r\n\r\n")[2])
        assert body["errors"][0]["extensions"] == {"code": "RATE_LIMITED", "retryAfter": 1}
        assert b"retry-after: 1\r\n" in answer.lower()
    finally:
        for sock in socks:
            sock.close()
    time.sleep(0.3)
    conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=10)
    conn.request("GET", "/health")
    assert conn.getresponse().status == 200  # closed ones no longer count
    conn.close()


def test_a_websocket_outlives_the_header_deadline_and_gives_its_place_back(gateway):
    """An upgraded connection is the live endpoint's: the HTTP deadlines cut every
    WebSocket at HTTP_HEADER_TIMEOUT_SECONDS, and a closed one kept its per-IP place."""
    url = f"ws://127.0.0.1:{gateway.port}/graphql"
    init = {
        "type": "connection_init",
        "payload": {"Authorization": f"Bearer {gateway.admin_token}"},
    }
    with ws_connect(url, subprotocols=["graphql-transport-ws"], open_timeout=10) as ws:  # type: ignore[list-item]
        ws.send(json.dumps(init))
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
        time.sleep(2.5)  # past the 1.5 s header deadline
        ws.send('{"type": "ping"}')
        assert json.loads(ws.recv(timeout=10)) == {"type": "pong"}
    for _ in range(13):  # one more than MAX_CONNECTIONS_PER_IP, each closed
        with ws_connect(url, subprotocols=["graphql-transport-ws"], open_timeout=10):  # type: ignore[list-item]
            pass
    time.sleep(0.3)
    conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=10)
    conn.request("GET", "/health")
    assert conn.getresponse().status == 200  # closed WebSockets no longer count
    conn.close()


def _latencies(gateway: Gateway, token: str, seconds: float) -> tuple[list[float], list[float]]:
    conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=30)
    me, health = [], []
    body = json.dumps({"query": "{ me { id } }"})
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        started = time.perf_counter()
        conn.request("POST", "/graphql", body, headers)
        assert conn.getresponse().read()
        me.append(time.perf_counter() - started)
        started = time.perf_counter()
        conn.request("GET", "/health")
        conn.getresponse().read()
        health.append(time.perf_counter() - started)
        time.sleep(0.005)
    conn.close()
    return me, health


def test_slow_clients_do_not_slow_anyone_else(gateway):
    token = gateway.tokens["learner"]
    _latencies(gateway, token, 0.5)
    idle_me, idle_health = _latencies(gateway, token, 1.5)
    stop = threading.Event()

    def slow_client(kind: int) -> None:
        while not stop.is_set():
            try:
                with connect(gateway) as sock:
                    if kind == 1:
                        sock.sendall(
                            b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Length: 999\r\n\r\n"
                        )
                    sock.settimeout(0.2)
                    while not stop.is_set():
                        sock.sendall(b"a")
                        try:
                            if sock.recv(4096) == b"":
                                break
                        except TimeoutError:
                            pass
            except OSError:
                time.sleep(0.05)

    threads = [threading.Thread(target=slow_client, args=(i % 3,)) for i in range(10)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.5)
        busy_me, busy_health = _latencies(gateway, token, 3.0)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert statistics.median(busy_me) <= 2 * statistics.median(idle_me) + 0.001
    assert statistics.median(busy_health) <= 2 * statistics.median(idle_health) + 0.001
