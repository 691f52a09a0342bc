"""The bounds of the WebSocket endpoint (gateway/live_ws.py): each test fails without its
bound. Hostile or broken clients are cut off with the close code docs/live.md lists."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.protocol import Protocol

from gateway.ws_protocol import LeanWebSocketProtocol
from models.documents import utcnow
from resolvers.outbox import HUB_KEY
from tests.conftest import make_settings
from tests.wsclient import PROTOCOL, closed_with, open_socket, receive, send, served, subscribe

EVENTS = "subscription($s: ID!) { sessionEvents(sessionId: $s) { id type } }"


async def _session(api, token: str) -> str:  # type: ignore[no-untyped-def]
    data = await api.data("mutation { startSession(input: {}) { id } }", token=token)
    return str(data["startSession"]["id"])


async def test_a_socket_that_never_sends_connection_init_is_closed_4408() -> None:
    async with served(make_settings(ws_init_timeout_seconds=0.3)) as (_api, url):
        ws = await open_socket(url, None, init=False)
        assert await closed_with(ws, 5) == 4408


async def test_connection_init_without_a_valid_token_is_closed_4403() -> None:
    async with served(make_settings()) as (_api, url):
        for payload in ({}, {"Authorization": "Bearer not-a-token"}):
            ws = await open_socket(url, None, init=False)
            await send(ws, {"type": "connection_init", "payload": payload})
            assert await closed_with(ws) == 4403
        ws = await open_socket(url, None, init=False)
        await subscribe(ws, EVENTS, {"s": "x"})  # before connection_init
        assert await closed_with(ws) == 4401


async def test_a_second_connection_init_is_closed_4429() -> None:
    async with served(make_settings()) as (api, url):
        _, learner = await api.user()
        ws = await open_socket(url, learner)
        await send(ws, {"type": "connection_init", "payload": {}})
        assert await closed_with(ws) == 4429


async def test_a_frame_over_the_size_cap_is_closed_1009() -> None:
    async with served(make_settings(ws_max_message_bytes=2000)) as (api, url):
        _, learner = await api.user()
        ws = await open_socket(url, learner)
        padding = "#" * 3000 + "\n"
        await subscribe(ws, padding + EVENTS, {"s": "x"})
        assert await closed_with(ws) == 1009


async def test_a_client_flooding_messages_is_closed_1008() -> None:
    """Nothing a client sends over the socket is charged, and a `ping` is answered at once:
    one socket echoed ~44,000 a second. A burst of WS_MESSAGE_BURST is fine; a flood is
    closed."""
    async with served(make_settings()) as (api, url):
        _, learner = await api.user()
        ws = await open_socket(url, learner)
        for _ in range(30):  # a lively client: well within the burst
            await send(ws, {"type": "ping"})
        assert (await receive(ws))["type"] == "pong"
        for _ in range(1_000):
            await send(ws, {"type": "ping"})
        assert await closed_with(ws) == 1008


async def test_an_open_socket_holds_no_handshake_and_its_parser_caps_frames() -> None:
    """gateway/ws_protocol.py: Uvicorn kept the upgrade's request and response (their
    headers) for the socket's life, buffered frames up to 16 MiB before the endpoint saw
    their size, and pinged on its own beside the endpoint's keep-alive."""
    server = served(make_settings(ws_max_message_bytes=2000))
    async with server as (api, url):
        _, learner = await api.user()
        ws = await open_socket(url, learner)
        [protocol] = [
            c
            for c in server.server.server_state.connections
            if isinstance(c, LeanWebSocketProtocol)
        ]
        assert "request" not in vars(protocol) and "response" not in vars(protocol)
        assert protocol.conn.parser.gi_code is Protocol.parse.__code__  # not the upgrade's
        assert protocol.conn.max_message_size == 2000
        assert protocol.ping_timer is None
        await send(ws, {"type": "ping"})  # the fresh parser reads frames
        assert (await asyncio.wait_for(ws.recv(), 5)) == '{"type":"pong"}'
        await ws.close()


