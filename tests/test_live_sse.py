"""GraphQL over SSE (distinct connections mode) at /graphql: `Accept: text/event-stream`.

The same subscriptions as the WebSocket path (gateway/live_stream.py runs both), their
protocol (`event: next`, `event: complete`, `:` keep-alive comments), their refusals
before the stream opens (401, 403, 429 as HTTP statuses) and their bounds. Each test runs
the app on a real socket in this event loop (tests/wsclient.py `served`): httpx's ASGI
transport buffers a response to its end, and a stream has none.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from models.documents import utcnow
from resolvers.outbox import HUB_KEY, LiveHub
from tests.conftest import Api, make_settings
from tests.wsclient import open_socket, receive, served, subscribe

EVENTS = """subscription($s: ID!, $after: ID) { sessionEvents(sessionId: $s, after: $after) {
  id type message { id role content } session { totalMessages } } }"""
RECORD = """mutation($s: ID!, $role: MessageRole!, $c: String!) {
  recordMessage(input: {sessionId: $s, role: $role, content: $c}) { id } }"""
SSE = {"Accept": "text/event-stream"}


class Stream:
    """An open event stream: `await stream.event()` is the next event or comment."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()

    async def event(self, within: float = 10) -> dict[str, Any]:
        """{"event": ..., "data": parsed JSON or None} or {"comment": text}."""
        fields: dict[str, Any] = {}
        while True:
            line = await asyncio.wait_for(anext(self._lines), within)
            if line == "":
                if fields:
                    return fields
                continue
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "":
                return {"comment": value}
            if name == "data":
                fields["data"] = json.loads(value) if value else None
            else:
                fields[name] = value

    async def rest(self) -> list[str]:
        """Every line until the server ends the response."""
        return [line async for line in self._lines]

    async def next_event(self) -> dict[str, Any]:
        """The next `event:` (keep-alive comments skipped)."""
        while "comment" in (got := await self.event()):
            pass
        return got


@asynccontextmanager
async def stream(
    base: str,
    token: str | None,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    method: str = "POST",
    headers: dict[str, str] | None = None,
) -> AsyncIterator[Stream]:
    h = {**SSE, **(headers or {})}
    if token:
        h["Authorization"] = f"Bearer {token}"
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        if method == "POST":
            request = client.build_request(
                "POST", "/graphql", json={"query": query, "variables": variables}, headers=h
            )
        else:
            params = {"query": query, "variables": json.dumps(variables or {})}
            request = client.build_request("GET", "/graphql", params=params, headers=h)
        response = await client.send(request, stream=True)
        try:
            yield Stream(response)
        finally:
            await response.aclose()


async def _session(api: Api, token: str) -> str:
    data = await api.data("mutation { startSession(input: {}) { id } }", token=token)
    return str(data["startSession"]["id"])


async def _record(api: Api, token: str, sid: str, content: str, role: str = "USER") -> str:
    data = await api.data(RECORD, {"s": sid, "role": role, "c": content}, token=token)
    return str(data["recordMessage"]["id"])


def _hub(api: Api) -> LiveHub:
    hub = api.services.extras[HUB_KEY]
    assert isinstance(hub, LiveHub)
    return hub


async def _subscribed(api: Api, count: int = 1) -> None:
    for _ in range(200):
        if _hub(api).active >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the stream never subscribed")


def _base(ws_url: str) -> str:
    return ws_url.replace("ws://", "http://").removesuffix("/graphql")


