"""tutorTurns and ackTurn over WebSocket: one client of a group per turn, redelivery after
the ack deadline, a reconnecting consumer's turns, the outbox after a crash; in process and
on a Redis Stream shared by two replicas."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest

from gateway.turn_stream import RedisTurns
from models.db import connect
from resolvers.messages import complete_pending
from resolvers.outbox import HUB_KEY, publish_pending
from resolvers.turns import TURNS_KEY, InProcessTurns
from tests.conftest import Api, make_settings, redis_url
from tests.faults import died_after_insert
from tests.wsclient import (
    closed_with,
    nothing_within,
    open_socket,
    receive,
    send,
    served,
    subscribe,
)

TURNS = """subscription($g: String!) { tutorTurns(group: $g) {
  id attempt message { id role content } session { id totalMessages } learner { id } } }"""
ACK = "mutation($id: ID!) { ackTurn(id: $id) }"
RECORD = """mutation($s: ID!, $role: MessageRole!, $c: String!) {
  recordMessage(input: {sessionId: $s, role: $role, content: $c}) { id } }"""


async def start(api: Api, token: str) -> str:
    data = await api.data("mutation { startSession(input: {}) { id } }", token=token)
    return str(data["startSession"]["id"])


async def record(api: Api, token: str, sid: str, content: str, role: str = "USER") -> str:
    data = await api.data(RECORD, {"s": sid, "role": role, "c": content}, token=token)
    return str(data["recordMessage"]["id"])


async def tutor_socket(url: str, token: str, consumer: str | None = None) -> Any:
    from websockets.asyncio.client import connect as ws_connect

    ws = await ws_connect(url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    payload: dict[str, Any] = {"Authorization": f"Bearer {token}"}
    if consumer is not None:
        payload["consumer"] = consumer
    await send(ws, {"type": "connection_init", "payload": payload})
    assert await receive(ws) == {"type": "connection_ack"}
    return ws


async def next_turn(ws: Any, within: float = 10) -> dict[str, Any]:
    message = await receive(ws, within)
    assert message["type"] == "next", message
    return message["payload"]["data"]["tutorTurns"]  # type: ignore[no-any-return]


async def first_turn(*sockets: Any) -> tuple[Any, dict[str, Any]]:
    """The socket that gets the next turn first, with the turn."""
    reads = {asyncio.create_task(next_turn(ws)): ws for ws in sockets}
    done, waiting = await asyncio.wait(reads, return_when=asyncio.FIRST_COMPLETED)
    for task in waiting:  # a cancelled recv loses nothing (websockets' guarantee)
        task.cancel()
    await asyncio.gather(*waiting, return_exceptions=True)
    first = done.pop()
    return reads[first], first.result()


async def ack(api: Api, token: str, turn_id: str) -> Any:
    return (await api.gql(ACK, {"id": turn_id}, token=token)).json()


async def test_only_tutor_callers_receive_turns_and_acknowledge_them() -> None:
    async with served(make_settings()) as (api, url):
        _, learner = await api.user()
        _, admin = await api.admin()
        for token in (learner, admin):
            ws = await open_socket(url, token)
            await subscribe(ws, TURNS, {"g": "tutors"})
            answer = await receive(ws)
            assert answer["type"] == "error"
            assert answer["payload"][0]["extensions"]["code"] == "FORBIDDEN"
            await ws.close()
            body = await ack(api, token, "tutors:1")
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        tutor = await api.tutor()
        ws = await open_socket(url, tutor)
        await subscribe(ws, TURNS, {"g": "no spaces allowed"})
        answer = await receive(ws)
        assert answer["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        for unknown in ("tutors:999", "nonsense", "tutors:", "nogroup:1"):
            body = await ack(api, tutor, unknown)
            assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND", unknown
        # Priced and counted like any mutation.
        response = await api.gql(ACK, {"id": "tutors:1"}, token=tutor)
        assert response.json()["extensions"]["rateLimit"]["cost"] >= 1


async def drain(
    sockets: dict[str, Any], expected: int, on_turn: Any, within: float = 10
) -> list[tuple[str, dict[str, Any]]]:
    """Turns from several sockets until `expected` arrived: (socket name, turn) each,
    `on_turn` awaited for each as it comes (the worker's ack)."""
    got: list[tuple[str, dict[str, Any]]] = []
    done = asyncio.Event()

    async def read(name: str, ws: Any) -> None:
        while not done.is_set():
            turn = await next_turn(ws, within)
            got.append((name, turn))
            await on_turn(name, turn)
            if len(got) >= expected:
                done.set()

    tasks = [asyncio.create_task(read(n, ws)) for n, ws in sockets.items()]
    try:
        await asyncio.wait_for(done.wait(), within)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return got


async def check_one_client_per_group(api: Api, urls: list[str], tutor: str) -> None:
    """Two clients in group `a` (on the first and last replica) and one in `b`: each
    learner message reaches one client of `a` and the client of `b`, once; replies are
    not turns."""
    user, learner = await api.user()
    sid = await start(api, learner)
    a1, a2 = await tutor_socket(urls[0], tutor), await tutor_socket(urls[-1], tutor)
    b = await tutor_socket(urls[-1], tutor)  # another replica than the writer's: shared
    group_a, group_b = f"a{uuid.uuid4().hex[:6]}", f"b{uuid.uuid4().hex[:6]}"
    for ws, group in ((a1, group_a), (a2, group_a), (b, group_b)):
        await subscribe(ws, TURNS, {"g": group})
    await asyncio.sleep(0.3)  # the groups exist before the first turn
    said = [await record(api, learner, sid, f"utterance {i}") for i in range(6)]
    await record(api, tutor, sid, "A reply is not a turn.", role="ASSISTANT")

    async def acked(_name: str, turn: dict[str, Any]) -> None:
        assert (await ack(api, tutor, turn["id"]))["data"] == {"ackTurn": True}

    in_a = await drain({"a1": a1, "a2": a2}, len(said), acked)
    assert sorted(t["message"]["id"] for _, t in in_a) == sorted(said)  # each once
    assert {t["attempt"] for _, t in in_a} == {1}
    in_b = [t for _, t in await drain({"b": b}, len(said), acked)]
    assert [t["message"]["id"] for t in in_b] == said
    first = in_b[0]
    assert first["learner"] == {"id": user["_id"]}
    assert first["message"] == {"id": said[0], "role": "USER", "content": "utterance 0"}
    assert first["session"] == {"id": sid, "totalMessages": 1}  # as the write left it
    # Acknowledging again is still true (a retried ackTurn); nothing else arrives.
    assert (await ack(api, tutor, first["id"]))["data"] == {"ackTurn": True}
    assert all(await asyncio.gather(*(nothing_within(ws, 0.5) for ws in (a1, a2, b))))
    for ws in (a1, a2, b):
        await ws.close()


@pytest.mark.slow
async def test_each_learner_message_reaches_one_client_of_each_group() -> None:
    async with served(make_settings()) as (api, url):
        await check_one_client_per_group(api, [url], await api.tutor())


async def check_redelivery(api: Api, urls: list[str], tutor: str) -> None:
    """The client that got the turn never acknowledges it: after the deadline the other
    client of the group gets it, attempt 2; acknowledged, it goes nowhere else."""
    _, learner = await api.user()
    sid = await start(api, learner)
    sockets = {
        "one": await tutor_socket(urls[0], tutor),
        "two": await tutor_socket(urls[-1], tutor),
    }
    group = f"g{uuid.uuid4().hex[:6]}"
    for ws in sockets.values():
        await subscribe(ws, TURNS, {"g": group})
    await asyncio.sleep(0.3)
    said = await record(api, learner, sid, "Nobody answers me the first time.")
    first = await drain(sockets, 1, lambda *_: asyncio.sleep(0))
    ((silent, turn),) = first
    assert turn["attempt"] == 1 and turn["message"]["id"] == said
    other = "two" if silent == "one" else "one"
    again = await next_turn(sockets[other], within=10)
    assert again["message"]["id"] == said and again["attempt"] == 2
    assert again["id"] == turn["id"]
    assert (await ack(api, tutor, again["id"]))["data"] == {"ackTurn": True}
    # Past another deadline: acknowledged, so done.
    assert all(await asyncio.gather(*(nothing_within(ws, 1.2) for ws in sockets.values())))
    for ws in sockets.values():
        await ws.close()


@pytest.mark.slow
async def test_an_unacknowledged_turn_goes_to_another_client_with_the_next_attempt() -> None:
    async with served(make_settings(turn_ack_timeout_seconds=0.5)) as (api, url):
        await check_redelivery(api, [url], await api.tutor())
        body = (await api.client.get("/metrics")).text
        assert "gateway_turns_redelivered 1.0" in body
        assert "gateway_turns_delivered 2.0" in body


async def check_reconnect(api: Api, url: str, tutor: str) -> None:
    """A worker that lost its socket comes back under the same consumer name: it gets the
    turns it had not acknowledged first, without waiting for the deadline."""
    _, learner = await api.user()
    sid = await start(api, learner)
    group = f"r{uuid.uuid4().hex[:6]}"
    ws = await tutor_socket(url, tutor, consumer="worker-1")
    await subscribe(ws, TURNS, {"g": group})
    await asyncio.sleep(0.3)
    said = [await record(api, learner, sid, f"before the drop {i}") for i in range(3)]
    got = [await next_turn(ws) for _ in said]
    assert (await ack(api, tutor, got[0]["id"]))["data"] == {"ackTurn": True}
    await ws.close()  # two left unacknowledged
    ws = await tutor_socket(url, tutor, consumer="worker-1")
    await subscribe(ws, TURNS, {"g": group})
    back = [await next_turn(ws, within=5) for _ in range(2)]
    assert [t["message"]["id"] for t in back] == said[1:]
    assert [t["attempt"] for t in back] == [2, 2]
    for turn in back:
        assert (await ack(api, tutor, turn["id"]))["data"] == {"ackTurn": True}
    later = await record(api, learner, sid, "after the reconnect")
    # The closed connection's last read may have taken it as it ended (attempt 2 then):
    # it is handed back at once rather than after the ack deadline (30 s).
    turn = await next_turn(ws, within=5)
    assert turn["message"]["id"] == later and turn["attempt"] in (1, 2)
    await ws.close()


async def check_dead_predecessor(api: Api, url: str, tutor: str) -> None:
    """The old connection died without the gateway noticing (no close frame) and kept
    taking turns after the worker reconnected under the same name: those turns reach the
    new connection within about a second (a tenth of the 10 s deadline), not after two
    deadlines (20 s)."""
    _, learner = await api.user()
    sid = await start(api, learner)
    group = f"d{uuid.uuid4().hex[:6]}"
    dead = await tutor_socket(url, tutor, consumer="worker-1")
    await subscribe(dead, TURNS, {"g": group})
    alive = await tutor_socket(url, tutor, consumer="worker-1")
    await subscribe(alive, TURNS, {"g": group})
    await asyncio.sleep(0.2)
    lost = None
    for i in range(12):  # until the dead connection has taken one
        said = await record(api, learner, sid, f"said {i}")
        ws, got = await first_turn(dead, alive)
        assert got["message"]["id"] == said
        if ws is dead:
            lost = said
            break
        assert (await ack(api, tutor, got["id"]))["data"] == {"ackTurn": True}
    assert lost is not None, "the dead connection never took a turn"
    back = await next_turn(alive, within=4)
    assert (back["message"]["id"], back["attempt"]) == (lost, 2)
    assert (await ack(api, tutor, back["id"]))["data"] == {"ackTurn": True}
    assert await nothing_within(alive, 1.5)  # acknowledged: not delivered again
    await dead.close()
    await alive.close()


@pytest.mark.slow
async def test_turns_taken_by_a_connection_that_died_unnoticed_come_back_in_seconds() -> None:
    async with served(make_settings(turn_ack_timeout_seconds=10)) as (api, url):
        await check_dead_predecessor(api, url, await api.tutor())


@pytest.mark.redis
@pytest.mark.slow
async def test_on_the_stream_turns_of_a_connection_that_died_unnoticed_come_back() -> None:
    async with replicas(turn_ack_timeout_seconds=10) as (api, urls):
        await check_dead_predecessor(api, urls[1], await api.tutor())


async def check_unacked_cap(api: Api, url: str, tutor: str) -> None:
    """A client holding TURN_MAX_UNACKED (2 here) unacknowledged turns takes no new one:
    the next turn waits for another client of the group instead of piling up behind a
    stuck worker."""
    _, learner = await api.user()
    sid = await start(api, learner)
    group = f"c{uuid.uuid4().hex[:6]}"
    busy = await tutor_socket(url, tutor)
    await subscribe(busy, TURNS, {"g": group})
    await asyncio.sleep(0.2)
    said = [await record(api, learner, sid, f"said {i}") for i in range(3)]
    held = [await next_turn(busy) for _ in range(2)]
    assert [t["message"]["id"] for t in held] == said[:2]
    assert await nothing_within(busy, 1.5)  # at the cap: the third is not taken
    free = await tutor_socket(url, tutor)
    await subscribe(free, TURNS, {"g": group})
    third = await next_turn(free, within=5)
    assert (third["message"]["id"], third["attempt"]) == (said[2], 1)
    assert (await ack(api, tutor, held[0]["id"]))["data"] == {"ackTurn": True}
    fourth = await record(api, learner, sid, "said 3")
    _, got = await first_turn(busy, free)  # below its cap, the busy one may take it again
    assert got["message"]["id"] == fourth
    await busy.close()
    await free.close()


@pytest.mark.slow
async def test_a_client_at_its_unacknowledged_cap_takes_no_new_turn() -> None:
    settings = make_settings(turn_ack_timeout_seconds=30, turn_max_unacked=2)
    async with served(settings) as (api, url):
        await check_unacked_cap(api, url, await api.tutor())


@pytest.mark.redis
@pytest.mark.slow
async def test_on_the_stream_a_client_at_its_cap_takes_no_new_turn() -> None:
    async with replicas(turn_ack_timeout_seconds=30, turn_max_unacked=2) as (api, urls):
        await check_unacked_cap(api, urls[1], await api.tutor())


async def test_a_reconnecting_consumer_gets_its_unacknowledged_turns_back() -> None:
    async with served(make_settings(turn_ack_timeout_seconds=30)) as (api, url):
        await check_reconnect(api, url, await api.tutor())


async def test_a_consumer_name_that_is_not_a_name_is_refused() -> None:
    from websockets.asyncio.client import connect as ws_connect

    from tests.wsclient import closed_with

    async with served(make_settings()) as (api, url):
        tutor = await api.tutor()
        ws = await ws_connect(url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
        payload = {"Authorization": f"Bearer {tutor}", "consumer": "no spaces/or slashes"}
        await send(ws, {"type": "connection_init", "payload": payload})
        assert await closed_with(ws) == 4400


@pytest.mark.slow
async def test_a_turn_whose_writer_died_before_publishing_is_delivered_once_by_maintenance() -> (
    None
):
    """The process died after inserting the learner's message, before counting it,
    recording its event or handing the turn on: the maintenance pass finishes it and the
    turn arrives, once, however often the event is published again."""
    async with served(make_settings()) as (api, url):
        user, learner = await api.user()
        tutor = await api.tutor()
        sid = await start(api, learner)
        ws = await tutor_socket(url, tutor)
        await subscribe(ws, TURNS, {"g": "crash"})
        await asyncio.sleep(0.3)
        db = api.services.db
        await died_after_insert(db, "crashed-turn", sid, user["_id"])
        assert await nothing_within(ws, 0.3)
        assert await complete_pending(db, 14.0) == 1
        hub = api.services.extras[HUB_KEY]
        assert await publish_pending(db, hub, older_than=timedelta(0)) == 1
        turn = await next_turn(ws)
        assert turn["message"]["id"] == "crashed-turn" and turn["attempt"] == 1
        assert (await ack(api, tutor, turn["id"]))["data"] == {"ackTurn": True}
        # Published again (a relay failure, two replicas' passes): still one turn.
        await db.session_events.update_many({}, {"$set": {"published": False}})
        assert await publish_pending(db, hub, older_than=timedelta(0)) == 1
        assert await nothing_within(ws, 0.5)
        await ws.close()


class replicas:
    """Two gateways on one database and one Redis (the key prefix is this test's own, and
    its keys are deleted afterwards): what two replicas of a deployment share."""

    def __init__(self, **overrides: Any) -> None:
        self.settings = make_settings(redis_url=redis_url(), **overrides)

    async def __aenter__(self) -> tuple[Api, list[str]]:
        s = self.settings
        self.db = await connect(s.mongo_uri, s.mongo_db, 2000, 5000)
        self.served = [served(s, db=self.db), served(s, db=self.db)]
        (api, url_a), (_, url_b) = [await x.__aenter__() for x in self.served]
        return api, [url_a, url_b]

    async def __aexit__(self, *exc: Any) -> None:
        for x in reversed(self.served):
            await x.__aexit__(*exc)
        import redis.asyncio as aioredis

        client = aioredis.from_url(redis_url())
        keys = [k async for k in client.scan_iter(match=f"{{{self.settings.redis_key_prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
        await self.db.close()


@pytest.mark.redis
@pytest.mark.slow
async def test_two_replicas_share_one_turn_stream() -> None:
    async with replicas() as (api, urls):
        assert isinstance(api.services.extras[TURNS_KEY], RedisTurns)
        await check_one_client_per_group(api, urls, await api.tutor())


@pytest.mark.redis
@pytest.mark.slow
async def test_redelivery_crosses_replicas_on_the_stream() -> None:
    async with replicas(turn_ack_timeout_seconds=0.5) as (api, urls):
        await check_redelivery(api, urls, await api.tutor())


@pytest.mark.redis
async def test_a_consumer_reconnecting_to_the_other_replica_gets_its_turns_back() -> None:
    async with replicas(turn_ack_timeout_seconds=30) as (api, urls):
        await check_reconnect(api, urls[1], await api.tutor())


async def test_a_completed_subscription_is_sent_no_turn_a_read_took_as_it_was_cancelled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The tutor service completes its subscription while a read for new turns is under
    way, and the read answers with a turn as the cancellation lands (Python 3.11's
    wait_for and redis-py's timeouts can return that result). Before, the turn went out as
    `next` for an id the client had completed; now nothing is sent and the turn goes back
    to the group at once (before this, it waited for the 30 s ack deadline)."""
    original = InProcessTurns.take
    waiting = asyncio.Event()

    async def take(
        self: InProcessTurns,
        group: str,
        consumer: str,
        *,
        own: bool,
        block_s: float,
        cursor: list[str],
    ) -> list[Any]:
        if own or waiting.is_set():  # only the first subscription's read is cut short
            return await original(self, group, consumer, own=own, block_s=block_s, cursor=cursor)
        waiting.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:  # swallowed: the read's answer comes back
            return await original(self, group, consumer, own=False, block_s=1, cursor=cursor)
        return []

    monkeypatch.setattr(InProcessTurns, "take", take)
    async with served(make_settings()) as (api, url):
        _, learner = await api.user()
        tutor = await api.tutor()
        sid = await start(api, learner)
        ws = await tutor_socket(url, tutor)
        await subscribe(ws, TURNS, {"g": "tutors"})
        await asyncio.wait_for(waiting.wait(), 5)
        await record(api, learner, sid, "I has a cat.")  # a turn for the group
        await send(ws, {"id": "1", "type": "complete"})
        assert await nothing_within(ws, 0.5), "a completed subscription was sent a turn"
        turns = api.services.extras[TURNS_KEY]
        assert sum(len(g.pending) for g in turns.groups.values()) == 1  # taken, not lost
        await subscribe(ws, TURNS, {"g": "tutors"}, sid="2")
        turn = await next_turn(ws, within=5)
        assert turn["attempt"] == 1  # the delivery nobody received does not count
        await ws.close()


async def check_revoked_client_hands_back(api: Api, url: str) -> None:
    """A tutor client revoked while subscribed takes the next turn, is refused before it
    goes out and closed (4403): the turn goes to the group's other client at once, with
    its first attempt, not after the 30 s ack deadline."""
    _, learner = await api.user()
    _, admin = await api.admin()
    sid = await start(api, learner)
    group = f"v{uuid.uuid4().hex[:6]}"
    created = await api.data(
        'mutation { createApiClient(input: {name: "doomed", scopes: [TUTOR]}) '
        "{ secret client { id } } }",
        token=admin,
    )
    doomed = await tutor_socket(url, created["createApiClient"]["secret"])
    await subscribe(doomed, TURNS, {"g": group})
    await asyncio.sleep(0.3)
    await api.data(
        "mutation($id: ID!) { revokeApiClient(id: $id) { id } }",
        {"id": created["createApiClient"]["client"]["id"]},
        token=admin,
    )
    said = await record(api, learner, sid, "anyone there?")
    assert await closed_with(doomed) == 4403
    other = await tutor_socket(url, await api.tutor())
    await subscribe(other, TURNS, {"g": group})
    turn = await next_turn(other, within=5)
    assert (turn["message"]["id"], turn["attempt"]) == (said, 1)
    await other.close()


async def test_a_turn_a_revoked_client_took_goes_to_another_client_at_once() -> None:
    settings = make_settings(turn_ack_timeout_seconds=30, api_client_cache_seconds=0)
    async with served(settings) as (api, url):
        await check_revoked_client_hands_back(api, url)


@pytest.mark.redis
async def test_on_the_stream_a_turn_a_revoked_client_took_goes_to_another_at_once() -> None:
    async with replicas(turn_ack_timeout_seconds=30, api_client_cache_seconds=0) as (api, urls):
        await check_revoked_client_hands_back(api, urls[1])


@pytest.mark.parametrize("on_stream", [pytest.param(True, marks=pytest.mark.redis), False])
async def test_a_release_never_takes_back_a_turn_another_client_claimed_since(
    on_stream: bool,
) -> None:
    """A subscription stuck past the deadline with a turn in hand, which another client
    claimed meanwhile (attempt 2), then closes: its release must leave that claim alone,
    or the turn goes out a second time at once, attempt 1 again."""
    prefix = f"t{uuid.uuid4().hex[:8]}"
    queue: Any = (
        RedisTurns(redis_url(), prefix, 0.3, 1000) if on_stream else InProcessTurns(0.3, 1000)
    )
    try:
        for consumer in ("A", "B", "C"):
            await queue.join("g", consumer)
        assert await queue.add({"_id": f"{prefix}-event", "type": "message_recorded"})
        (a,) = await queue.take("g", "A", own=False, block_s=0.5, cursor=["0-0"])
        await asyncio.sleep(0.35)
        (b,) = await queue.take("g", "B", own=False, block_s=0.5, cursor=["0-0"])
        assert (b.entry, b.attempt) == (a.entry, 2)
        await queue.release("g", "A", [a])
        assert await queue.take("g", "C", own=False, block_s=0.2, cursor=["0-0"]) == []
        await queue.release("g", "B", [b])  # the holder's own release still works
        (c,) = await queue.take("g", "C", own=False, block_s=0.5, cursor=["0-0"])
        assert (c.entry, c.attempt) == (b.entry, 2)
    finally:
        if on_stream:
            keys = [k async for k in queue.client.scan_iter(match=f"{{{prefix}:*")]
            if keys:
                await queue.client.delete(*keys)
        await queue.close()


async def check_unsent_turns_handed_back(
    api: Api, url: str, other_url: str, stalled: asyncio.Event
) -> None:
    """A worker went away holding two turns; past their deadline (3 s here) a second
    client claims both in one read, and its socket stalls before the first is written (a
    keep-alive ping stuck on the lock, a socket going away), then it goes too. Neither
    turn reached it: both go to the group's next client at once, not at the second
    deadline. Before, the turn in hand and the rest of the read waited for it."""
    _, learner = await api.user()
    tutor = await api.tutor()
    sid = await start(api, learner)
    group = f"u{uuid.uuid4().hex[:6]}"
    gone = await tutor_socket(url, tutor)
    await subscribe(gone, TURNS, {"g": group})
    await asyncio.sleep(0.3)
    said = [await record(api, learner, sid, f"unsent {i}") for i in range(2)]
    assert [(await next_turn(gone))["message"]["id"] for _ in said] == said
    await gone.close()  # both unacknowledged
    await asyncio.sleep(3.2)
    stalled.clear()
    claims = await tutor_socket(url, tutor)
    await subscribe(claims, TURNS, {"g": group})
    await asyncio.wait_for(stalled.wait(), 5)  # both claimed (attempt 2), none written
    await claims.close()
    other = await tutor_socket(other_url, tutor)
    await subscribe(other, TURNS, {"g": group})
    back = [await next_turn(other, within=2) for _ in said]
    assert sorted(t["message"]["id"] for t in back) == sorted(said)
    assert [t["attempt"] for t in back] == [2, 2]  # the unsent delivery does not count
    await other.close()


def stall_turn_writes(monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """While the returned event is clear, a turn's `next` never starts its write: it waits
    (the send lock held elsewhere) until the connection ends; the event is set then."""
    from gateway.live_ws import Connection

    stalled = asyncio.Event()
    stalled.set()
    original = Connection._send

    async def send(self: Connection, message: dict[str, Any], frame: Any = None) -> None:
        payload = message.get("payload")
        if not stalled.is_set() and isinstance(payload, dict) and "tutorTurns" in str(payload):
            stalled.set()
            await asyncio.Event().wait()  # cancelled as the connection closes
        await original(self, message, frame)

    monkeypatch.setattr(Connection, "_send", send)
    return stalled


@pytest.mark.slow
async def test_turns_a_closed_subscription_never_began_to_send_go_to_another_client_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stalled = stall_turn_writes(monkeypatch)
    async with served(make_settings(turn_ack_timeout_seconds=3)) as (api, url):
        await check_unsent_turns_handed_back(api, url, url, stalled)


@pytest.mark.redis
@pytest.mark.slow
async def test_on_the_stream_unsent_turns_go_to_another_client_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stalled = stall_turn_writes(monkeypatch)
    async with replicas(turn_ack_timeout_seconds=3) as (api, urls):
        await check_unsent_turns_handed_back(api, urls[0], urls[1], stalled)


async def test_a_turn_an_earlier_connection_received_keeps_its_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker receives a turn and its socket drops while it works on it; it reconnects
    under its name, takes the turn back, and that connection drops too before the turn is
    written again. The worker may still answer it: the turn is not handed to another
    client before its ack deadline (the group handles each turn once)."""
    stalled = stall_turn_writes(monkeypatch)
    async with served(make_settings(turn_ack_timeout_seconds=30)) as (api, url):
        _, learner = await api.user()
        tutor = await api.tutor()
        sid = await start(api, learner)
        group = f"e{uuid.uuid4().hex[:6]}"
        ws = await tutor_socket(url, tutor, consumer="worker-1")
        await subscribe(ws, TURNS, {"g": group})
        await asyncio.sleep(0.3)
        said = await record(api, learner, sid, "hello")
        assert (await next_turn(ws))["message"]["id"] == said
        await ws.close()
        stalled.clear()
        ws = await tutor_socket(url, tutor, consumer="worker-1")
        await subscribe(ws, TURNS, {"g": group})
        await asyncio.wait_for(stalled.wait(), 5)  # its own turn in hand, not written
        await ws.close()
        other = await tutor_socket(url, tutor, consumer="worker-2")
        await subscribe(other, TURNS, {"g": group})
        assert await nothing_within(other, 2), "a turn worker-1 may be answering went out again"
        await other.close()


async def test_a_turn_whose_subscription_completed_before_it_was_written_goes_back_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The tutor service completes its subscription while a turn is between the queue and
    the socket (here: the credential check every delivery makes). Nothing is sent, and the
    turn goes to the group's other client at once, first attempt."""
    from gateway import live_stream

    checking = asyncio.Event()
    original = live_stream.authenticate
    calls: list[str] = []

    async def slow(services: Any, header: str) -> Any:
        calls.append(header)
        if len(calls) == 2:  # the first delivery's check (the first: the subscription's)
            checking.set()
            await asyncio.sleep(1)  # a credential check that reads the database
        return await original(services, header)

    monkeypatch.setattr(live_stream, "authenticate", slow)
    async with served(make_settings(turn_ack_timeout_seconds=30)) as (api, url):
        _, learner = await api.user()
        tutor = await api.tutor()
        sid = await start(api, learner)
        group = f"c{uuid.uuid4().hex[:6]}"
        ws = await tutor_socket(url, tutor)
        await subscribe(ws, TURNS, {"g": group})
        await asyncio.sleep(0.3)
        said = await record(api, learner, sid, "hello")
        await asyncio.wait_for(checking.wait(), 5)
        await send(ws, {"id": "1", "type": "complete"})
        assert await nothing_within(ws, 1.2)
        other = await tutor_socket(url, tutor)
        await subscribe(other, TURNS, {"g": group})
        turn = await next_turn(other, within=5)
        assert (turn["message"]["id"], turn["attempt"]) == (said, 1)
        await other.close()
        await ws.close()


async def test_an_unreachable_turn_stream_ends_the_subscription_as_unavailable() -> None:
    """Redis away: tutorTurns answers SERVICE_UNAVAILABLE (subscribe again), as ackTurn
    does; before, an INTERNAL error and an unhandled_resolver_error in the log."""
    from tests.servers import free_port

    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    async with served(make_settings(redis_url=dead)) as (api, url):
        ws = await tutor_socket(url, await api.tutor())
        await subscribe(ws, TURNS, {"g": "tutors"})
        answer = await receive(ws, 10)
        assert answer["type"] == "error", answer
        assert answer["payload"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        await ws.close()
