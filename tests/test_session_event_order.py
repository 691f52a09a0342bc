"""sessionEvents when a session's events are published out of `seq` order: two writes
racing, a writer that died between storing its event and publishing it, a number no event
carries. Before, a subscriber kept only the highest seq it had delivered and dropped an
earlier one that came second, so the learner's app never showed that change."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

import resolvers.messages
from models.instrument import RoundTrips
from resolvers.event_order import SKIPPED_MAX, VOIDS, InOrder
from resolvers.outbox import HUB_KEY, allocate, publish_pending
from tests.conftest import make_settings
from tests.test_session_events import EVENTS, next_event, record, start
from tests.wsclient import nothing_within, open_socket, receive, served, subscribe


async def watching(api: Any, url: str, learner: str) -> tuple[str, Any]:
    """A new session of `learner`, with a live sessionEvents subscription to it."""
    sid = await start(api, learner)
    ws = await open_socket(url, learner)
    await subscribe(ws, EVENTS, {"s": sid})
    await asyncio.sleep(0.2)  # subscribed before the writes
    return sid, ws


Publish = Callable[[Any, Any, list[dict[str, Any]]], Awaitable[None]]


def held_back(monkeypatch: pytest.MonkeyPatch, content: str) -> tuple[asyncio.Event, asyncio.Event]:
    """recordMessage's publish of the message with `content` waits for `release`;
    `reached` is set when it gets there (its event is stored by then, as always)."""
    original: Publish = resolvers.messages.publish
    reached, release = asyncio.Event(), asyncio.Event()

    async def publish(db: Any, hub: Any, events: list[dict[str, Any]]) -> None:
        if any((e.get("message") or {}).get("content") == content for e in events):
            reached.set()
            await release.wait()
        await original(db, hub, events)

    monkeypatch.setattr(resolvers.messages, "publish", publish)
    return reached, release


@pytest.mark.parametrize("resumed", [False, True])
async def test_a_write_published_after_a_later_one_still_arrives_and_in_order(
    monkeypatch: pytest.MonkeyPatch, resumed: bool
) -> None:
    """The tutor's reply is numbered before the learner's next message but published after
    it (a slower writer, or one on another replica)."""
    async with served(make_settings()) as (api, url):
        _, learner = await api.user()
        tutor = await api.tutor()
        sid = await start(api, learner)
        ws = await open_socket(url, learner)
        if resumed:  # the app came back with `after`: the replay, then the same live rule
            first_id = await record(api, learner, sid, "Hello!")
            await subscribe(ws, EVENTS, {"s": sid, "after": f"{sid}:0"})
            assert (await next_event(ws))["message"]["id"] == first_id
        else:
            await subscribe(ws, EVENTS, {"s": sid})
            await asyncio.sleep(0.2)
        reached, release = held_back(monkeypatch, "Nice to meet you.")
        reply = asyncio.create_task(record(api, tutor, sid, "Nice to meet you.", "ASSISTANT"))
        await asyncio.wait_for(reached.wait(), 10)
        said = await record(api, learner, sid, "And you!")
        release.set()
        reply_id = await reply
        events = [await next_event(ws), await next_event(ws)]
        assert [e["message"]["id"] for e in events] == [reply_id, said]
        assert [e["session"]["totalMessages"] for e in events] == [
            2 if resumed else 1,
            3 if resumed else 2,
        ]
        assert await nothing_within(ws, 0.5)
        await ws.close()


async def test_a_writer_that_died_before_publishing_is_delivered_in_order_from_mongodb(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its event is stored, never published; the next message, published at once, waits
    EVENT_GAP_WAIT_MS for it, then the subscription reads it from MongoDB. The maintenance
    pass publishing it later delivers nothing twice."""
    async with served(make_settings(event_gap_wait_ms=300)) as (api, url):
        _, learner = await api.user()
        tutor = await api.tutor()
        sid, ws = await watching(api, url, learner)
        reached, _never = held_back(monkeypatch, "I died half-way.")
        dead = asyncio.create_task(record(api, tutor, sid, "I died half-way.", "ASSISTANT"))
        await asyncio.wait_for(reached.wait(), 10)
        dead.cancel()  # the process is gone: nothing publishes its event
        said = await record(api, learner, sid, "Hello?")
        events = [await next_event(ws), await next_event(ws)]
        assert [e["message"]["content"] for e in events] == ["I died half-way.", "Hello?"]
        assert events[1]["message"]["id"] == said
        monkeypatch.undo()
        db, hub = api.services.db, api.services.extras[HUB_KEY]
        assert await publish_pending(db, hub, older_than=timedelta(0)) == 1
        assert await nothing_within(ws, 0.5)
        await ws.close()