async def test_a_subscription_streams_next_events_then_complete() -> None:
    async with served(make_settings()) as (api, url):
        _, learner = await api.user()
        tutor = await api.tutor()
        sid = await _session(api, learner)
        async with stream(_base(url), learner, EVENTS, {"s": sid}) as events:
            response = events.response
            assert response.status_code == 200
            assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
            assert response.headers["cache-control"] == "no-store"
            assert await events.event() == {"comment": ""}  # the stream opens at once
            await _subscribed(api)
            said = await _record(api, learner, sid, "I has a cat.")
            reply = await _record(api, tutor, sid, "We say: I have a cat.", "ASSISTANT")
            first, second = await events.next_event(), await events.next_event()
            assert first["event"] == "next"
            assert first["data"]["data"]["sessionEvents"]["message"]["id"] == said
            assert first["data"]["data"]["sessionEvents"]["session"] == {"totalMessages": 1}
            assert second["data"]["data"]["sessionEvents"]["message"] == {
                "id": reply,
                "role": "ASSISTANT",
                "content": "We say: I have a cat.",
            }
            await api.data("mutation($s: ID!) { endSession(id: $s) { id } }", {"s": sid}, learner)
            ended = await events.next_event()
            assert ended["data"]["data"]["sessionEvents"]["type"] == "SESSION_ENDED"
            assert await events.next_event() == {"event": "complete", "data": None}


async def test_get_resumes_after_an_event_id_without_gaps_or_duplicates() -> None:
    async with served(make_settings()) as (api, url):
        _, learner = await api.user()
        sid = await _session(api, learner)
        for n in range(3):
            await _record(api, learner, sid, f"m{n}")
        variables = {"s": sid, "after": f"{sid}:1"}
        async with stream(_base(url), learner, EVENTS, variables, method="GET") as events:
            assert events.response.status_code == 200
            replayed = [await events.next_event() for _ in range(2)]
            await _subscribed(api)
            await _record(api, learner, sid, "m3")
            live = await events.next_event()
        ids = [e["data"]["data"]["sessionEvents"]["id"] for e in [*replayed, live]]
        assert ids == [f"{sid}:2", f"{sid}:3", f"{sid}:4"]
        assert live["data"]["data"]["sessionEvents"]["message"]["content"] == "m3"


async def test_last_event_id_resumes_like_after_and_each_event_carries_its_id() -> None:
    async with served(make_settings()) as (api, url):
        _, learner = await api.user()
        sid = await _session(api, learner)
        for n in range(3):
            await _record(api, learner, sid, f"m{n}")
        resume = {"Last-Event-ID": f"{sid}:1"}
        async with stream(_base(url), learner, EVENTS, {"s": sid}, headers=resume) as events:
            replayed = [await events.next_event() for _ in range(2)]
        assert [e["id"] for e in replayed] == [f"{sid}:2", f"{sid}:3"]
        assert [e["data"]["data"]["sessionEvents"]["id"] for e in replayed] == [
            f"{sid}:2",
            f"{sid}:3",
        ]
        # `after` in the variables wins over the header.
        variables = {"s": sid, "after": f"{sid}:2"}
        async with stream(_base(url), learner, EVENTS, variables, headers=resume) as events:
            assert (await events.next_event())["id"] == f"{sid}:3"


async def test_an_aliased_subscription_still_carries_event_ids_to_resume_with() -> None:
    # A page that names its fields (`live: sessionEvents`, `eventId: id`) gets the same
    # `id:` lines, or an EventSource-style client reconnects without Last-Event-ID and
    # silently skips what happened while it was away.
    aliased = """subscription Live($s: ID!, $after: ID) {
      live: sessionEvents(sessionId: $s, after: $after) { ...Ev } }
      fragment Ev on SessionEvent { eventId: id type }"""
    async with served(make_settings()) as (api, url):
        _, learner = await api.user()
        sid = await _session(api, learner)
        for n in range(3):
            await _record(api, learner, sid, f"m{n}")
        resume = {"Last-Event-ID": f"{sid}:1"}
        async with stream(_base(url), learner, aliased, {"s": sid}, headers=resume) as events:
            replayed = [await events.next_event() for _ in range(2)]
        assert [e["data"]["data"]["live"]["eventId"] for e in replayed] == [
            f"{sid}:2",
            f"{sid}:3",
        ]
        assert [e.get("id") for e in replayed] == [f"{sid}:2", f"{sid}:3"]


