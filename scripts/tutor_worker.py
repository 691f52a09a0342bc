"""The reference tutor worker: hears each learner message (`tutorTurns`), answers it, acks.

    .venv/bin/python -m scripts.tutor_worker --gateway http://127.0.0.1:8000 --token tgw_...

A TUTOR client over `graphql-transport-ws` (the `websockets` package). Per turn:
1. with TUTOR_LLM_URL and TUTOR_LLM_MODEL set, one OpenAI-compatible chat-completions call
   (the conversation so far, the learner's level and languages; the model is asked for JSON
   `{"reply": ..., "errors": [...]}`); without them, a clearly labelled demo reply;
2. `recordMessage` of the ASSISTANT reply with the provider's own `usage` token counts and
   the call's measured latency (idempotency key from the learner's message: a redelivered
   turn records nothing twice);
3. `annotateMessage` with the errors the model reported, those in the gateway's taxonomy
   (`errorCategories`), once per message;
4. `ackTurn`. A step that fails leaves the turn unacknowledged: the gateway hands it to
   this or another worker again after TURN_ACK_TIMEOUT_SECONDS.

Settings (flags override the environment): TUTOR_GATEWAY_URL, TUTOR_TOKEN (an API client's
secret or a tutor-scoped JWT), TUTOR_GROUP (default `tutors`), TUTOR_WORKER_NAME (the
consumer name, default `<host name>-<pid>`; a restarted worker with the same name gets its
unacknowledged turns back at once),
TUTOR_LLM_URL, TUTOR_LLM_MODEL, TUTOR_LLM_API_KEY, TUTOR_LLM_PROVIDER (the `provider`
recorded, for the cost table; default `openai`), TUTOR_LLM_TIMEOUT_SECONDS (60).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from gateway.logging import configure_logging, get_logger
from resolvers.cancellation import raise_if_cancelling

log = get_logger("tutor_worker")

PROTOCOL = "graphql-transport-ws"
DEMO_PREFIX = "[demo tutor]"
HISTORY = 12  # earlier messages of the session sent to the model
RECONNECT_MAX_S = 10.0

TURNS = """subscription($g: String!) { tutorTurns(group: $g) {
  id attempt
  message { id content }
  session { id topic messages(last: HISTORY) { edges { node { id role content } } } }
  learner { id targetLanguage nativeLanguage level }
} }""".replace("HISTORY", str(HISTORY))
RECORD = """mutation($i: RecordMessageInput!) { recordMessage(input: $i) { id } }"""
ANNOTATE = """mutation($m: ID!, $e: [LanguageErrorInput!]!, $k: String) {
  annotateMessage(id: $m, errors: $e, idempotencyKey: $k) { id } }"""
ACK = "mutation($id: ID!) { ackTurn(id: $id) }"
CATEGORIES = """query($l: String) { errorCategories(language: $l) {
  category subcategory description } }"""


def default_name() -> str:
    """The host name alone was every worker process's name on one host: they took each
    other's turns as an earlier connection's and handled each twice (two model calls).
    With the pid, two processes differ; in a container (pid 1) a restart keeps its name."""
    return f"{socket.gethostname()}-{os.getpid()}"


class GatewayError(Exception):
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(json.dumps(errors)[:500])
        self.errors = errors

    def reused_key(self) -> bool:
        """The gateway refused an idempotencyKey already used with other values."""
        return any(
            isinstance(e, dict)
            and (e.get("extensions") or {}).get("code") == "BAD_USER_INPUT"
            and (e.get("extensions") or {}).get("field") == "idempotencyKey"
            for e in self.errors
        )


@dataclass
class Config:
    gateway: str
    token: str
    group: str = "tutors"
    name: str = field(default_factory=default_name)
    llm_url: str | None = None
    llm_model: str | None = None
    llm_key: str | None = None
    llm_provider: str = "openai"
    llm_timeout_s: float = 60.0
    max_turns: int | None = None  # stop after this many turns (tests, smoke runs)
    parent_pid: int | None = None  # stop when this process (the demo gateway) is gone

    @property
    def ws_url(self) -> str:
        base = self.gateway.rstrip("/")
        if base.endswith("/graphql"):
            base = base[: -len("/graphql")]
        return re.sub(r"^http", "ws", base) + "/graphql"

    @property
    def http_url(self) -> str:
        return re.sub(r"^ws", "http", self.ws_url)

    @property
    def completions_url(self) -> str:
        assert self.llm_url is not None
        url = self.llm_url.rstrip("/")
        return url if url.endswith("/chat/completions") else url + "/chat/completions"


@dataclass
class Reply:
    content: str
    errors: list[dict[str, Any]]
    usage: dict[str, int] | None = None
    latency_ms: int | None = None


class Worker:
    def __init__(self, config: Config, http: httpx.AsyncClient) -> None:
        self.config = config
        self.http = http
        self.handled = 0
        self.taxonomy: dict[str | None, list[dict[str, str]]] = {}

    async def gql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = await self.http.post(
            self.config.http_url,
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {self.config.token}"},
        )
        body = response.json()
        if body.get("errors"):
            raise GatewayError(list(body["errors"]))
        return body["data"]  # type: ignore[no-any-return]

    # --- the turn --------------------------------------------------------------------

    async def handle(self, turn: dict[str, Any]) -> None:
        message = turn["message"]
        started = time.monotonic()
        reply = await self.answer(turn) if self.config.llm_url else self.demo(turn)
        record: dict[str, Any] = {
            "sessionId": turn["session"]["id"],
            "role": "ASSISTANT",
            "content": reply.content,
            "idempotencyKey": f"reply:{message['id']}",
        }
        if self.config.llm_url:
            record.update(provider=self.config.llm_provider, model=self.config.llm_model)
            record["responseTimeMs"] = reply.latency_ms
            if reply.usage is not None:
                record["tokensIn"] = reply.usage["in"]
                record["tokensOut"] = reply.usage["out"]
        await self.once(turn, "reply", RECORD, {"i": record})
        if reply.errors:
            await self.once(
                turn,
                "errors",
                ANNOTATE,
                {"m": message["id"], "e": reply.errors, "k": f"errors:{message['id']}"},
            )
        await self.gql(ACK, {"id": turn["id"]})
        self.handled += 1
        log.info(
            "turn_handled",
            turn=turn["id"],
            attempt=turn["attempt"],
            errors=len(reply.errors),
            llm=bool(self.config.llm_url),
            duration_ms=round((time.monotonic() - started) * 1000),
        )

    async def once(
        self, turn: dict[str, Any], what: str, query: str, variables: dict[str, Any]
    ) -> None:
        """A write keyed by the turn's message. A redelivered turn (an earlier attempt died
        before its ack) asks the model again and gets other words, other tokens, another
        latency: the gateway refuses the key's reuse with other values, and the earlier
        attempt's write stands. Before, that refusal failed the turn, which came back
        again and again, a paid model call each time, and was never acknowledged."""
        try:
            await self.gql(query, variables)
        except GatewayError as exc:
            if not exc.reused_key():
                raise
            log.info("turn_write_kept", turn=turn["id"], attempt=turn["attempt"], write=what)

    def demo(self, turn: dict[str, Any]) -> Reply:
        said = turn["message"]["content"]
        return Reply(
            f"{DEMO_PREFIX} I heard: \u201c{said[:200]}\u201d. This is a canned demo reply; "
            "set TUTOR_LLM_URL and TUTOR_LLM_MODEL for a real tutor.",
            [],
        )

    async def categories(self, language: str | None) -> list[dict[str, str]]:
        if language not in self.taxonomy:
            data = await self.gql(CATEGORIES, {"l": language})
            self.taxonomy[language] = data["errorCategories"]
        return self.taxonomy[language]

    async def answer(self, turn: dict[str, Any]) -> Reply:
        learner = turn.get("learner") or {}
        language = learner.get("targetLanguage")
        known = await self.categories(language)
        pairs = "; ".join(f"{c['category']} / {c['subcategory']}" for c in known)
        system = (
            f"You are a friendly, concise language tutor. The learner is learning "
            f"{language or 'a language'} at level {learner.get('level') or 'unknown'}; their "
            f"native language is {learner.get('nativeLanguage') or 'unknown'}. Reply in the "
            "language they are learning, as a tutor in a conversation. Answer ONLY with a JSON "
            'object: {"reply": "<your reply>", "errors": [{"category": ..., "subcategory": '
            '..., "excerpt": "<the wrong words>", "correction": "<the right words>", '
            '"explanation": "<one sentence>"}]} listing the language errors in the '
            "learner's LAST message (an empty list when there are none). Use only these "
            f"category / subcategory pairs: {pairs}."
        )
        messages: list[dict[str, str]] = [{"role": "system", "content": system}]
        for edge in turn["session"]["messages"]["edges"]:
            node = edge["node"]
            if node["id"] != turn["message"]["id"] and node["role"] in ("USER", "ASSISTANT"):
                messages.append({"role": node["role"].lower(), "content": node["content"]})
        messages.append({"role": "user", "content": turn["message"]["content"]})
        headers = {"Authorization": f"Bearer {self.config.llm_key}"} if self.config.llm_key else {}
        started = time.monotonic()
        response = await self.http.post(
            self.config.completions_url,
            json={
                "model": self.config.llm_model,
                "messages": messages,
                "response_format": {"type": "json_object"},
            },
            headers=headers,
            timeout=self.config.llm_timeout_s,
        )
        latency_ms = round((time.monotonic() - started) * 1000)
        response.raise_for_status()
        body = response.json()
        content = body["choices"][0]["message"]["content"] or ""
        usage = body.get("usage") or {}
        counts = (
            {"in": int(usage["prompt_tokens"]), "out": int(usage["completion_tokens"])}
            if "prompt_tokens" in usage and "completion_tokens" in usage
            else None
        )
        reply, errors = parse_model_answer(content)
        allowed = {(c["category"], c["subcategory"]) for c in known}
        kept = [e for e in errors if (e["category"], e["subcategory"]) in allowed]
        if len(kept) < len(errors):
            log.warning("model_errors_outside_taxonomy", dropped=len(errors) - len(kept))
        return Reply(reply, kept, counts, latency_ms)

    # --- the subscription -------------------------------------------------------------

    async def run(self) -> int:
        backoff = 0.5
        while True:
            try:
                async with connect(
                    self.config.ws_url,
                    subprotocols=[PROTOCOL],  # type: ignore[list-item]
                    open_timeout=10,
                ) as ws:
                    backoff = 0.5
                    if await self.session(ws):
                        return 0
            except (TimeoutError, OSError, Exception) as exc:
                raise_if_cancelling()  # Ctrl-C's cancellation, turned into a timeout
                if isinstance(exc, GatewayError | SubscriptionRefused):
                    log.error("tutor_worker_refused", error=str(exc))
                    return 1
                if self.config.parent_pid is not None and os.getppid() != self.config.parent_pid:
                    log.info("tutor_worker_stopping", reason="the gateway process is gone")
                    return 0
                log.warning("tutor_worker_reconnecting", error=type(exc).__name__, wait_s=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, RECONNECT_MAX_S)

    async def session(self, ws: ClientConnection) -> bool:
        """One connection: init, subscribe, handle turns. True: max_turns reached."""
        init = {"Authorization": f"Bearer {self.config.token}", "consumer": self.config.name}
        await ws.send(json.dumps({"type": "connection_init", "payload": init}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if ack.get("type") != "connection_ack":
            raise SubscriptionRefused(f"connection_init answered {ack}")
        await ws.send(
            json.dumps(
                {
                    "id": "turns",
                    "type": "subscribe",
                    "payload": {"query": TURNS, "variables": {"g": self.config.group}},
                }
            )
        )
        log.info("tutor_worker_subscribed", group=self.config.group, consumer=self.config.name)
        async for raw in ws:
            message = json.loads(raw)
            kind = message.get("type")
            if kind == "ping":
                await ws.send(json.dumps({"type": "pong"}))
            elif kind == "next":
                payload = message["payload"]
                if payload.get("errors") or not payload.get("data"):
                    log.warning("turn_with_errors", errors=payload.get("errors"))
                    continue
                try:
                    await self.handle(payload["data"]["tutorTurns"])
                except (GatewayError, httpx.HTTPError, KeyError, ValueError) as exc:
                    # Unacknowledged: it comes back after the gateway's ack deadline.
                    log.warning("turn_failed", error=type(exc).__name__, detail=str(exc)[:300])
                if self.config.max_turns is not None and self.handled >= self.config.max_turns:
                    return True
            elif kind in ("error", "complete"):
                raise SubscriptionRefused(json.dumps(message.get("payload"))[:500])
        return False


class SubscriptionRefused(Exception):
    pass


def parse_model_answer(content: str) -> tuple[str, list[dict[str, Any]]]:
    """The model's JSON (code fences tolerated); not JSON: the whole text is the reply."""
    text = content.strip()
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", text, re.S)
    if fenced:
        text = fenced.group(1)
    try:
        data = json.loads(text)
    except ValueError:
        return content.strip(), []
    if not isinstance(data, dict):
        return content.strip(), []
    reply = str(data.get("reply") or "").strip() or content.strip()
    errors = []
    for e in data.get("errors") or []:
        if isinstance(e, dict) and e.get("category") and e.get("subcategory"):
            errors.append(
                {
                    k: str(e[k])[:500]
                    for k in ("category", "subcategory", "excerpt", "correction", "explanation")
                    if e.get(k) is not None
                }
            )
    return reply, errors[:20]


