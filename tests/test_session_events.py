"""sessionEvents over WebSocket: who may subscribe, what arrives, resuming with `after`,
and events a crash left unpublished."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from pymongo.errors import AutoReconnect
from websockets.exceptions import InvalidStatus

from models.driver_calls import CollectionProxy
from resolvers.messages import complete_pending
from resolvers.outbox import HUB_KEY, publish_pending
from resolvers.turns import TURNS_KEY
from tests.conftest import Api, make_settings
from tests.faults import died_after_insert
from tests.wsclient import closed_with, nothing_within, open_socket, receive, served, subscribe

EVENTS = """subscription($s: ID!, $after: ID) { sessionEvents(sessionId: $s, after: $after) {
  id type message { id role content errors { subcategory } rating }
  session { id status totalMessages } } }"""

RECORD = """mutation($s: ID!, $role: MessageRole!, $c: String!) {
  recordMessage(input: {sessionId: $s, role: $role, content: $c}) { id } }"""


async def start(api: Api, token: str) -> str:
    data = await api.data("mutation { startSession(input: {}) { id } }", token=token)
    return str(data["startSession"]["id"])


async def record(api: Api, token: str, sid: str, content: str, role: str = "USER") -> str:
    data = await api.data(RECORD, {"s": sid, "role": role, "c": content}, token=token)
    return str(data["recordMessage"]["id"])


async def next_event(ws: Any) -> dict[str, Any]:
    message = await receive(ws)
    assert message["type"] == "next", message
    return message["payload"]["data"]["sessionEvents"]  # type: ignore[no-any-return]


async def test_the_learner_sees_the_tutors_reply_with_the_session_as_it_left_it() -> None:
    async with served(make_settings()) as (api, url):
        _, learner = await api.user()
        tutor = await api.tutor()
        sid = await start(api, learner)
        ws = await open_socket(url, learner)
        await subscribe(ws, EVENTS, {"s": sid})
        await asyncio.sleep(0.2)  # subscribed before the write
        said = await record(api, learner, sid, "I has a cat.")
        reply = await record(api, tutor, sid, "We say: I have a cat.", role="ASSISTANT")
        first, second = await next_event(ws), await next_event(ws)
        assert (first["type"], first["message"]["id"]) == ("MESSAGE_RECORDED", said)
        assert first["session"]["totalMessages"] == 1  # as that write left it, not as now
        assert second["message"] == {
            "id": reply,
            "role": "ASSISTANT",
            "content": "We say: I have a cat.",
            "errors": [],
            "rating": None,
        }
        assert second["session"]["totalMessages"] == 2
        await api.data(
            """mutation($m: ID!) { annotateMessage(id: $m, errors: [{category: "Grammar",
               subcategory: "Subject-Verb Agreement"}]) { id } }""",
            {"m": said},
            token=tutor,
        )
        annotated = await next_event(ws)
        assert annotated["type"] == "MESSAGE_ANNOTATED"
        assert annotated["message"]["errors"] == [{"subcategory": "Subject-Verb Agreement"}]
        await api.data(
            "mutation($m: ID!) { rateMessage(id: $m, input: {rating: 5}) { id } }",
            {"m": reply},
            token=learner,
        )
        rated = await next_event(ws)
        assert (rated["type"], rated["message"]["rating"]) == ("MESSAGE_RATED", 5)
        await api.data("mutation($s: ID!) { endSession(id: $s) { id } }", {"s": sid}, token=learner)
        ended = await next_event(ws)
        assert (ended["type"], ended["session"]["status"]) == ("SESSION_ENDED", "COMPLETED")
        assert await receive(ws) == {"id": "1", "type": "complete"}
        ids = [e["id"] for e in (first, second, annotated, rated, ended)]
        assert len(set(ids)) == 5
        await ws.close()


async def test_another_learners_session_is_not_found_like_a_missing_one() -> None:
    async with served(make_settings()) as (api, url):
        _, owner = await api.user()
        _, other = await api.user()
        sid = await start(api, owner)
        ws = await open_socket(url, other)
        await subscribe(ws, EVENTS, {"s": sid}, sid="a")
        await subscribe(ws, EVENTS, {"s": "no-such-session"}, sid="b")
        answers = {m["id"]: m for m in [await receive(ws), await receive(ws)]}
        assert answers["a"]["type"] == answers["b"]["type"] == "error"
        strip = [{k: e[k] for k in ("message", "extensions")} for e in answers["a"]["payload"]]
        missing = [{k: e[k] for k in ("message", "extensions")} for e in answers["b"]["payload"]]
        assert strip == missing and strip[0]["extensions"]["code"] == "NOT_FOUND"
        # Admins and TUTOR callers may.
        _, admin = await api.admin()
        for token in (admin, await api.tutor()):
            ws2 = await open_socket(url, token)
            await subscribe(ws2, EVENTS, {"s": sid})
            await asyncio.sleep(0.2)
            said = await record(api, owner, sid, f"Hello from {token[:4]}")
            assert (await next_event(ws2))["message"]["id"] == said
            await ws2.close()


async def test_after_replays_what_was_missed_in_order_then_goes_live_without_duplicates() -> None:
    async with served(make_settings()) as (api, url):
        _, learner = await api.user()
        sid = await start(api, learner)
        ws = await open_socket(url, learner)
        await subscribe(ws, EVENTS, {"s": sid})
        await asyncio.sleep(0.2)
        await record(api, learner, sid, "one")
        seen = await next_event(ws)
        await ws.close()  # the app goes offline ...
        missed = [await record(api, learner, sid, text) for text in ("two", "three", "four")]
        ws = await open_socket(url, learner)  # ... and comes back with the last id it saw
        await subscribe(ws, EVENTS, {"s": sid, "after": seen["id"]})
        replayed = [await next_event(ws) for _ in missed]
        assert [e["message"]["id"] for e in replayed] == missed
        assert [e["session"]["totalMessages"] for e in replayed] == [2, 3, 4]
        live = await record(api, learner, sid, "five")
        assert (await next_event(ws))["message"]["id"] == live
        # The maintenance pass publishing them all again delivers nothing twice.
        hub = api.services.extras[HUB_KEY]
        await api.services.db.session_events.update_many({}, {"$set": {"published": False}})
        assert await publish_pending(api.services.db, hub, older_than=timedelta(0)) == 5
        last = await record(api, learner, sid, "six")
        assert (await next_event(ws))["message"]["id"] == last
        await ws.close()


async def test_an_after_id_of_another_session_is_refused() -> None:
    async with served(make_settings()) as (api, url):
        _, learner = await api.user()
        sid, other = await start(api, learner), await start(api, learner)
        ws = await open_socket(url, learner)
        await subscribe(ws, EVENTS, {"s": sid, "after": f"{other}:1"})
        answer = await receive(ws)
        assert answer["type"] == "error"
        assert answer["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    "made_up",
    [
        "{sid}:99",  # later than any event the session numbered: waited on, silently
        "{sid}:\u00b2",  # a digit int() refuses: was an INTERNAL
        "{sid}:" + "9" * 30,  # past MongoDB's 64-bit integers
        "{sid}",
    ],
)
async def test_an_after_id_the_session_never_issued_is_refused(made_up: str) -> None:
    async with served(make_settings()) as (api, url):
        _, learner = await api.user()
        sid = await start(api, learner)
        await record(api, learner, sid, "one event")
        ws = await open_socket(url, learner)
        await subscribe(ws, EVENTS, {"s": sid, "after": made_up.format(sid=sid)})
        answer = await receive(ws, within=3)
        assert answer["type"] == "error", answer
        assert answer["payload"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}
        await ws.close()


async def test_a_message_whose_writer_died_before_publishing_is_delivered_by_maintenance() -> None:
    """The process died after inserting the message (step 1), before counting it or
    recording its event: the maintenance pass finishes the message, records the event and
    publishes it."""
    async with served(make_settings()) as (api, url):
        user, learner = await api.user()
        sid = await start(api, learner)
        ws = await open_socket(url, learner)
        await subscribe(ws, EVENTS, {"s": sid})
        await asyncio.sleep(0.2)
        db = api.services.db
        await died_after_insert(db, "crashed-1", sid, user["_id"])
        assert await complete_pending(db, 14.0) == 1
        hub = api.services.extras[HUB_KEY]
        assert await publish_pending(db, hub, older_than=timedelta(0)) == 1
        event = await next_event(ws)
        assert event["message"]["id"] == "crashed-1"
        assert event["session"]["totalMessages"] == 1
        assert await publish_pending(db, hub, older_than=timedelta(0)) == 0


async def test_the_legacy_graphql_ws_subprotocol_is_refused() -> None:
    from websockets.asyncio.client import connect

    async with served(make_settings()) as (_api, url):
        with pytest.raises(InvalidStatus) as refused:
            await connect(url, subprotocols=["graphql-ws"])  # type: ignore[list-item]
        assert refused.value.response.status_code == 403


async def test_a_revoked_api_client_is_disconnected_at_the_next_delivery() -> None:
    async with served(make_settings(api_client_cache_seconds=0)) as (api, url):
        _, learner = await api.user()
        _, admin = await api.admin()
        sid = await start(api, learner)
        data = await api.data(
            'mutation { createApiClient(input: {name: "w", scopes: [TUTOR]}) '
            "{ secret client { id } } }",
            token=admin,
        )
        secret = data["createApiClient"]["secret"]
        ws = await open_socket(url, secret)
        await subscribe(ws, EVENTS, {"s": sid})
        await asyncio.sleep(0.2)
        await record(api, learner, sid, "before the revocation")
        await next_event(ws)
        await api.data(
            "mutation($id: ID!) { revokeApiClient(id: $id) { id } }",
            {"id": data["createApiClient"]["client"]["id"]},
            token=admin,
        )
        await record(api, learner, sid, "after it")
        assert await closed_with(ws) == 4403


async def test_a_client_revoked_since_it_connected_cannot_start_a_subscription() -> None:
    """The socket was opened before the revocation; a `subscribe` after it is closed 4403
    at once, as HTTP answers 401. Before, it was accepted and waited, silently, for a first
    event that would close it (never, for a worker resubscribing to tutorTurns)."""
    async with served(make_settings(api_client_cache_seconds=0)) as (api, url):
        _, learner = await api.user()
        _, admin = await api.admin()
        sid = await start(api, learner)
        data = await api.data(
            'mutation { createApiClient(input: {name: "w", scopes: [TUTOR]}) '
            "{ secret client { id } } }",
            token=admin,
        )
        ws = await open_socket(url, data["createApiClient"]["secret"])
        await api.data(
            "mutation($id: ID!) { revokeApiClient(id: $id) { id } }",
            {"id": data["createApiClient"]["client"]["id"]},
            token=admin,
        )
        await subscribe(ws, EVENTS, {"s": sid})
        assert await closed_with(ws, within=3) == 4403


async def _demote(api: Api, admin_id: str) -> None:
    """An admin's role taken away (offboarded staff): what updateUser by another admin
    writes, and this replica's cached record dropped as that call drops it."""
    await api.services.db.users.update_one({"_id": admin_id}, {"$set": {"role": "user"}})
    api.services.auth.forget(admin_id)


