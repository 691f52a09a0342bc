"""Live sessions in a real browser (Debian's Chromium, Playwright): issue 21's "done when".

A chat page on another origin (tests/frontend_app/src/live, bundled with the pinned
`graphql-ws` and `graphql-sse` npm clients) subscribes to `sessionEvents` on gateway
replica A twice, over WebSocket and over Server-Sent Events (a CORS preflight with the
Authorization header, then the stream); the tutor service records its reply on replica B. The two replicas are two
apps, each with its own hub and Redis relay, sharing one database and one Redis as two
gateway processes would (the embedded database lives in one process, so they run in
this one, on real sockets); nothing carries the event from B to A but Redis.

GraphiQL's own subscription support is checked too: the Headers tab must reach the
server as the `connection_init` payload, or a subscription in the IDE has no credential.
"""

from __future__ import annotations

import asyncio
import json
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any

from models.db import connect
from resolvers.outbox import HUB_KEY, LiveHub
from tests.browser import chromium_page, needs_chromium
from tests.conftest import Api, make_settings, redis_url
from tests.frontend_site import build_apps, needs_node, served_site
from tests.wsclient import served

pytestmark = needs_chromium

RECORD = """mutation($s: ID!, $role: MessageRole!, $c: String!) {
  recordMessage(input: {sessionId: $s, role: $role, content: $c}) { id } }"""


async def _start(api: Api, token: str) -> str:
    data = await api.data('mutation { startSession(input: {topic: "Live"}) { id } }', token=token)
    return str(data["startSession"]["id"])


async def _record(api: Api, token: str, sid: str, content: str, role: str) -> str:
    data = await api.data(RECORD, {"s": sid, "role": role, "c": content}, token=token)
    return str(data["recordMessage"]["id"])


def _hub(api: Api) -> LiveHub:
    hub = api.services.extras[HUB_KEY]
    assert isinstance(hub, LiveHub)
    return hub


async def _until(
    check: Callable[[], Awaitable[bool] | bool], what: str, within: float = 20
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        done = check()
        if not isinstance(done, bool):
            done = await done
        if done:
            return
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def _watch(page: Any) -> list[str]:
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    return problems


@needs_node
async def test_a_page_on_another_origin_sees_the_reply_recorded_on_another_replica() -> None:
    build_apps("live")
    with served_site() as site:
        settings = make_settings(redis_url=redis_url(), cors_allow_origins=site)
        db = await connect(settings.mongo_uri, settings.mongo_db, 2000, 5000)
        try:
            async with (
                served(settings, db=db) as (api_a, ws_a),
                served(settings, db=db) as (
                    api_b,
                    _ws_b,
                ),
            ):
                _, learner = await api_a.user(tier="pro")
                tutor = await api_b.tutor()
                sid = await _start(api_a, learner)
                config = {
                    "ws": ws_a,
                    "http": ws_a.replace("ws://", "http://"),
                    "token": learner,
                    "session": sid,
                }
                async with chromium_page() as page:
                    problems = _watch(page)
                    fragment = urllib.parse.quote(json.dumps(config))
                    await page.goto(f"{site}/live.html#{fragment}")
                    await _until(lambda: _hub(api_a).active >= 2, "the page to subscribe on A")
                    assert _hub(api_b).active == 0  # B has no subscriber: only Redis reaches A
                    reply = await _record(
                        api_b, tutor, sid, "We say: I have a cat.", role="ASSISTANT"
                    )
                    await page.wait_for_function(
                        "window.__live.ws.length >= 1 && window.__live.sse.length >= 1"
                    )
                    live = await page.evaluate("window.__live")
        finally:
            await db.close()
    assert live["wsConnected"] is True
    assert not live["problems"] and not problems, (live["problems"], problems)
    event = live["ws"][0]
    assert live["sse"] == [event]  # over Server-Sent Events, the same event
    assert event["type"] == "MESSAGE_RECORDED"
    assert event["message"] == {
        "id": reply,
        "role": "ASSISTANT",
        "content": "We say: I have a cat.",
    }
    assert event["session"] == {"id": sid, "totalMessages": 1}
    assert event["id"] == f"{sid}:1"


async def test_graphiql_sends_its_headers_tab_as_the_connection_init_payload() -> None:
    """GraphiQL 3.8's fetcher passes the Headers tab to `graphql-ws` as connectionParams:
    a subscription run in the IDE authenticates like the HTTP requests it sends."""
    async with served(make_settings()) as (api, ws_url):
        _, learner = await api.user(tier="pro")
        tutor = await api.tutor()
        sid = await _start(api, learner)
        query = (
            f'subscription {{ sessionEvents(sessionId: "{sid}") {{ type message {{ content }} }} }}'
        )
        headers = json.dumps({"Authorization": f"Bearer {learner}"})
        http_url = ws_url.replace("ws://", "http://")
        url = f"{http_url}?" + urllib.parse.urlencode(
            {"q": query, "headers": headers}, quote_via=urllib.parse.quote
        )
        async with chromium_page() as page:
            problems = _watch(page)
            await page.goto(url)
            await page.locator(".graphiql-execute-button").click()
            await _until(lambda: _hub(api).active >= 1, "GraphiQL to subscribe")
            await _record(api, tutor, sid, "Reply seen in GraphiQL", role="ASSISTANT")
            result = page.locator(".result-window")
            await result.filter(has_text="Reply seen in GraphiQL").wait_for(timeout=15_000)
            text = await result.inner_text()
    assert '"type": "MESSAGE_RECORDED"' in text
    assert not [p for p in problems if "Content Security Policy" in p], problems