async def test_last_event_id_later_than_the_urls_after_wins_so_a_reconnect_repeats_nothing() -> (
    None
):
    # An EventSource reconnects to the same URL, `after` and all, adding Last-Event-ID:
    # the header is what this client saw since, so the later of the two counts. Before,
    # the URL's `after` won and every reconnect replayed what the client already had.
    async with served(make_settings()) as (api, url):
        _, learner = await api.user()
        sid = await _session(api, learner)
        for n in range(4):
            await _record(api, learner, sid, f"m{n}")
        variables = {"s": sid, "after": f"{sid}:0"}
        resume = {"Last-Event-ID": f"{sid}:3"}
        async with stream(
            _base(url), learner, EVENTS, variables, method="GET", headers=resume
        ) as events:
            assert (await events.next_event())["id"] == f"{sid}:4"


async def test_a_malformed_last_event_id_beside_after_leaves_after_in_force() -> None:
    # "²" passes str.isdigit() but not int(), and int() refuses a 5,000-digit string:
    # either used to fail the request before its stream opened.
    async with served(make_settings()) as (api, url):
        _, learner = await api.user()
        sid = await _session(api, learner)
        for n in range(2):
            await _record(api, learner, sid, f"m{n}")
        variables = {"s": sid, "after": f"{sid}:1"}
        for bad in (f"{sid}:²", f"{sid}:" + "9" * 5000, f"{sid}:-3", ":"):
            resume = {"Last-Event-ID": bad.encode()}
            async with stream(
                _base(url), learner, EVENTS, variables, method="GET", headers=resume
            ) as events:
                assert (await events.next_event())["id"] == f"{sid}:2", bad


async def test_a_stream_ends_at_its_longest_duration_without_complete() -> None:
    settings = make_settings(sse_max_stream_seconds=0.3, sse_keepalive_seconds=5)
    async with served(settings) as (api, url):
        _, learner = await api.user()
        sid = await _session(api, learner)
        async with stream(_base(url), learner, EVENTS, {"s": sid}) as events:
            assert await events.event() == {"comment": ""}
            lines = await asyncio.wait_for(events.rest(), 3)
        assert any("the most; resume" in line for line in lines), lines
        assert "event: complete" not in lines


async def test_a_graceful_shutdown_ends_open_streams_so_the_process_can_exit() -> None:
    """Before, Uvicorn's graceful shutdown (SIGTERM) waited for every SSE client to hang
    up, up to SSE_MAX_STREAM_SECONDS: a deploy hung on its replicas' open streams."""
    from gateway.connections import GuardedHTTPProtocol

    settings = make_settings(sse_keepalive_seconds=5)
    server = served(settings, http=GuardedHTTPProtocol)  # as `python -m gateway` serves
    async with server as (api, url):
        _, learner = await api.user()
        sid = await _session(api, learner)
        async with stream(_base(url), learner, EVENTS, {"s": sid}) as events:
            assert await events.event() == {"comment": ""}
            await _subscribed(api)
            server.server.should_exit = True
            lines = await asyncio.wait_for(events.rest(), 3)
            await asyncio.wait_for(asyncio.shield(server.task), 3)
        assert any("the server is shutting down; resume" in line for line in lines), lines
        assert "event: complete" not in lines  # the client resumes elsewhere


async def test_no_or_a_bad_credential_is_refused_before_the_stream_opens() -> None:
    async with served(make_settings()) as (api, url):
        _, learner = await api.user()
        sid = await _session(api, learner)
        for token in (None, "not-a-token"):
            async with stream(_base(url), token, EVENTS, {"s": sid}) as events:
                assert events.response.status_code == 401
                assert events.response.headers["content-type"].startswith("application/json")
                body = json.loads(await events.response.aread())
                assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
                assert body["extensions"]["requestId"]