async def test_an_admin_demoted_since_the_socket_opened_subscribes_as_who_they_are_now() -> None:
    """The connection kept the viewer of its connection_init: a demoted admin's open
    socket subscribed to any learner's session as an admin, for as long as it answered
    pings. A subscription now runs as the credential's caller of the moment."""
    async with served(make_settings()) as (api, url):
        _, learner = await api.user()
        admin_doc, admin = await api.admin()
        sid = await start(api, learner)
        ws = await open_socket(url, admin)
        await _demote(api, admin_doc["_id"])
        await subscribe(ws, EVENTS, {"s": sid})
        message = await receive(ws, within=3)
        assert message["type"] == "error", message
        assert message["payload"][0]["extensions"]["code"] == "NOT_FOUND"
        await ws.close()


async def test_an_admin_demoted_while_subscribed_gets_no_more_events() -> None:
    """Every event is authorised for the subscriber when it is delivered: a subscription
    an admin opened on a learner's session went on after the role was taken away."""
    async with served(make_settings()) as (api, url):
        _, learner = await api.user()
        admin_doc, admin = await api.admin()
        sid = await start(api, learner)
        ws = await open_socket(url, admin)
        await subscribe(ws, EVENTS, {"s": sid})
        await asyncio.sleep(0.2)
        await record(api, learner, sid, "before the demotion")
        await next_event(ws)
        await _demote(api, admin_doc["_id"])
        await record(api, learner, sid, "after it")
        assert await closed_with(ws) == 4403


