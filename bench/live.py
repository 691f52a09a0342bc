"""`python -m bench --w5`: WebSocket subscribers on one replica (issue 21, W5).

One gateway process (embedded database, no Redis: one replica) serves N `sessionEvents`
subscribers over graphql-transport-ws, K per session (N / K learners, one session each).
This process holds the sockets and records messages over HTTP as the learners, so the
write's answer and each subscriber's receipt are timed on one clock. Per N it prints:

- memory per idle subscription: the server's RSS with N subscriptions open and idle, less
  its RSS with 5 open (the WebSocket path warmed), divided by N;
- delivery latency p50/p99 from the write's answer to each subscriber's receipt (0 when
  the event arrived first: the writer publishes before it answers), at RATE writes/s for
  SECONDS, writes spread over the sessions;
- the server's CPU time per write during that phase, the write and its fan-out included
  (user + system, from /proc): what bounds the rate on a machine the server has to itself,
  where writes/s and latency also show what other processes left it;
- events/s delivered at saturation: WRITERS concurrent writers as fast as the gateway
  answers for SECONDS / 2, receipts counted at the subscribers.

Targets (issue 21): 2,000 idle subscriptions under 100 MB of extra RSS; p99 under 100 ms
at 100 turns/s fanned out to 1,000 subscribers. The load generator shares the machine
with the server: on 2 cores, its own CPU is part of what the latency shows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from websockets.asyncio.client import ClientConnection, connect

SECRET = "bench-secret-" + "x" * 40
SUBSCRIPTION = "subscription($s: ID!) { sessionEvents(sessionId: $s) { id message { id } } }"
RECORD = """mutation($s: ID!, $c: String!) {
  recordMessage(input: {sessionId: $s, role: USER, content: $c}) { id } }"""
GENEROUS = {
    f"RATE_LIMIT_{t}": "100000000/minute" for t in ("ANONYMOUS", "FREE", "PRO", "PREMIUM")
} | {f"COST_BUCKET_{t}": "100000000:1000000" for t in ("ANONYMOUS", "FREE", "PRO", "PREMIUM")}


# --- the server process -----------------------------------------------------------------


async def _serve(port: int, info: Path, sessions: int) -> None:
    import uvicorn

    from gateway.app import create_app
    from gateway.auth import issue_token
    from gateway.inprocess import in_process
    from gateway.settings import Settings
    from gateway.ws_protocol import uvicorn_ws_options
    from models.documents import SessionDoc, UserDoc

    settings = Settings(_env_file=None)  # type: ignore[call-arg]  # the environment below
    served = await in_process(create_app(settings)).__aenter__()  # the lifespan: services
    config = uvicorn.Config(
        served,
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        lifespan="off",
        http="gateway.connections:GuardedHTTPProtocol",
        **uvicorn_ws_options(settings),  # as gateway/__main__.py
        backlog=4096,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(1200):  # uvicorn says nothing but this flag when it listens
        if server.started:
            break
        await asyncio.sleep(0.05)
    db = served.services.db
    users = [
        UserDoc(email=f"w5-{i}@example.com", name=f"W5 {i}", subscription_tier="pro").to_mongo()
        for i in range(sessions)
    ]
    await db.users.insert_many(users)
    rows = [SessionDoc(user_id=u["_id"], topic="W5").to_mongo() for u in users]
    await db.sessions.insert_many(rows)
    learners = [
        {"token": issue_token(settings, u["_id"]), "session": s["_id"]}
        for u, s in zip(users, rows, strict=True)
    ]
    info.write_text(json.dumps({"pid": os.getpid(), "learners": learners}))
    await task


# --- the load generator -----------------------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    """The process's CPU time so far (user + system): what the server spent, whatever
    share of the machine the other processes left it."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


@dataclass
class Subscriber:
    ws: ClientConnection
    received: list[tuple[str, float]] = field(default_factory=list)  # (message id, when)


async def _subscribe(url: str, token: str, session: str) -> Subscriber:
    ws = await connect(url, subprotocols=["graphql-transport-ws"], max_size=None)  # type: ignore[list-item]
    auth = {"Authorization": f"Bearer {token}"}
    await ws.send(json.dumps({"type": "connection_init", "payload": auth}))
    ack = json.loads(await asyncio.wait_for(ws.recv(), 30))
    assert ack["type"] == "connection_ack", ack
    payload = {"query": SUBSCRIPTION, "variables": {"s": session}}
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
    return Subscriber(ws)


async def _read(sub: Subscriber) -> None:
    async for raw in sub.ws:
        now = time.perf_counter()
        message = json.loads(raw)
        if message.get("type") == "next":
            event = message["payload"]["data"]["sessionEvents"]
            sub.received.append((event["message"]["id"], now))
        elif message.get("type") == "ping":
            await sub.ws.send('{"type": "pong"}')


async def _write(client: httpx.AsyncClient, learner: dict[str, str], n: int) -> tuple[str, float]:
    body = {"query": RECORD, "variables": {"s": learner["session"], "c": f"w5 {n}"}}
    headers = {"Authorization": f"Bearer {learner['token']}"}
    response = await client.post("/graphql", json=body, headers=headers)
    answered = time.perf_counter()
    data = response.json()
    assert "errors" not in data, data
    return data["data"]["recordMessage"]["id"], answered