async def test_another_learners_session_and_a_bad_document_are_errors_in_the_stream() -> None:
    """Validation and authorisation errors arrive as a `next` with `errors`, then
    `complete`: the protocol's rule, since a browser's EventSource shows nothing of a 4xx."""
    async with served(make_settings()) as (api, url):
        _, owner = await api.user()
        _, other = await api.user()
        sid = await _session(api, owner)
        cases = [
            (other, EVENTS, {"s": sid}, "NOT_FOUND"),
            (owner, "subscription { sessionEvents { id } }", {}, "GRAPHQL_VALIDATION_FAILED"),
        ]
        for token, query, variables, code in cases:
            async with stream(_base(url), token, query, variables) as events:
                assert events.response.status_code == 200
                refused = await events.next_event()
                assert refused["event"] == "next" and refused["data"].get("data") is None
                codes = [e["extensions"]["code"] for e in refused["data"]["errors"]]
                assert code in codes or (code == "GRAPHQL_VALIDATION_FAILED" and codes), codes
                assert await events.next_event() == {"event": "complete", "data": None}
        assert _hub(api).active == 0


async def test_an_error_in_the_stream_carries_the_request_id_like_every_refusal() -> None:
    # docs/frontend.md: every response carries extensions.requestId, what a client quotes
    # when it reports a problem; a stream's errors had none (only the response header).
    async with served(make_settings()) as (api, url):
        _, owner = await api.user()
        _, other = await api.user()
        sid = await _session(api, owner)
        async with stream(_base(url), other, EVENTS, {"s": sid}) as events:
            refused = await events.next_event()
            request_id = events.response.headers["x-request-id"]
        assert refused["data"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert refused["data"]["extensions"] == {"requestId": request_id}


async def test_a_query_is_one_next_event_then_complete() -> None:
    async with served(make_settings()) as (api, url):
        user, learner = await api.user()
        async with stream(_base(url), learner, "{ me { id } }") as events:
            result = await events.next_event()
            assert result["data"]["data"] == {"me": {"id": user["_id"]}}
            assert result["data"]["extensions"]["rateLimit"]
            assert await events.next_event() == {"event": "complete", "data": None}


async def test_idle_streams_get_keepalive_comments() -> None:
    async with served(make_settings(sse_keepalive_seconds=0.2)) as (api, url):
        _, learner = await api.user()
        sid = await _session(api, learner)
        async with stream(_base(url), learner, EVENTS, {"s": sid}) as events:
            comments = [await events.event(within=2) for _ in range(3)]
        assert comments == [{"comment": ""}] * 3


@pytest.mark.slow
async def test_live_connections_per_caller_are_capped_over_both_transports() -> None:
    async with served(make_settings(ws_max_connections_per_user=2)) as (api, url):
        _, learner = await api.user()
        sid = await _session(api, learner)
        ws = await open_socket(url, learner)
        base = _base(url)
        async with stream(base, learner, EVENTS, {"s": sid}) as first:
            assert first.response.status_code == 200
            await _subscribed(api)
            async with stream(base, learner, EVENTS, {"s": sid}) as second:
                assert second.response.status_code == 429
                body = json.loads(await second.response.aread())
                assert body["errors"][0]["extensions"]["maxConnections"] == 2
            third = await open_socket(url, learner, init=False)  # the WebSocket side too
            await third.send(
                json.dumps(
                    {"type": "connection_init", "payload": {"Authorization": f"Bearer {learner}"}}
                )
            )
            await asyncio.wait_for(third.wait_closed(), 5)
            assert third.close_code == 4008
        await ws.close()


async def test_an_origin_cors_refuses_cannot_open_a_stream() -> None:
    async with served(make_settings(cors_allow_origins="https://app.example")) as (api, url):
        _, learner = await api.user()
        sid = await _session(api, learner)
        evil = {"Origin": "https://evil.example"}
        async with stream(_base(url), learner, EVENTS, {"s": sid}, headers=evil) as events:
            assert events.response.status_code == 403
        good = {"Origin": "https://app.example"}
        async with stream(_base(url), learner, EVENTS, {"s": sid}, headers=good) as events:
            assert events.response.status_code == 200
            assert events.response.headers["access-control-allow-origin"] == "https://app.example"


@pytest.mark.slow
async def test_subscribing_over_sse_is_charged_like_a_query() -> None:
    async with served(make_settings(rate_limit_free="3/minute")) as (api, url):
        _, learner = await api.user()
        sid = await _session(api, learner)  # one request
        codes = []
        for _ in range(3):
            async with stream(_base(url), learner, EVENTS, {"s": sid}) as events:
                await events.event()  # the opening comment
                try:
                    # a refusal waits RATE_LIMIT_REFUSAL_DELAY_MS (500 ms), as a 429 does
                    got = await events.event(within=1.5)
                except TimeoutError:
                    codes.append("streaming")
                    continue
                codes.append(got["data"]["errors"][0]["extensions"]["code"])
        assert codes == ["streaming", "streaming", "RATE_LIMITED"]


async def test_a_consumer_that_falls_behind_loses_the_stream_without_complete() -> None:
    async with served(make_settings(ws_buffer_events=3)) as (api, url):
        user, learner = await api.user()
        sid = await _session(api, learner)
        async with stream(_base(url), learner, EVENTS, {"s": sid}) as events:
            await events.event()
            await _subscribed(api)
            session = {"_id": sid, "user_id": user["_id"], "status": "active"}
            for seq in range(1, 11):  # a burst faster than the subscriber takes it
                _hub(api).deliver(
                    {
                        "_id": f"e{seq}",
                        "session_id": sid,
                        "user_id": user["_id"],
                        "seq": seq,
                        "type": "message_recorded",
                        "at": utcnow(),
                        "session": {**session, "started_at": utcnow()},
                        "message": None,
                    }
                )
            seen = await asyncio.wait_for(events.rest(), 10)
        assert any(line.startswith(": Slow consumer") for line in seen), seen
        assert "event: complete" not in seen
        assert _hub(api).active == 0


async def test_a_revoked_api_client_gets_unauthenticated_then_complete() -> None:
    async with served(make_settings()) as (api, url):
        _, learner = await api.user()
        _, admin = await api.admin()
        created = await api.data(
            'mutation { createApiClient(input: {name: "sse-tutor", scopes: [TUTOR]}) '
            "{ secret client { id } } }",
            token=admin,
        )
        secret = created["createApiClient"]["secret"]
        sid = await _session(api, learner)
        api.services.settings.api_client_cache_seconds = 0
        async with stream(_base(url), secret, EVENTS, {"s": sid}) as events:
            await events.event()
            await _subscribed(api)
            await api.data(
                "mutation($id: ID!) { revokeApiClient(id: $id) { id } }",
                {"id": created["createApiClient"]["client"]["id"]},
                admin,
            )
            await _record(api, learner, sid, "after the revocation")
            last = await events.next_event()
            assert last["data"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
            assert "after the revocation" not in json.dumps(last)
            assert await events.next_event() == {"event": "complete", "data": None}


async def test_a_subscription_sent_as_json_is_told_how_to_stream_it(api: Api) -> None:
    _, learner = await api.user()
    response = await api.gql(EVENTS, {"s": "x"}, learner)
    assert response.status_code == 400
    message = response.json()["errors"][0]["message"]
    assert "text/event-stream" in message and "WebSocket" in message


async def test_metrics_count_open_streams_and_their_subscriptions() -> None:
    async with served(make_settings(metrics_enabled=True)) as (api, url):
        _, learner = await api.user()
        sid = await _session(api, learner)
        base = _base(url)
        async with stream(base, learner, EVENTS, {"s": sid}) as events:
            await events.event()
            await _subscribed(api)
            async with httpx.AsyncClient() as client:
                text = (await client.get(f"{base}/metrics")).text
        assert "gateway_sse_streams 1.0" in text
        assert "gateway_subscriptions_active 1.0" in text
        assert "gateway_ws_connections 0.0" in text


URQL_ACCEPT = (
    "application/graphql-response+json, application/graphql+json, application/json, "
    "text/event-stream, multipart/mixed"
)


async def test_a_client_that_also_accepts_json_gets_json_except_for_a_subscription() -> None:
    """urql's fetch lists text/event-stream beside the JSON types: its queries (and their
    refusals, e.g. an APQ miss) keep the JSON answers, its subscriptions stream."""
    async with served(make_settings()) as (api, url):
        user, learner = await api.user()
        sid = await _session(api, learner)
        accept = {"Accept": URQL_ACCEPT}
        async with stream(_base(url), learner, "{ me { id } }", headers=accept) as answer:
            assert answer.response.headers["content-type"].startswith(
                "application/graphql-response+json"
            )
            assert json.loads(await answer.response.aread())["data"] == {"me": {"id": user["_id"]}}
        miss = {
            "extensions": json.dumps({"persistedQuery": {"version": 1, "sha256Hash": "a" * 64}})
        }
        async with httpx.AsyncClient(base_url=_base(url)) as client:
            refused = await client.get("/graphql", params=miss, headers=accept)
        assert refused.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        async with stream(_base(url), learner, EVENTS, {"s": sid}, headers=accept) as events:
            assert events.response.headers["content-type"] == "text/event-stream; charset=utf-8"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"query": "{ me { subscriptionTier }"}, "Syntax Error"),
        (
            {"query": "query A { me { subscriptionTier } } query B { me { id } }"},
            "operationName",
        ),
        ({"query": "query A { me { subscriptionTier } }", "operationName": "Z"}, "operationName"),
    ],
    ids=["syntax-error", "two-operations", "unknown-operation-name"],
)
async def test_a_broken_query_naming_subscription_tier_keeps_its_json_request_error(
    body: dict[str, Any], message: str
) -> None:
    """urql accepts text/event-stream with every request, and `subscriptionTier` contains
    the word: a query that fails to parse or to pick its operation is still a query. It
    was taken for a subscription: an anonymous caller got 401 for a typo, a signed-in one
    an event stream telling it to send queries over HTTP."""
    async with served(make_settings()) as (api, url):
        _, learner = await api.user()
        async with httpx.AsyncClient(base_url=_base(url), timeout=10) as client:
            for token in (None, learner):
                headers = {"Accept": URQL_ACCEPT}
                if token:
                    headers["Authorization"] = f"Bearer {token}"
                response = await client.post("/graphql", json=body, headers=headers)
                assert response.status_code == 400, response.text
                assert response.headers["content-type"].startswith(
                    "application/graphql-response+json"
                )
                errors = response.json()["errors"]
                assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
                assert message in errors[0]["message"], errors