async def test_a_database_blip_at_subscribe_fails_that_subscription_not_the_socket() -> None:
    """The credential check at `subscribe` misses its cache as the primary steps down:
    that subscription gets SERVICE_UNAVAILABLE (subscribe again), the socket and its other
    subscriptions go on. Found in review: the whole socket died (1006), with a tutor
    worker's tutorTurns on it."""
    from pymongo.errors import AutoReconnect

    async with served(make_settings()) as (api, url):
        _, learner = await api.user()
        a, b = await start(api, learner), await start(api, learner)
        ws = await open_socket(url, learner)
        await subscribe(ws, EVENTS, {"s": a}, sid="1")
        await asyncio.sleep(0.2)
        auth = api.services.auth
        real = auth.authenticate_cached
        failed: list[str] = []

        async def flaky(header: str) -> Any:
            if not failed:
                failed.append(header)
                raise AutoReconnect("primary stepped down")
            return await real(header)

        auth.authenticate_cached = flaky  # type: ignore[method-assign]
        await subscribe(ws, EVENTS, {"s": b}, sid="2")
        refused = await receive(ws)
        assert (refused["id"], refused["type"]) == ("2", "error"), refused
        assert refused["payload"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        said = await record(api, learner, a, "still here")
        assert (await next_event(ws))["message"]["id"] == said
        await subscribe(ws, EVENTS, {"s": b}, sid="2")  # subscribing again works
        await asyncio.sleep(0.2)
        again = await record(api, learner, b, "and here")
        assert (await next_event(ws))["message"]["id"] == again
        await ws.close()


@pytest.mark.parametrize(
    "document",
    [
        "{ me { id } }",
        "mutation { startSession(input: {}) { id } }",
        'subscription A { tutorTurns(group: "g") { id } } '
        'subscription B { tutorTurns(group: "h") { id } }',
    ],
    ids=["query", "mutation", "unnamed-of-two"],
)
async def test_a_query_or_mutation_over_the_socket_is_told_to_use_http(document: str) -> None:
    """graphql-transport-ws clients set to send every operation over the socket (urql's
    enableAllOperations) got INTERNAL for each; now a BAD_USER_INPUT error that says
    where to send it, and the socket stays open for subscriptions."""
    async with served(make_settings()) as (api, url):
        _, learner = await api.user()
        ws = await open_socket(url, learner)
        await subscribe(ws, document, None)
        message = await receive(ws)
        assert message["type"] == "error", message
        (error,) = message["payload"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        if "subscription A" in document:
            assert "operationName" in error["message"]
        else:
            assert "HTTP" in error["message"]
        sid = await start(api, learner)
        await subscribe(ws, EVENTS, {"s": sid}, sid="2")
        await asyncio.sleep(0.2)
        said = await record(api, learner, sid, "still open")
        assert (await next_event(ws))["message"]["id"] == said
        await ws.close()


@pytest.mark.redis
@pytest.mark.slow
async def test_a_replica_whose_relay_connection_died_gets_what_it_missed() -> None:
    """The relays' pub/sub connections killed (`CLIENT KILL` of this test's own, by name):
    an event recorded on replica A right then, while B's relay is not subscribed, still
    reaches a subscriber on B (replayed from MongoDB once B subscribes again), and the
    next one arrives live, once. Before, B's relay waited a second and subscribed again
    without a replay: the event was lost for B's subscribers."""
    import redis.asyncio as aioredis

    from tests.conftest import redis_url
    from tests.test_tutor_turns import replicas

    async with replicas() as (api, urls):
        _, learner = await api.user()
        sid = await start(api, learner)
        ws = await open_socket(urls[1], learner)
        await subscribe(ws, EVENTS, {"s": sid})
        await asyncio.sleep(0.2)
        admin = aioredis.from_url(redis_url())
        name = f"{api.services.settings.redis_key_prefix}:relay"
        ours = [c["id"] for c in await admin.client_list("pubsub") if c.get("name") == name]
        assert len(ours) == 2  # one per replica
        for client_id in ours:
            await admin.execute_command("CLIENT", "KILL", "ID", client_id)
        await admin.aclose()
        missed = await record(api, learner, sid, "said while B was away")
        got = await asyncio.wait_for(next_event(ws), 5)
        assert got["message"]["id"] == missed
        live = await record(api, learner, sid, "said after")
        assert (await asyncio.wait_for(next_event(ws), 5))["message"]["id"] == live
        await ws.close()


class _GatedCursor:
    """A session_events cursor whose second read waits until its task is cancelled and
    then returns its rows anyway, as Python 3.11's wait_for (and the timeouts inside the
    driver) can when the read completes as the cancellation lands."""

    def __init__(self, cursor: Any, reads: list[int], waiting: asyncio.Event) -> None:
        self.cursor, self.reads, self.waiting = cursor, reads, waiting

    def sort(self, *a: Any, **k: Any) -> _GatedCursor:
        self.cursor = self.cursor.sort(*a, **k)
        return self

    def limit(self, *a: Any, **k: Any) -> _GatedCursor:
        self.cursor = self.cursor.limit(*a, **k)
        return self

    async def to_list(self, length: Any = None) -> list[Any]:
        self.reads.append(1)
        docs: list[Any] = await self.cursor.to_list(length)
        if len(self.reads) == 2:
            self.waiting.set()
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                return docs  # swallowed
        return docs


async def test_an_ended_subscription_stops_even_when_a_replay_read_swallows_its_cancellation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The app completes a long `after:` replay: before, a read that swallowed the
    cancellation let the replay go on, sending `next` for a completed id and reading the
    rest of the history for nobody."""
    from resolvers import live

    monkeypatch.setattr(live, "REPLAY_PAGE", 1)
    async with served(make_settings()) as (api, url):
        _, learner = await api.user()
        sid = await start(api, learner)
        for text in ("one", "two", "three", "four"):
            await record(api, learner, sid, text)
        reads: list[int] = []
        waiting = asyncio.Event()

        class Gated:
            def __init__(self, inner: Any) -> None:
                self.inner = inner

            def __getattr__(self, name: str) -> Any:
                return getattr(self.inner, name)

            def find(self, *a: Any, **k: Any) -> _GatedCursor:
                return _GatedCursor(self.inner.find(*a, **k), reads, waiting)

        def wrap(coll: Any) -> Any:
            return Gated(coll) if coll.name.endswith("session_events") else coll

        with api.services.db.wrapped(wrap):
            ws = await open_socket(url, learner)
            await subscribe(ws, EVENTS, {"s": sid, "after": f"{sid}:0"})
            first = await next_event(ws)
            assert first["message"]["content"] == "one"
            await asyncio.wait_for(waiting.wait(), 5)
            await ws.send('{"id": "1", "type": "complete"}')
            assert await nothing_within(ws, 0.5), "a completed subscription was sent an event"
            assert len(reads) == 2  # nothing read after the cancellation
            await ws.close()


class _MarkLost(CollectionProxy):
    """A primary stepping down as the writer marks its events published: `updateMany` is
    not a retryable write, so the driver hands the first network error to the caller."""

    async def _call(self, name: str, method: Any, a: tuple[Any, ...], k: dict[str, Any]) -> Any:
        if self.name == "session_events" and name == "update_many":
            raise AutoReconnect("connection closed (simulated stepdown)")
        return await method(*a, **k)


async def test_a_stepdown_while_marking_the_event_published_fails_nothing(api: Api) -> None:
    """The message is stored, counted, its event recorded and handed to the subscribers
    and the turn queue; only the `published` mark is lost. Before, recordMessage answered
    SERVICE_UNAVAILABLE for that write, and the retry the README prescribes after a 503
    stored a learner message sent without a key a second time (counted twice, a second
    turn for the tutor). The mark is the maintenance pass's hint, not part of the write:
    the pass publishes the event again and every consumer drops the copy."""
    _, learner = await api.user()
    sid = await start(api, learner)
    db = api.services.db
    with db.wrapped(_MarkLost):
        body = (
            await api.gql(RECORD, {"s": sid, "role": "USER", "c": "I has a cat."}, learner)
        ).json()
    assert "errors" not in body, body
    assert await db.messages.count_documents({"session_id": sid}) == 1
    assert await db.session_events.count_documents({"session_id": sid, "published": False}) == 1
    turns = api.services.extras[TURNS_KEY]
    queued = len(turns.entries)
    assert await publish_pending(db, api.services.extras[HUB_KEY], older_than=timedelta(0)) == 1
    assert len(turns.entries) == queued  # one turn, whoever publishes it
    assert await db.session_events.count_documents({"published": False}) == 0
    session = await db.sessions.find_one({"_id": sid})
    assert session["total_messages"] == 1