async def test_a_number_no_event_carries_holds_the_next_event_only_for_the_wait() -> None:
    async with served(make_settings(event_gap_wait_ms=300)) as (api, url):
        user, learner = await api.user()
        sid, ws = await watching(api, url, learner)
        # A step that took a number and never stored its event (a repeat takes a new one).
        assert await allocate(api.services.db, sid, user["_id"]) is not None
        loop = asyncio.get_running_loop()
        began = loop.time()
        said = await record(api, learner, sid, "Still here.")
        assert (await next_event(ws))["message"]["id"] == said
        assert loop.time() - began < 5
        # The hole stays behind: the next message goes out at once.
        began = loop.time()
        again = await record(api, learner, sid, "And again.")
        assert (await next_event(ws))["message"]["id"] == again
        assert loop.time() - began < 0.25
        await ws.close()


async def test_a_write_in_flight_when_the_app_subscribes_is_still_delivered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Numbered and stored before the subscription read the session, published after it:
    the subscription's own, not history (without `after` it counts from the row)."""
    async with served(make_settings()) as (api, url):
        _, learner = await api.user()
        sid = await start(api, learner)
        reached, release = held_back(monkeypatch, "in flight")
        writer = asyncio.create_task(record(api, learner, sid, "in flight"))
        await asyncio.wait_for(reached.wait(), 10)
        ws = await open_socket(url, learner)
        await subscribe(ws, EVENTS, {"s": sid})
        await asyncio.sleep(0.3)
        release.set()
        said = await writer
        assert (await next_event(ws))["message"]["id"] == said
        later = await record(api, learner, sid, "later")
        assert (await next_event(ws))["message"]["id"] == later
        await ws.close()


RECORD_KEYED = """mutation($s: ID!, $c: String!, $k: String!) {
  recordMessage(input: {sessionId: $s, role: USER, content: $c, idempotencyKey: $k}) { id } }"""


async def test_retries_racing_the_first_attempt_hold_up_no_later_event() -> None:
    """A flaky network's retries of one recordMessage while the first is still running:
    the attempts that lose the event's insert took numbers no event carries, and say so,
    so the next message goes out at once instead of after EVENT_GAP_WAIT_MS."""
    async with served(make_settings(event_gap_wait_ms=3000)) as (api, url):
        _, learner = await api.user()
        sid, ws = await watching(api, url, learner)
        loop = asyncio.get_running_loop()
        for round_ in range(3):
            answers = await asyncio.gather(
                *(
                    api.data(
                        RECORD_KEYED,
                        {"s": sid, "c": f"m{round_}", "k": f"k{round_}"},
                        token=learner,
                    )
                    for _ in range(3)
                )
            )
            assert len({a["recordMessage"]["id"] for a in answers}) == 1
            assert (await next_event(ws))["message"]["content"] == f"m{round_}"
            began = loop.time()
            plain = await record(api, learner, sid, f"plain {round_}")
            assert (await next_event(ws))["message"]["id"] == plain
            assert loop.time() - began < 1.5, "the next message waited for a lost number"
        assert await nothing_within(ws, 0.3)
        await ws.close()
        # Every number taken is an event's or kept as void with one, so a subscriber that
        # gets the events another way (the maintenance pass, a relay's catch-up, a gap
        # read) does not wait for the lost ones either.
        db = api.services.db
        session = await db.sessions.find_one({"_id": sid})
        events = await db.session_events.find({"session_id": sid}).to_list(None)
        numbers = {e["seq"] for e in events} | {n for e in events for n in e.get(VOIDS, ())}
        assert numbers == set(range(1, session["event_seq"] + 1))


def ev(seq: int) -> dict[str, Any]:
    return {"seq": seq}


def seqs(events: list[dict[str, Any]]) -> list[int]:
    return [e["seq"] for e in events]


def test_events_wait_behind_a_gap_and_go_out_in_order_when_it_closes() -> None:
    order = InOrder(4, wait_s=10)
    assert seqs(order.offer(ev(5))) == [5]
    assert order.wait_left() is None
    assert order.offer(ev(7)) == [] and order.offer(ev(8)) == []
    assert order.gap() == (5, 7)
    wait = order.wait_left()
    assert wait is not None and 0 < wait <= 10
    assert seqs(order.offer(ev(6))) == [6, 7, 8]
    assert order.wait_left() is None and order.gap() is None
    assert order.offer(ev(7)) == [] and order.offer(ev(3)) == []  # duplicates