async def test_subscriptions_per_connection_are_capped() -> None:
    async with served(make_settings(ws_max_subscriptions=2)) as (api, url):
        _, learner = await api.user()
        sid = await _session(api, learner)
        ws = await open_socket(url, learner)
        for n in ("1", "2", "3"):
            await subscribe(ws, EVENTS, {"s": sid}, sid=n)
        refused = await receive(ws)
        assert refused["id"] == "3" and refused["type"] == "error"
        assert refused["payload"][0]["extensions"]["maxSubscriptions"] == 2
        await subscribe(ws, EVENTS, {"s": sid}, sid="2")  # an id already running
        assert await closed_with(ws) == 4409


async def test_connections_per_user_are_capped() -> None:
    async with served(make_settings(ws_max_connections_per_user=2)) as (api, url):
        _, learner = await api.user()
        _, other = await api.user()
        first, second = await open_socket(url, learner), await open_socket(url, learner)
        third = await open_socket(url, learner, init=False)
        await send(
            third, {"type": "connection_init", "payload": {"Authorization": f"Bearer {learner}"}}
        )
        assert await closed_with(third) == 4008
        await (await open_socket(url, other)).close()  # another caller is not affected
        await first.close()
        await asyncio.sleep(0.2)
        await (await open_socket(url, learner)).close()  # a closed one frees its place
        await second.close()


@pytest.mark.slow
async def test_a_client_that_stops_answering_pings_is_closed_4504() -> None:
    async with served(make_settings(ws_ping_interval_seconds=0.3)) as (api, url):
        _, learner = await api.user()
        silent = await open_socket(url, learner)
        answering = await open_socket(url, learner)

        async def pong_for(seconds: float) -> None:
            loop = asyncio.get_running_loop()
            end = loop.time() + seconds
            while (left := end - loop.time()) > 0:
                try:
                    raw = await asyncio.wait_for(answering.recv(), left)
                except TimeoutError:
                    return
                if '"ping"' in str(raw):
                    await send(answering, {"type": "pong"})

        await pong_for(1.5)  # answers its pings: still open
        assert answering.close_code is None
        assert await closed_with(silent, 5) == 4504  # never answered one
        await answering.close()


async def test_a_subscriber_that_falls_behind_is_closed_4013() -> None:
    async with served(make_settings(ws_buffer_events=3)) as (api, url):
        user, learner = await api.user()
        sid = await _session(api, learner)
        ws = await open_socket(url, learner)
        await subscribe(ws, EVENTS, {"s": sid})
        await asyncio.sleep(0.2)
        hub = api.services.extras[HUB_KEY]
        session = {"_id": sid, "user_id": user["_id"], "status": "active", "started_at": utcnow()}
        for seq in range(1, 11):  # a burst faster than the subscriber takes it
            hub.deliver(
                {
                    "_id": f"e{seq}",
                    "session_id": sid,
                    "user_id": user["_id"],
                    "seq": seq,
                    "type": "message_recorded",
                    "at": utcnow(),
                    "session": session,
                    "message": None,
                }
            )
        assert await closed_with(ws) == 4013


async def test_the_upgrade_from_an_origin_cors_refuses_is_refused() -> None:
    settings = make_settings(cors_allow_origins="https://app.example")
    async with served(settings) as (api, url):
        _, learner = await api.user()
        with pytest.raises(InvalidStatus) as refused:
            await connect(url, subprotocols=[PROTOCOL], origin="https://evil.example")  # type: ignore[list-item,arg-type]
        assert refused.value.response.status_code == 403
        ws = await open_socket(url, learner, origin="https://app.example")
        await ws.close()


@pytest.mark.slow
async def test_subscribing_is_charged_like_a_query() -> None:
    async with served(make_settings(rate_limit_free="3/minute")) as (api, url):
        _, learner = await api.user()
        sid = await _session(api, learner)  # one request
        ws = await open_socket(url, learner)
        codes = []
        for n in range(4):
            await subscribe(ws, EVENTS, {"s": sid}, sid=str(n))
        await asyncio.sleep(0.5)
        while True:
            try:
                message = await receive(ws, within=0.5)
            except TimeoutError:
                break
            if message["type"] == "error":
                codes.append(message["payload"][0]["extensions"]["code"])
        assert codes == ["RATE_LIMITED", "RATE_LIMITED"]