async def test_a_closed_stream_is_released_even_when_a_wait_swallows_its_cancellation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Python 3.11's wait_for can raise TimeoutError instead of CancelledError when the
    timeout and the cancellation land together. The pump took that for an idle interval
    and kept writing keep-alives to a client that had gone: the stream stayed counted
    against its caller's live connections and the server's shutdown waited on it. Any
    wait the pump idles in is made to swallow the first cancellation here, as if it timed
    out."""
    import types

    from gateway import live_sse

    swallowed: list[int] = []
    real_wait_for, real_wait = asyncio.wait_for, asyncio.wait

    async def wait_for(aw: Any, seconds: float | None) -> Any:
        try:
            return await real_wait_for(aw, seconds)
        except asyncio.CancelledError:
            if swallowed:
                raise
            swallowed.append(1)
            raise TimeoutError from None

    async def wait(fs: Any, **kwargs: Any) -> Any:
        try:
            return await real_wait(fs, **kwargs)
        except asyncio.CancelledError:
            if swallowed:
                raise
            swallowed.append(1)
            return set(), set(fs)

    patched = types.SimpleNamespace(**{**vars(asyncio), "wait_for": wait_for, "wait": wait})
    monkeypatch.setattr(live_sse, "asyncio", patched)
    server = served(make_settings(metrics_enabled=True))
    async with server as (api, url):
        _, learner = await api.user()
        sid = await _session(api, learner)
        base = _base(url)
        async with stream(base, learner, EVENTS, {"s": sid}) as events:
            await events.event()
            await _subscribed(api)
        text = ""
        async with httpx.AsyncClient() as client:
            for _ in range(100):
                text = (await client.get(f"{base}/metrics")).text
                if "gateway_sse_streams 0.0" in text:
                    break
                await asyncio.sleep(0.02)
        released = "gateway_sse_streams 0.0" in text
        if not released:
            server.server.force_exit = True  # the old code's stream never ends: do not wait
        assert swallowed, "the cancellation did not land in a wait"
        assert released, "the stream of a gone client is still open"


TIMED = """subscription($s: ID!) { sessionEvents(sessionId: $s) { at message { id timestamp } } }"""
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$")


async def test_a_timestamp_reads_the_same_over_websocket_sse_and_http() -> None:
    # DateTime values leave the executor as datetimes and are written as text by the one
    # response encoder (gateway/jsonio.py) on every transport: isoformat()'s text.
    async with served(make_settings()) as (api, url):
        _, learner = await api.user()
        sid = await _session(api, learner)
        ws = await open_socket(url, learner)
        await subscribe(ws, TIMED, {"s": sid})
        async with stream(_base(url), learner, TIMED, {"s": sid}) as events:
            assert await events.event() == {"comment": ""}
            await _subscribed(api, 2)
            said = await _record(api, learner, sid, "I has a cat.")
            over_sse = (await events.next_event())["data"]["data"]["sessionEvents"]
        message = await receive(ws)
        await ws.close()
        assert message["type"] == "next", message
        over_ws = message["payload"]["data"]["sessionEvents"]
        page = await api.data(
            """query($s: ID!) { session(id: $s) { messages(first: 1) { edges { node {
               id timestamp } } } } }""",
            {"s": sid},
            token=learner,
        )
        over_http = page["session"]["messages"]["edges"][0]["node"]
        assert over_ws == over_sse
        assert over_ws["message"] == over_http == {"id": said, "timestamp": over_http["timestamp"]}
        assert ISO_UTC.match(over_http["timestamp"]), over_http
        assert ISO_UTC.match(over_ws["at"]), over_ws


TURNS = """subscription($g: String!) { tutorTurns(group: $g) { id attempt message { id } } }"""


async def test_a_turn_a_closed_stream_never_began_to_write_goes_to_another_client_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A tutor client's stream stalls writing its first turn (it stopped reading), then
    goes. The stream takes the next turn only once it wrote the last, so the second turn
    was never taken from the group, or was handed back: another client gets it at once,
    first attempt. Before, the stream buffered it (and took one more), and it waited for
    the 30 s ack deadline with nobody to send it to."""
    from gateway import live_sse
    from tests.test_tutor_turns import next_turn, tutor_socket

    stalled = asyncio.Event()
    original = live_sse.EventStream.__call__

    async def call(self: Any, ex: Any, send: Any) -> None:
        async def stalling(message: dict[str, Any]) -> None:
            if b"tutorTurns" in message.get("body", b"") and not stalled.is_set():
                stalled.set()
                await asyncio.Event().wait()  # a socket that takes no bytes
            await send(message)

        await original(self, ex, stalling)

    monkeypatch.setattr(live_sse.EventStream, "__call__", call)
    async with served(make_settings(turn_ack_timeout_seconds=30)) as (api, url):
        _, learner = await api.user()
        tutor = await api.tutor()
        sid = await _session(api, learner)
        async with stream(_base(url), tutor, TURNS, {"g": "sse-tutors"}) as turns:
            assert "comment" in await turns.event()  # the stream is open
            await asyncio.sleep(0.3)  # its group joined
            said = [await _record(api, learner, sid, f"turn {i}") for i in range(2)]
            await asyncio.wait_for(stalled.wait(), 5)
            await asyncio.sleep(0.3)  # time for a buffer to take the second
        other = await tutor_socket(url, tutor)
        await subscribe(other, TURNS, {"g": "sse-tutors"})
        turn = await next_turn(other, within=5)
        assert (turn["message"]["id"], turn["attempt"]) == (said[1], 1)
        await other.close()