def test_a_gap_given_up_on_still_takes_its_late_event_once() -> None:
    order = InOrder(0, wait_s=0)
    assert order.offer(ev(3)) == []
    assert order.wait_left() == 0
    # MongoDB had seq 1 (a writer that died after storing it); seq 2 is nowhere yet.
    assert seqs(order.expired([ev(1)])) == [1, 3]
    assert seqs(order.offer(ev(4))) == [4]
    assert seqs(order.offer(ev(2))) == [2]  # late, not lost
    assert order.offer(ev(2)) == []  # once


def test_a_replay_remembers_the_numbers_it_stepped_over() -> None:
    order = InOrder(0, wait_s=1)
    for seq in (1, 2, 5):
        order.replayed(seq)
    assert order.last == 5
    assert seqs(order.offer(ev(4))) == [4]  # a writer still on its way during the replay
    assert seqs(order.offer(ev(3))) == [3]
    assert seqs(order.offer(ev(6))) == [6]


def test_what_a_subscription_remembers_is_bounded() -> None:
    order = InOrder(0, wait_s=1)
    order.replayed(10_000)
    assert order.offer(ev(10_000 - SKIPPED_MAX)) != []
    assert order.offer(ev(10_000 - SKIPPED_MAX - 1)) == []  # older than what it keeps
    order = InOrder(0, wait_s=60)
    for seq in range(2, 2 + 256):
        assert order.offer(ev(seq)) == []
    assert order.wait_left() == 0  # a burst behind a gap ends the wait early


def test_a_number_said_void_is_not_waited_for() -> None:
    order = InOrder(4, wait_s=60)
    assert order.offer(ev(6)) == []  # 5 missing
    # The attempt that lost seq 5 publishes the stored event (6) with it.
    assert seqs(order.offer({"seq": 6, VOIDS: [5]})) == [6]
    assert order.wait_left() is None
    assert seqs(order.offer({"seq": 7, VOIDS: [9]})) == [7]
    assert seqs(order.offer(ev(8))) == [8]
    assert seqs(order.offer(ev(10))) == [10]  # 9 was void: no wait
    assert order.wait_left() is None


def test_an_event_already_in_the_buffer_when_the_wait_ends_goes_out_in_order() -> None:
    order = InOrder(5, wait_s=0)
    assert order.offer(ev(7)) == []
    # The gap read found nothing, but seq 6 was published meanwhile and sits in the buffer.
    assert seqs(order.expired([ev(6)])) == [6, 7]
    assert order.offer(ev(6)) == []


async def test_resuming_an_ended_session_after_its_last_event_completes() -> None:
    """Before, `after` set to the SESSION_ENDED id found nothing to replay and waited
    forever for events that could never come."""
    async with served(make_settings()) as (api, url):
        _, learner = await api.user()
        sid, ws = await watching(api, url, learner)
        await api.data("mutation($s: ID!) { endSession(id: $s) { id } }", {"s": sid}, token=learner)
        ended = await next_event(ws)
        assert ended["type"] == "SESSION_ENDED"
        await ws.close()
        ws = await open_socket(url, learner)
        await subscribe(ws, EVENTS, {"s": sid, "after": ended["id"]})
        assert await receive(ws, within=5) == {"id": "1", "type": "complete"}
        await ws.close()


async def test_a_live_subscription_reads_its_events_from_mongodb_only_at_a_gap() -> None:
    """Its start reads the session and which of its last numbers are unpublished; events
    published in order cost no read (round trips, like tests/test_roundtrips.py)."""
    async with served(make_settings()) as (api, url):
        _, learner = await api.user()
        sid = await start(api, learner)
        await record(api, learner, sid, "before")
        counter = RoundTrips()
        with api.services.db.wrapped(counter.wrap):
            ws = await open_socket(url, learner)
            await subscribe(ws, EVENTS, {"s": sid})
            await asyncio.sleep(0.3)
            assert counter.calls[("session_events", "find")] == 1
            for text in ("one", "two", "three"):
                await record(api, learner, sid, text)
                assert (await next_event(ws))["message"]["content"] == text
            assert counter.calls[("session_events", "find")] == 1
        await ws.close()


def test_a_stored_events_voids_are_not_waited_for_and_a_partial_fill_keeps_the_wait() -> None:
    order = InOrder(5, wait_s=0)
    assert order.offer(ev(9)) == []
    # The gap read: 6 with the numbers 7 and 8 a retry lost.
    assert seqs(order.expired([{"seq": 6, VOIDS: [7, 8]}])) == [6, 9]
    assert order.offer(ev(7)) == [] and order.offer(ev(8)) == []  # not skipped: void
    order = InOrder(5, wait_s=1.0)
    assert order.offer(ev(9)) == []
    first = order.wait_left()
    assert seqs(order.offer(ev(6))) == [6]  # 7 and 8 still missing: the same wait
    left = order.wait_left()
    assert first is not None and left is not None and left <= first