async def _subscribed(client: httpx.AsyncClient, count: int) -> None:
    """Until the server's metrics show `count` active subscriptions (bounded: 120 s)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        text = (await client.get("/metrics")).text
        for line in text.splitlines():
            if line.startswith("gateway_subscriptions_active ") and float(line.split()[1]) >= count:
                return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"fewer than {count} subscriptions after 120 s")


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(n: int, per_session: int, rate: float, seconds: float, writers: int) -> str:
    sessions = max(1, n // per_session)
    port = _free_port()
    info = Path(tempfile.mkdtemp(prefix="w5-")) / "info.json"
    env = {
        **os.environ,
        **GENEROUS,
        "MONGO_URI": "",
        "REDIS_URL": "",
        "JWT_SECRET": SECRET,
        "SEED_DEMO_DATA": "false",
        "LOG_LEVEL": "WARNING",
        "REQUEST_LOG_ENABLED": "false",
        "METRICS_ENABLED": "true",
        "MAX_CONNECTIONS_PER_IP": "0",  # every subscriber comes from 127.0.0.1 here
        "MAINTENANCE_INTERVAL_SECONDS": "3600",
        "WS_MAX_CONNECTIONS_PER_USER": str(per_session + 1),  # + a warm-up subscriber
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.live", "--serve", str(port), str(info), str(sessions)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not info.exists() or not info.read_text():
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the W5 server did not start")
            await asyncio.sleep(0.1)
        learners = json.loads(info.read_text())["learners"]
        base, url = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/graphql"
        limits = httpx.Limits(max_connections=writers + 2)
        async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
            for learner in learners[:writers]:  # warm: the first write of a path costs more
                await _write(client, learner, -1)
            # Warm the WebSocket path too (its modules, caches): the baseline holds what one
            # subscriber costs once, not per subscriber. These few stay open, uncounted.
            warm = [await _subscribe(url, x["token"], x["session"]) for x in learners[:5]]
            await _subscribed(client, len(warm))
            await asyncio.sleep(1)
            rss_before = _rss_mb(server.pid)
            subs: list[Subscriber] = []
            for start in range(0, n, 100):  # 100 handshakes at a time
                batch = [
                    _subscribe(
                        url, learners[i % sessions]["token"], learners[i % sessions]["session"]
                    )
                    for i in range(start, min(n, start + 100))
                ]
                subs += await asyncio.gather(*batch)
            readers = [asyncio.create_task(_read(s)) for s in subs + warm]
            await _subscribed(client, n + len(warm))
            # Every subscriber live (the count above is of started subscriptions): one
            # message per session, until each subscriber has seen its own (bounded).
            for start in range(0, sessions, writers):
                batch = learners[start : start + writers]
                await asyncio.gather(*(_write(client, x, -3) for x in batch))
            for _ in range(600):
                if all(s.received for s in subs):
                    break
                await asyncio.sleep(0.1)
            live = sum(1 for s in subs if s.received)
            for s in subs + warm:
                s.received.clear()
            await asyncio.sleep(2)
            rss_idle = _rss_mb(server.pid)

            # Fixed rate: one write every 1/rate s, round robin over the sessions.
            answered: dict[str, float] = {}
            pending: list[asyncio.Task[tuple[str, float]]] = []
            total = int(rate * seconds)
            cpu_before = _cpu_seconds(server.pid)
            began = time.perf_counter()
            for i in range(total):
                delay = began + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                pending.append(asyncio.create_task(_write(client, learners[i % sessions], i)))
            for message_id, when in await asyncio.gather(*pending):
                answered[message_id] = when
            achieved = total / (time.perf_counter() - began)
            await asyncio.sleep(1)  # the last deliveries
            cpu_per_write = (_cpu_seconds(server.pid) - cpu_before) * 1000 / total
            latencies = [
                max(0.0, (got - answered[mid]) * 1000)
                for s in subs
                for mid, got in s.received
                if mid in answered
            ]
            expected = total * per_session
            for s in subs:
                s.received.clear()

            # Saturation: `writers` writers back to back.
            stop = time.perf_counter() + seconds / 2
            counter = iter(range(10**9))

            async def writer(w: int) -> None:
                while time.perf_counter() < stop:
                    await _write(client, learners[(w + next(counter)) % sessions], -2)

            sat_began = time.perf_counter()
            await asyncio.gather(*(writer(w) for w in range(writers)))
            await asyncio.sleep(1)
            receipts = [t for s in subs for _, t in s.received]
            span = (max(receipts) - sat_began) if receipts else float("nan")
            saturation = len(receipts) / span if receipts else 0.0
            for task in readers:
                task.cancel()
            await asyncio.gather(*(s.ws.close() for s in subs + warm), return_exceptions=True)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
    per_conn_kb = (rss_idle - rss_before) * 1024 / n
    return (
        f"W5 N={n} ({sessions} sessions x {per_session}, {live} live): idle RSS +{rss_idle - rss_before:.1f} MB "
        f"({per_conn_kb:.1f} KB/subscription); {achieved:.0f} writes/s (asked {rate:g}), "
        f"server CPU {cpu_per_write:.1f} ms per write and its {per_session} deliveries -> "
        f"{len(latencies)}/{expected} deliveries, answer->receipt p50 "
        f"{statistics.median(latencies) if latencies else float('nan'):.1f} ms p99 "
        f"{_percentile(latencies, 0.99):.1f} ms; saturation {saturation:.0f} events/s "
        f"({writers} writers)"
    )


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def run(
    sizes: list[int], per_session: int, rate: float, seconds: float, writers: int
) -> list[str]:
    return [await measure(n, per_session, rate, seconds, writers) for n in sizes]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--serve", nargs=3, metavar=("PORT", "INFO", "SESSIONS"))
    args = parser.parse_args()
    if args.serve:
        port, info, sessions = args.serve
        # The event loop `python -m gateway` runs on (Uvicorn's choice: uvloop when it is
        # installed), so W5 measures the loop production serves on.
        from uvicorn.loops.auto import auto_loop_factory

        with asyncio.Runner(loop_factory=auto_loop_factory(use_subprocess=False)) as runner:
            runner.run(_serve(int(port), Path(info), int(sessions)))


if __name__ == "__main__":
    main()
