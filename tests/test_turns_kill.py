"""The kill test: a gateway process SIGKILLed in the middle of a burst of learner messages
loses no tutor turn and delivers none twice.

Two `python -m gateway` processes share one Redis (the embedded database lives in each
process's memory and dies with it, so the survivor cannot be a restart on the same data:
it is the second replica). The learner talks to A; one tutor client of the group is on
A, another on B. A is killed mid-burst; its tutor client reconnects to B under the same
consumer name. Every message A answered must reach the group's tutors exactly once
(acknowledged once), the turns in flight on A's client included.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from gateway.auth import issue_token
from tests.conftest import SECRET, make_settings, redis_url
from tests.servers import Gateway, start_gateway
from tests.wsclient import receive, send

pytestmark = [pytest.mark.slow, pytest.mark.redis]

# What the tutor selects: the turn carries the message and session rows, so B answers
# them without A's data.
TURNS = "subscription($g: String!) { tutorTurns(group: $g) { id attempt message { id } } }"
MESSAGES = 40
KILL_AFTER = 12  # answered messages before A is killed


async def tutor(url: str, token: str, consumer: str) -> Any:
    from websockets.asyncio.client import connect

    ws = await connect(url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    init = {"Authorization": f"Bearer {token}", "consumer": consumer}
    await send(ws, {"type": "connection_init", "payload": init})
    assert await receive(ws) == {"type": "connection_ack"}
    await send(
        ws,
        {"id": "t", "type": "subscribe", "payload": {"query": TURNS, "variables": {"g": "kill"}}},
    )
    return ws


async def test_a_gateway_killed_mid_burst_loses_no_turn_and_repeats_none() -> None:
    prefix = f"t{uuid.uuid4().hex[:8]}"
    env = {
        "REDIS_URL": redis_url(),
        "REDIS_KEY_PREFIX": prefix,
        "JWT_SECRET": SECRET,
        "TURN_ACK_TIMEOUT_SECONDS": "30",  # a redelivery here is the reconnect, not a timeout
    }
    with ThreadPoolExecutor(2) as pool:  # B serves only the tutor: no demo data to seed
        a, b = pool.map(lambda n: start_gateway(env, seed_users=n), (1, 0))
    token = issue_token(make_settings(jwt_secret=SECRET), "tutor-kill-test", scope="tutor")
    acked: list[str] = []  # message ids, one per successful ackTurn
    answered: list[str] = []  # messages whose recordMessage A answered
    burst_over, every_answered_acked = asyncio.Event(), asyncio.Event()

    def check() -> None:
        if burst_over.is_set() and set(answered) <= set(acked):
            every_answered_acked.set()

    deliveries: list[tuple[str, str, int]] = []  # (client, message id, attempt)
    try:
        ws_a = lambda gw: f"ws://127.0.0.1:{gw.port}/graphql"  # noqa: E731
        async with httpx.AsyncClient(timeout=10) as http:

            async def ack(turn: dict[str, Any]) -> None:
                r = await http.post(
                    f"{b.url}/graphql",
                    json={
                        "query": "mutation($id: ID!) { ackTurn(id: $id) }",
                        "variables": {"id": turn["id"]},
                    },
                    headers={"Authorization": f"Bearer {token}"},
                )
                if r.json().get("data") == {"ackTurn": True}:
                    acked.append(turn["message"]["id"])
                    check()

            async def worker(name: str, ws: Any, reconnect_to: Gateway | None) -> None:
                while True:
                    try:
                        message = await receive(ws, within=30)
                    except (TimeoutError, asyncio.CancelledError):
                        raise
                    except Exception:  # the socket died with its gateway
                        if reconnect_to is None:
                            raise
                        ws = await tutor(ws_a(reconnect_to), token, name)
                        reconnect_to = None
                        continue
                    assert message["type"] == "next", message
                    turn = message["payload"]["data"]["tutorTurns"]
                    deliveries.append((name, turn["message"]["id"], turn["attempt"]))
                    if reconnect_to is None:
                        await ack(turn)
                    # else: w1 holds the turns it gets on A unacknowledged, as a worker
                    # still busy with them when its gateway dies; they must come back.

            workers = [
                asyncio.create_task(worker("w1", await tutor(ws_a(a), token, "w1"), b)),
                asyncio.create_task(worker("w2", await tutor(ws_a(b), token, "w2"), None)),
            ]
            await asyncio.sleep(0.5)  # both subscribed: the group exists
            learner = a.tokens["learner"]
            h = {"Authorization": f"Bearer {learner}"}
            start = await http.post(
                f"{a.url}/graphql",
                json={"query": "mutation { startSession(input: {}) { id } }"},
                headers=h,
            )
            sid = start.json()["data"]["startSession"]["id"]

            async def say(i: int) -> None:
                try:
                    r = await http.post(
                        f"{a.url}/graphql",
                        json={
                            "query": "mutation($s: ID!, $c: String!) { recordMessage(input: "
                            "{sessionId: $s, role: USER, content: $c}) { id } }",
                            "variables": {"s": sid, "c": f"burst {i}"},
                        },
                        headers=h,
                    )
                    answered.append(r.json()["data"]["recordMessage"]["id"])
                except (httpx.HTTPError, json.JSONDecodeError, KeyError, TypeError):
                    pass  # in flight when A died: no answer, no promise
                if len(answered) >= KILL_AFTER and a.proc.poll() is None:
                    os.kill(a.proc.pid, signal.SIGKILL)

            sem = asyncio.Semaphore(4)

            async def bounded(i: int) -> None:
                async with sem:
                    await say(i)

            await asyncio.gather(*(bounded(i) for i in range(MESSAGES)))
            a.proc.wait(timeout=10)
            assert a.proc.returncode == -signal.SIGKILL
            assert len(answered) >= KILL_AFTER
            burst_over.set()
            covered = asyncio.create_task(every_answered_acked.wait())
            check()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(covered, 10)
            await asyncio.sleep(0.5)  # anything delivered twice would arrive by now
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
        missing = set(answered) - set(acked)
        assert not missing, f"{len(missing)} answered messages never became a turn"
        assert len(acked) == len(set(acked)), "a turn was acknowledged twice"
        held = [mid for name, mid, attempt in deliveries if name == "w1" and attempt == 1]
        assert held, "w1 received no turn on A before the kill"
        returned = {mid for name, mid, attempt in deliveries if name == "w1" and attempt == 2}
        assert set(held) <= returned, "turns w1 held on A did not come back on B"
        assert any(name == "w2" for name, _, _ in deliveries)
        # Each turn was delivered more than once only to the same consumer (w1 before and
        # after its gateway died): never to two clients.
        owners: dict[str, set[str]] = {}
        for name, mid, _ in deliveries:
            owners.setdefault(mid, set()).add(name)
        assert all(len(o) == 1 for o in owners.values()), owners
    finally:
        for gw in (a, b):
            if gw.proc.poll() is None:
                gw.stop()
        client = aioredis.from_url(redis_url())
        keys = [k async for k in client.scan_iter(match=f"{{{prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