async def test_broken_subscriptions_are_charged_and_a_spent_caller_is_not_parsed() -> None:
    """Over HTTP a document that fails to parse or validate still takes a request, and a
    caller whose window is spent is refused before the gateway parses anything. A
    `subscribe` was charged only once it validated: a learner's four sockets streaming
    unique 16 KB documents that fail validation held every other caller's `{ me { id } }`
    at 1.2 s (p50) and 4 s, never refused. Now it is charged first, like HTTP."""
    async with served(make_settings(rate_limit_free="3/minute")) as (api, url):
        _, learner = await api.user()
        ws = await open_socket(url, learner)
        codes = []
        for n in range(5):
            # A different broken document each time, unparsable or invalid: either was
            # answered BAD_USER_INPUT (the unparsable one, before, never at all).
            broken = "subscription { sessionEvents(sessionId: " + str(n) + ") { id }"
            if n % 2:
                broken = "subscription { sessionEvents(sessionId: " + str(n) + ") { nope } }"
            await subscribe(ws, broken, None, str(n))
            message = await receive(ws, within=3)
            assert message["type"] == "error", message
            codes.append(message["payload"][0]["extensions"].get("code"))
        assert codes == ["BAD_USER_INPUT"] * 3 + ["RATE_LIMITED"] * 2, codes
        await ws.close()


# What each delivered event runs again: the subscriber's sessions, a page of them.
HEAVY_EVENTS = (
    "subscription($s: ID!) { sessionEvents(sessionId: $s) { id session { user {"
    " sessions(first: 20) { edges { node { id topic } } } } } } }"
)


async def test_every_delivered_event_is_charged_its_price() -> None:
    """An event runs the subscription's whole selection again: priced once at subscribe,
    200 subscriptions of a 5,000-point selection made every recorded message 1,000,000
    loads for the ~11 points the write cost. Each event now takes its price from the
    subscriber's bucket; once it is spent the stream ends RATE_LIMITED (resume with
    `after`: nothing is lost) instead of running on for free."""
    # ~24 points per event, ~0 refill: the bucket pays for a handful of events, not 30.
    settings = make_settings(cost_bucket_free="150:0.001")
    async with served(settings) as (api, url):
        user, learner = await api.user()
        sid = await _session(api, learner)
        ws = await open_socket(url, learner)
        await subscribe(ws, HEAVY_EVENTS, {"s": sid})
        await asyncio.sleep(0.2)
        hub = api.services.extras[HUB_KEY]
        session = {"_id": sid, "user_id": user["_id"], "status": "active", "started_at": utcnow()}
        nexts, errors = 0, []
        for seq in range(1, 31):
            hub.deliver(
                {
                    "_id": f"e{seq}",
                    "session_id": sid,
                    "user_id": user["_id"],
                    "seq": seq,
                    "type": "message_recorded",
                    "at": utcnow(),
                    "session": session,
                    "message": None,
                }
            )
            try:
                message = await receive(ws, within=2)
            except TimeoutError:
                break
            if message["type"] == "next":
                nexts += 1
            elif message["type"] == "error":
                errors.append(message["payload"][0]["extensions"])
                break
        assert errors and errors[0]["code"] == "RATE_LIMITED", (nexts, errors)
        assert errors[0]["retryAfter"] >= 1
        assert 1 <= nexts < 10
        await ws.close()


async def test_metrics_count_connections_and_subscriptions() -> None:
    async with served(make_settings(metrics_enabled=True)) as (api, url):
        _, learner = await api.user()
        sid = await _session(api, learner)
        ws = await open_socket(url, learner)
        await subscribe(ws, EVENTS, {"s": sid})
        await asyncio.sleep(0.2)
        base = url.replace("ws://", "http://").removesuffix("/graphql")
        async with httpx.AsyncClient() as client:
            text = (await client.get(f"{base}/metrics")).text
        assert "gateway_ws_connections 1.0" in text
        assert "gateway_subscriptions_active 1.0" in text
        await ws.close()