def config_from(argv: list[str] | None = None) -> Config:
    env = os.environ.get
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--gateway", default=env("TUTOR_GATEWAY_URL", "http://127.0.0.1:8000"))
    p.add_argument("--token", default=env("TUTOR_TOKEN"))
    p.add_argument("--group", default=env("TUTOR_GROUP", "tutors"))
    p.add_argument("--name", default=env("TUTOR_WORKER_NAME", default_name()))
    p.add_argument("--llm-url", default=env("TUTOR_LLM_URL") or None)
    p.add_argument("--llm-model", default=env("TUTOR_LLM_MODEL") or None)
    p.add_argument("--max-turns", type=int, default=None)
    p.add_argument("--parent-pid", type=int, default=None)
    args = p.parse_args(argv)
    if not args.token:
        p.error("give --token or TUTOR_TOKEN (an API client's secret or a tutor-scoped JWT)")
    if bool(args.llm_url) != bool(args.llm_model):
        p.error("TUTOR_LLM_URL and TUTOR_LLM_MODEL go together")
    return Config(
        gateway=args.gateway,
        token=args.token,
        group=args.group,
        name=re.sub(r"[^A-Za-z0-9_.@-]", "-", args.name)[:64],
        llm_url=args.llm_url,
        llm_model=args.llm_model,
        llm_key=env("TUTOR_LLM_API_KEY") or None,
        llm_provider=env("TUTOR_LLM_PROVIDER", "openai") or "openai",
        llm_timeout_s=float(env("TUTOR_LLM_TIMEOUT_SECONDS", "60")),
        max_turns=args.max_turns,
        parent_pid=args.parent_pid,
    )


async def work(config: Config) -> int:
    async with httpx.AsyncClient(timeout=30) as http:
        return await Worker(config, http).run()


def main(argv: list[str] | None = None) -> int:
    configure_logging(os.environ.get("LOG_LEVEL", "INFO"), os.environ.get("LOG_FORMAT", "json"))
    config = config_from(argv)
    log.info(
        "tutor_worker_started",
        gateway=config.gateway,
        group=config.group,
        consumer=config.name,
        llm=config.llm_model if config.llm_url else "demo",
    )
    try:
        return asyncio.run(work(config))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
