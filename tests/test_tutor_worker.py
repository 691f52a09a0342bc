"""scripts/tutor_worker.py against a gateway and a local fake chat-completions server (a
real HTTP server; nothing else is replaced)."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from resolvers.practice.generator import bank_or_empty
from resolvers.turns import TURNS_KEY
from scripts.tutor_worker import DEMO_PREFIX, Config, parse_model_answer, work
from tests.conftest import Api, make_settings
from tests.wsclient import served

MESSAGES = """query($s: ID!) { session(id: $s) { messages { edges { node {
  role content provider model tokensIn tokensOut responseTimeMs
  errors { category subcategory excerpt correction } } } } } }"""
RECORD = """mutation($s: ID!, $c: String!) {
  recordMessage(input: {sessionId: $s, role: USER, content: $c}) { id } }"""
LLM_DELAY_S = 0.08


class FakeCompletions:
    """An OpenAI-compatible /v1/chat/completions that answers JSON like a model asked to."""

    def __init__(self, delay_s: float = LLM_DELAY_S) -> None:
        self.requests: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                outer.requests.append(
                    {
                        "path": self.path,
                        "auth": self.headers.get("Authorization"),
                        "body": json.loads(self.rfile.read(length)),
                    }
                )
                time.sleep(delay_s)
                content = json.dumps(
                    {
                        "reply": "We say: I have a cat. What is its name?",
                        "errors": [
                            {
                                "category": "Grammar",
                                "subcategory": "Subject-Verb Agreement",
                                "excerpt": "I has",
                                "correction": "I have",
                                "explanation": "With 'I', use 'have'.",
                            },
                            {"category": "Made-up", "subcategory": "Not in the taxonomy"},
                        ],
                    }
                )
                body = json.dumps(
                    {
                        "id": "chatcmpl-1",
                        "object": "chat.completion",
                        "choices": [
                            {
                                "index": 0,
                                "finish_reason": "stop",
                                "message": {"role": "assistant", "content": content},
                            }
                        ],
                        "usage": {
                            "prompt_tokens": 123,
                            "completion_tokens": 45,
                            "total_tokens": 168,
                        },
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_a: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


async def one_turn(api: Api, url: str, config: Config) -> tuple[str, list[dict[str, Any]]]:
    """A learner says something; the worker handles that one turn; the session after."""
    _, learner = await api.user(target_language="English", native_language="Spanish")
    sid = (await api.data("mutation { startSession(input: {}) { id } }", token=learner))[
        "startSession"
    ]["id"]
    # errorCategories loads the exercise bank once per process (seconds, cached after):
    # not what this test measures.
    await asyncio.to_thread(bank_or_empty, "English")
    worker = asyncio.create_task(work(config))
    await asyncio.sleep(0.5)  # subscribed: the group exists before the message
    await api.data(RECORD, {"s": sid, "c": "I has a cat."}, token=learner)
    assert await asyncio.wait_for(worker, 30) == 0
    data = await api.data(MESSAGES, {"s": sid}, token=learner)
    nodes = [e["node"] for e in data["session"]["messages"]["edges"]]
    queue = api.services.extras[TURNS_KEY]
    assert await queue.refresh() == 0  # acknowledged: nothing pending
    return sid, nodes


def config(url: str, secret: str, **kw: Any) -> Config:
    return Config(
        gateway=url.replace("ws://", "http://"),
        token=secret,
        group="workers",
        name="worker-test",
        max_turns=1,
        **kw,
    )


@pytest.mark.slow
async def test_the_worker_answers_with_the_models_reply_usage_latency_and_errors() -> None:
    llm = FakeCompletions()
    try:
        async with served(make_settings()) as (api, url):
            secret = await api.tutor("tutor-worker")
            cfg = config(url, secret, llm_url=llm.url, llm_model="fake-model", llm_key="sk-test")
            _, nodes = await one_turn(api, url, cfg)
    finally:
        llm.close()
    said, reply = nodes
    assert reply["role"] == "ASSISTANT"
    assert reply["content"] == "We say: I have a cat. What is its name?"
    assert (reply["provider"], reply["model"]) == ("openai", "fake-model")
    assert (reply["tokensIn"], reply["tokensOut"]) == (123, 45)  # the provider's usage
    assert LLM_DELAY_S * 1000 <= reply["responseTimeMs"] < 10_000  # measured
    # The model's errors in the taxonomy, on the learner's message; the made-up one dropped.
    assert said["errors"] == [
        {
            "category": "Grammar",
            "subcategory": "Subject-Verb Agreement",
            "excerpt": "I has",
            "correction": "I have",
        }
    ]
    (request,) = llm.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["auth"] == "Bearer sk-test"
    body = request["body"]
    assert body["model"] == "fake-model"
    assert body["response_format"] == {"type": "json_object"}
    assert body["messages"][-1] == {"role": "user", "content": "I has a cat."}
    assert "English" in body["messages"][0]["content"]
    assert "Subject-Verb Agreement" in body["messages"][0]["content"]


@pytest.mark.slow
async def test_a_redelivered_turn_whose_reply_was_recorded_is_acknowledged() -> None:
    """An earlier attempt recorded its reply (and its errors) and died before ackTurn: the
    redelivery's model call gives other words and usage, the gateway refuses the keys'
    reuse, and the worker keeps the earlier writes and acknowledges. Before, it failed
    the turn every time it came back, never acknowledging it."""
    llm = FakeCompletions(delay_s=1.0)
    try:
        async with served(make_settings()) as (api, url):
            secret = await api.tutor("tutor-worker")
            _, learner = await api.user(target_language="English", native_language="Spanish")
            sid = (await api.data("mutation { startSession(input: {}) { id } }", token=learner))[
                "startSession"
            ]["id"]
            await asyncio.to_thread(bank_or_empty, "English")
            cfg = config(url, secret, llm_url=llm.url, llm_model="fake-model", llm_key="sk-x")
            worker = asyncio.create_task(work(cfg))
            await asyncio.sleep(0.5)
            said = (await api.data(RECORD, {"s": sid, "c": "I has a cat."}, token=learner))[
                "recordMessage"
            ]["id"]
            # The attempt that died: its reply and errors, while the model is still asked.
            await api.data(
                """mutation($i: RecordMessageInput!) { recordMessage(input: $i) { id } }""",
                {
                    "i": {
                        "sessionId": sid,
                        "role": "ASSISTANT",
                        "content": "An earlier attempt's words.",
                        "idempotencyKey": f"reply:{said}",
                    }
                },
                token=secret,
            )
            await api.data(
                """mutation($m: ID!, $k: String!) { annotateMessage(id: $m, idempotencyKey: $k,
                   errors: [{category: "Grammar", subcategory: "Articles"}]) { id } }""",
                {"m": said, "k": f"errors:{said}"},
                token=secret,
            )
            assert await asyncio.wait_for(worker, 30) == 0
            data = await api.data(MESSAGES, {"s": sid}, token=learner)
            assert await api.services.extras[TURNS_KEY].refresh() == 0  # acknowledged
    finally:
        llm.close()
    first, reply = (e["node"] for e in data["session"]["messages"]["edges"])
    assert reply["content"] == "An earlier attempt's words."  # the first write stands
    assert [e["subcategory"] for e in first["errors"]] == ["Articles"]
    assert len(llm.requests) == 1


async def test_without_an_llm_the_worker_answers_a_labelled_demo_reply() -> None:
    async with served(make_settings()) as (api, url):
        secret = await api.tutor("tutor-worker")
        _, nodes = await one_turn(api, url, config(url, secret))
    said, reply = nodes
    assert reply["role"] == "ASSISTANT" and reply["content"].startswith(DEMO_PREFIX)
    assert reply["tokensIn"] is None and reply["model"] is None
    assert said["errors"] == []


def test_the_models_json_is_read_with_or_without_code_fences() -> None:
    answer = '```json\n{"reply": "Hi!", "errors": [{"category": "A", "subcategory": "B"}]}\n```'
    assert parse_model_answer(answer) == ("Hi!", [{"category": "A", "subcategory": "B"}])
    assert parse_model_answer("Just text.") == ("Just text.", [])


@pytest.mark.slow  # a child process: python's start and imports, ~2 s on an idle machine
async def test_make_runs_demo_worker_answers_a_learner_message() -> None:
    """DEMO_TUTOR_WORKER (make run): the worker as a child process of the gateway, with the
    demo's TUTOR secret, replies to what a learner records."""
    from gateway import demo_worker

    async with served(make_settings()) as (api, url):
        secret = await api.tutor("demo-tutor")
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        settings = api.services.settings.model_copy(update={"host": "127.0.0.1", "port": port})
        _, learner = await api.user()
        sid = (await api.data("mutation { startSession(input: {}) { id } }", token=learner))[
            "startSession"
        ]["id"]
        proc = demo_worker.start(settings, secret)
        try:
            queue = api.services.extras[TURNS_KEY]
            for _ in range(300):  # the child is subscribed once its group exists
                if "tutors" in getattr(queue, "groups", {}):
                    break
                await asyncio.sleep(0.05)
            await api.data(RECORD, {"s": sid, "c": "Hello, tutor!"}, token=learner)
            replies = {"session_id": sid, "role": "assistant"}
            for _ in range(300):
                found = await api.services.db.messages.find(replies).to_list(None)
                if found:
                    break
                await asyncio.sleep(0.05)
            assert found and found[0]["content"].startswith(DEMO_PREFIX)
        finally:
            demo_worker.stop(proc)
        assert proc.returncode is not None


def test_two_worker_processes_on_one_host_have_different_default_names() -> None:
    """Named by the host alone, two workers on one host were one consumer: each took the
    other's unacknowledged turns as a dead earlier connection's, so both handled them."""
    code = "from scripts.tutor_worker import Config; print(Config(gateway='x', token='y').name)"
    names = [
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.strip()
        for _ in range(2)
    ]
    assert names[0] != names[1]
    assert all(n.startswith(socket.gethostname()) for n in names)
