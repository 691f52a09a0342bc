"""rateMessage and endSession: a process killed right after the write, before its event,
still delivers the event (the maintenance pass finishes it)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from models.documents import utcnow
from resolvers import ratings, sessions
from resolvers.maintenance import Maintenance
from resolvers.outbox import HUB_KEY, publish_pending
from tests.conftest import Api, make_settings
from tests.wsclient import open_socket, receive, served, subscribe

EVENTS = """subscription($s: ID!) { sessionEvents(sessionId: $s) {
  type message { id rating } session { status } } }"""


def killed_before_the_event(monkeypatch: pytest.MonkeyPatch, module: Any) -> None:
    """The process dies between the write and recording its event."""

    async def dies(*_a: Any, **_k: Any) -> None:
        raise RuntimeError("SIGKILL")

    monkeypatch.setattr(module, "record_change", dies)


async def finish_later(api: Api) -> None:
    """An hour on, any replica's maintenance pass; then its publication step."""
    db = api.services.db
    an_hour_ago = utcnow() - timedelta(hours=1)
    await db.messages.update_many(
        {"rated_at": {"$exists": True}}, {"$set": {"rated_at": an_hour_ago}}
    )
    await db.sessions.update_many({"ended_at": {"$ne": None}}, {"$set": {"ended_at": an_hour_ago}})
    hub = api.services.extras[HUB_KEY]
    await Maintenance(db, 14.0, None, 3600, check_indexes=False, hub=hub).run_once()
    await publish_pending(db, hub, older_than=timedelta(0))


async def next_event(ws: Any) -> dict[str, Any]:
    message = await receive(ws, within=5)
    assert message["type"] == "next", message
    return message["payload"]["data"]["sessionEvents"]  # type: ignore[no-any-return]


async def test_a_rating_whose_process_died_before_its_event_is_delivered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with served(make_settings()) as (api, url):
        _, learner = await api.user()
        tutor = await api.tutor()
        sid = (await api.data("mutation { startSession(input: {}) { id } }", token=learner))[
            "startSession"
        ]["id"]
        reply = (
            await api.data(
                """mutation($s: ID!) { recordMessage(input: {sessionId: $s, role: ASSISTANT,
                   content: "Hello!"}) { id } }""",
                {"s": sid},
                token=tutor,
            )
        )["recordMessage"]["id"]
        ws = await open_socket(url, learner)
        await subscribe(ws, EVENTS, {"s": sid})
        await asyncio.sleep(0.2)  # subscribed before the write
        killed_before_the_event(monkeypatch, ratings)
        answer = await api.gql(
            "mutation($m: ID!) { rateMessage(id: $m, input: {rating: 4}) { id } }",
            {"m": reply},
            token=learner,
        )
        assert answer.json()["errors"][0]["extensions"]["code"] == "INTERNAL"
        monkeypatch.undo()
        await finish_later(api)
        event = await next_event(ws)
        assert event == {
            "type": "MESSAGE_RATED",
            "message": {"id": reply, "rating": 4},
            "session": {"status": "ACTIVE"},
        }
        # Finished once: another pass records nothing more.
        await finish_later(api)
        assert await api.services.db.session_events.count_documents({"type": "message_rated"}) == 1
        await ws.close()


async def test_an_end_whose_process_died_before_its_event_is_delivered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with served(make_settings()) as (api, url):
        _, learner = await api.user()
        sid = (await api.data("mutation { startSession(input: {}) { id } }", token=learner))[
            "startSession"
        ]["id"]
        ws = await open_socket(url, learner)
        await subscribe(ws, EVENTS, {"s": sid})
        await asyncio.sleep(0.2)  # subscribed before the write
        killed_before_the_event(monkeypatch, sessions)
        answer = await api.gql(
            "mutation($s: ID!) { endSession(id: $s) { id } }", {"s": sid}, token=learner
        )
        assert answer.json()["errors"][0]["extensions"]["code"] == "INTERNAL"
        monkeypatch.undo()
        await finish_later(api)
        event = await next_event(ws)
        assert event == {
            "type": "SESSION_ENDED",
            "message": None,
            "session": {"status": "COMPLETED"},
        }
        assert await receive(ws) == {"id": "1", "type": "complete"}
        await finish_later(api)
        assert await api.services.db.session_events.count_documents({"type": "session_ended"}) == 1
        await ws.close()
