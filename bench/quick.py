"""`python -m bench --quick`: CPU per request of the GraphQL layer against the hand-written
endpoint, with the database made instant.

Both sides run in this one process, are called as ASGI apps (no sockets, no HTTP client in
the measurement), read the same rows replayed at the driver boundary (bench/replay.py:
recorded on first use, then zero database time on either side) and encode with the same
JSON encoder (gateway/jsonio.py). CPU is this thread's CPU time (time.thread_time) around
each request; the sides are interleaved, alternating which goes first, for several rounds.
The gateway side is the whole request: middleware and request log, authentication,
parse/validation caches, depth/alias rules, admission (cost and rate limits), execution,
error formatting, encoding. What is not included: the network, Uvicorn's HTTP parsing,
and the database (see README "Performance").
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette

from bench.data import W1_MESSAGES, W1_SESSIONS, W1_USERS, seed_bench
from bench.handwritten import by_the_encoder
from bench.handwritten import routes as hand_routes
from bench.replay import Replay
from bench.server import bench_settings
from bench.workloads import DAILY, MID, W1, W1_CURSORS, W1_WIDE, W4
from gateway import jsonio
from gateway.app import create_app
from gateway.context import GatewayContext
from gateway.execution.executor import compiled_executor
from gateway.gctuning import OLDER_THRESHOLDS
from gateway.guards import CONVENTIONS, schema_extensions
from gateway.inprocess import in_process
from resolvers.apiclients import create_client
from schema import build_schema

Call = Callable[[], Awaitable[bytes]]
ENCODER_BASELINE = "hand-written-encoder-timestamps"


class _Discard(io.TextIOBase):
    """Request-log lines are still rendered (their CPU counts), just not printed."""

    def write(self, s: str) -> int:
        return len(s)


async def asgi_call(app: Any, method: str, path: str, token: str, body: Any = None) -> bytes:
    """`body`: JSON to send, or its bytes already encoded (the timed workloads encode theirs
    once: a client's encoding of its request is not the server's work)."""
    if isinstance(body, bytes):
        raw = body
    else:
        raw = json.dumps(body).encode() if body is not None else b""
    headers = [
        (b"authorization", f"Bearer {token}".encode()),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(raw)).encode()),
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": raw, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    if status != 200:
        raise RuntimeError(f"{method} {path} answered {status}: {b''.join(chunks)[:300]!r}")
    return b"".join(chunks)


@dataclass
class Pair:
    name: str
    gateway: Callable[[int], Call]  # i-th request
    hand: Callable[[int], Call]
    per_round: int  # requests per measurement (sub-millisecond workloads run in batches)
    baseline: str = "hand-written"  # what the ratio line calls the hand side


REPLAY: list[Replay] = []  # the store in use; its own CPU is database time, left out


def _db_s() -> float:
    return REPLAY[0].cpu_s if REPLAY else 0.0


async def cpu_ms(make: Callable[[int], Call], n: int, offset: int) -> float:
    """CPU ms per request over a batch of n requests, without the replay store's own."""
    start, db = time.thread_time(), _db_s()
    for i in range(n):
        await make(offset + i)()
    return (time.thread_time() - start - (_db_s() - db)) * 1000 / n


async def compare(pair: Pair, rounds: int) -> tuple[float, float, float]:
    """(median ratio, median gateway ms, median hand-written ms)."""
    gw: list[float] = []
    hw: list[float] = []
    for r in range(rounds):
        first, second = (pair.gateway, pair.hand) if r % 2 == 0 else (pair.hand, pair.gateway)
        a = await cpu_ms(first, pair.per_round, r * pair.per_round)
        b = await cpu_ms(second, pair.per_round, r * pair.per_round)
        g, h = (a, b) if r % 2 == 0 else (b, a)
        gw.append(g)
        hw.append(h)
    ratios = [g / h for g, h in zip(gw, hw, strict=True)]
    return statistics.median(ratios), statistics.median(gw), statistics.median(hw)


def fmt_ms(ms: float) -> str:
    return f"{ms:.0f} ms" if ms >= 10 else f"{ms:.2f} ms"


def line(
    name: str, ratio: float, g: float, h: float, rounds: int, baseline: str = "hand-written"
) -> str:
    return (
        f"{name} gateway/{baseline} cpu ratio: {ratio:.2f} "
        f"(gateway {fmt_ms(g)}, {baseline} {fmt_ms(h)}, {rounds} rounds)"
    )


@contextlib.contextmanager
def gc_config(freeze: bool, threshold: tuple[int, int, int]) -> Iterator[None]:
    """Run with this collector configuration, then put back the one the gateway set."""
    old = gc.get_threshold()
    frozen = gc.get_freeze_count()
    gc.unfreeze()
    gc.collect()
    if freeze:
        gc.freeze()
    gc.set_threshold(*threshold)
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()
        if frozen:
            gc.freeze()


async def median_cpu(call: Call, n: int) -> float:
    times = []
    for _ in range(n):
        start, db = time.thread_time(), _db_s()
        await call()
        times.append((time.thread_time() - start - (_db_s() - db)) * 1000)
    return statistics.median(times)


def median_of(fn: Callable[[], Any], n: int = 5) -> float:
    times = []
    for _ in range(n):
        start = time.thread_time()
        fn()
        times.append((time.thread_time() - start) * 1000)
    return statistics.median(times)


async def run(rounds: int = 9, levers: bool = True, only: set[str] | None = None) -> list[str]:
    # The limiter does its work on every request, but no caller runs out: mid and the
    # practice page repeat ten learners' requests far faster than any learner would.
    generous = {f"rate_limit_{t}": "100000000/minute" for t in ("free", "pro", "premium")}
    generous |= {f"cost_bucket_{t}": "100000000:1000000" for t in ("free", "pro", "premium")}
    settings = bench_settings("gateway").model_copy(update=generous)
    out: list[str] = []
    with contextlib.redirect_stdout(_Discard()):
        async with in_process(create_app(settings)) as app:
            services = app.services
            info = await seed_bench(services.db, settings, heavy_learner=False)
            secrets = await bench_clients(services.db, len(info["caller_tokens"]))
            learners = info["learner_tokens"]
            # The practice page builds today's set on its first call (a write): before the
            # replay store, which only reads.
            for token in learners[:10]:
                body = json.loads(await asgi_call(app, "POST", "/graphql", token, {"query": DAILY}))
                assert "errors" not in body, body["errors"]
            replay = Replay()
            REPLAY[:] = [replay]
            services.db.set_wrapper(replay.wrap)
            hand = Starlette(routes=hand_routes(services))
            # The same endpoint leaving timestamps for the encoder to write, as the gateway
            # does: the like-for-like floor (the targets keep the first one).
            hand_enc = Starlette(routes=hand_routes(services, by_the_encoder))
            admin, callers = info["admin_token"], info["caller_tokens"]

            def gql(target: Any, query: str) -> Callable[[int], Call]:
                return lambda _i: (
                    lambda: asgi_call(target, "POST", "/graphql", admin, {"query": query})
                )

            def get(path: str, target: Any = hand) -> Callable[[int], Call]:
                return lambda _i: lambda: asgi_call(target, "GET", path, admin)

            w4_body = json.dumps({"query": W4}).encode()
            mid_body = json.dumps({"query": MID}).encode()

            def w4_gateway(i: int) -> Call:
                return lambda: asgi_call(
                    app, "POST", "/graphql", callers[i % len(callers)], w4_body
                )

            def w4_hand(i: int) -> Call:
                return lambda: asgi_call(hand, "GET", "/hand/w4", callers[i % len(callers)])

            def mid_gateway(i: int) -> Call:
                return lambda: asgi_call(
                    app, "POST", "/graphql", learners[i % len(learners)], mid_body
                )

            def mid_hand(i: int, target: Any = hand) -> Call:
                return lambda: asgi_call(target, "GET", "/hand/mid", learners[i % len(learners)])

            def mid_hand_enc(i: int) -> Call:
                return mid_hand(i, hand_enc)

            pairs = [
                Pair("W1", gql(app, W1), get("/hand/w1"), 1),
                Pair("W1-wide", gql(app, W1_WIDE), get("/hand/w1-wide"), 1),
                Pair("W4", w4_gateway, w4_hand, 100),
                Pair("mid", mid_gateway, mid_hand, 20),
                Pair("W1", gql(app, W1), get("/hand/w1", hand_enc), 1, ENCODER_BASELINE),
                Pair("mid", mid_gateway, mid_hand_enc, 20, ENCODER_BASELINE),
            ]
            if only is not None:
                pairs = [p for p in pairs if p.name in only]
            # Warm up (records every read once) and check both sides return the same rows.
            for pair in pairs:
                for i in range(2 if pair.per_round == 1 else 2 * len(callers)):
                    g = json.loads(await pair.gateway(i)())
                    h = json.loads(await pair.hand(i)())
                    assert "errors" not in g, g.get("errors")
                    if pair.name.startswith("W1"):
                        _check_w1(g, h)
            misses = replay.misses
            # The recorded rows are the database: keep them out of the collector's scans
            # (a driver hands out fresh rows that die young; the store never dies).
            gc.collect()
            gc.freeze()
            for pair in pairs:
                ratio, g_ms, h_ms = await compare(pair, rounds)
                out.append(line(pair.name, ratio, g_ms, h_ms, rounds, pair.baseline))
            out += await measure_pipeline(
                app,
                [p for p in pairs if p.name in ("W4", "mid") and p.baseline == "hand-written"],
                rounds,
            )
            if only is not None:
                return out
            out += await measure_client_auth(app, services, secrets, callers, rounds)
            out.append(await measure_daily(app, learners[:10], rounds))
            if replay.misses != misses:
                # Reads the warm-up never made (the pipeline-off path reads the user that
                # the cached record answers; a filter on the current time is new each
                # time): they reach the database, and their time is left out like the
                # store's own.
                out.append(
                    f"note: {replay.misses - misses} reads missed the replay store "
                    "(went to the database; their time is not counted)"
                )
            if levers:
                out += await measure_levers(app, services, admin, settings)
    return out


async def measure_pipeline(app: Any, pairs: list[Pair], rounds: int) -> list[str]:
    """The same requests with the compiled pipeline on and off (gateway/pipeline.py),
    interleaved in this run: what it saves against Strawberry's own per-request path."""
    pipeline = app.app.state.pipeline
    out = []
    for pair in pairs:

        def switched(on: bool, make: Callable[[int], Call] = pair.gateway) -> Callable[[int], Call]:
            def call(i: int) -> Call:
                inner = make(i)

                async def run() -> bytes:
                    pipeline.enabled = on
                    return await inner()

                return run

            return call

        ratio, on_ms, off_ms = await compare(
            Pair(pair.name, switched(True), switched(False), pair.per_round), rounds
        )
        pipeline.enabled = True
        out.append(
            f"{pair.name} pipeline on/off cpu ratio: {ratio:.2f} "
            f"(on {fmt_ms(on_ms)}, off {fmt_ms(off_ms)}, {rounds} rounds)"
        )
    return out


AUTH_PROBE = "query Auth { rateLimit { tier } }"


async def measure_daily(app: Any, learners: list[str], rounds: int) -> str:
    """The practice page (today's set, built already, and the month's progress): no
    hand-written twin exists (it would be the practice engine again), so its CPU per
    request is printed for tracking, not as a ratio."""

    def call(i: int) -> Call:
        return lambda: asgi_call(
            app, "POST", "/graphql", learners[i % len(learners)], {"query": DAILY}
        )

    for i in range(len(learners)):
        assert "errors" not in json.loads(await call(i)())
    ms = statistics.median([await cpu_ms(call, 10, r * 10) for r in range(rounds)])
    return (
        f"daily (dailyPractice + progress) gateway cpu: {fmt_ms(ms)} per request ({rounds} rounds)"
    )


async def bench_clients(db: Any, n: int) -> list[str]:
    """n TUTOR API clients' secrets. The replay store is read-only, so they are stored as
    just used: `lastUsedAt`'s once-a-minute write is no part of a request's cost."""
    secrets = []
    for i in range(n):
        doc, secret = await create_client(db, f"bench-tutor-{i}", ["tutor"])
        ahead = datetime.now(UTC) + timedelta(days=1)
        await db.api_clients.update_one({"_id": doc["_id"]}, {"$set": {"last_used_at": ahead}})
        secrets.append(secret)
    return secrets


async def measure_client_auth(
    app: Any, services: Any, secrets: list[str], callers: list[str], rounds: int
) -> list[str]:
    """The same W4-sized request with a TUTOR API client's secret and with a learner's JWT:
    what authenticating a service caller costs against a person (docs/api-clients.md)."""

    def with_token(tokens: list[str]) -> Callable[[int], Call]:
        return lambda i: (
            lambda: asgi_call(
                app, "POST", "/graphql", tokens[i % len(tokens)], {"query": AUTH_PROBE}
            )
        )

    pair = Pair("auth", with_token(secrets), with_token(callers), 100)
    for i in range(2 * len(callers)):  # warm-up: each secret read (and recorded) once
        for call in (pair.gateway(i), pair.hand(i)):
            assert "errors" not in json.loads(await call())
    out = []
    cache = services.settings.api_client_cache_seconds
    for label, seconds in (("cached", cache), ("read every request", 0.0)):
        services.settings.api_client_cache_seconds = seconds
        ratio, c_ms, j_ms = await compare(pair, rounds)
        out.append(
            f"auth api-client/JWT cpu ratio ({label}): {ratio:.2f} "
            f"(API client {fmt_ms(c_ms)}, JWT {fmt_ms(j_ms)}, {rounds} rounds)"
        )
    services.settings.api_client_cache_seconds = cache
    return out


def _check_w1(gateway: dict[str, Any], hand: dict[str, Any]) -> None:
    users = gateway["data"]["users"]["edges"]
    assert len(users) == len(hand["users"]) == W1_USERS
    n = sum(
        len(s["node"]["messages"]["edges"]) for u in users for s in u["node"]["sessions"]["edges"]
    )
    m = sum(len(s["messages"]) for u in hand["users"] for s in u["sessions"])
    assert n == m == W1_USERS * W1_SESSIONS * W1_MESSAGES, (n, m)


async def measure_levers(app: Any, services: Any, admin: str, settings: Any) -> list[str]:
    """The cheaper levers, each measured on W1 in this same run."""
    out = ["", "levers (W1, CPU ms per request, median of 5):"]

    def w1(query: str) -> Call:
        return lambda: asgi_call(app, "POST", "/graphql", admin, {"query": query})

    payload = json.loads(await w1(W1)())
    std = median_of(
        lambda: json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str)
    )
    ours = median_of(lambda: jsonio.dumps(payload))
    out.append(
        f"  response encoding: json.dumps {std:.1f} ms, {jsonio.ENCODER} {ours:.1f} ms "
        "(the gateway's and the hand-written endpoint's encoder)"
    )
    plain = await median_cpu(w1(W1), 5)
    with_cursors = await median_cpu(w1(W1_CURSORS), 5)
    out.append(
        f"  cursors (encoded only when selected): W1 {plain:.0f} ms; W1 selecting `cursor` on "
        f"every edge ({W1_USERS * (1 + W1_SESSIONS * (1 + W1_MESSAGES)):,}) {with_cursors:.0f} ms"
    )
    with gc_config(False, PYTHON_GC):
        default_gc = await median_cpu(w1(W1), 5)
    with gc_config(True, PYTHON_GC):
        frozen = await median_cpu(w1(W1), 5)
    tuned_threshold = (settings.gc_gen0_threshold, *OLDER_THRESHOLDS)
    with gc_config(True, tuned_threshold):
        tuned = await median_cpu(w1(W1), 5)
    out.append(
        f"  gc: Python's defaults {default_gc:.0f} ms, gc.freeze() after start-up "
        f"{frozen:.0f} ms, freeze + thresholds {tuned_threshold} {tuned:.0f} ms (the default)"
    )
    out += await measure_execution(services, admin, settings)
    return out


PYTHON_GC = (700, 10, 10)


async def measure_execution(services: Any, admin: str, settings: Any) -> list[str]:
    """The execute step alone (schema.execute with a ready context: no HTTP, no encoding),
    on the same replayed rows: graphql-core, compiled with Strawberry's wrapper on every
    resolver, compiled (wrappers skipped where a field needs none)."""
    variants = {
        "graphql-core + Strawberry": build_schema(schema_extensions(settings)),
        "compiled, every resolver wrapped": build_schema(
            schema_extensions(settings), compiled_executor(CONVENTIONS, direct_calls=False)
        ),
        "compiled": build_schema(schema_extensions(settings), compiled_executor(CONVENTIONS)),
    }
    viewer, _ = await services.auth.authenticate(f"Bearer {admin}")
    results = []
    for name, schema in variants.items():

        async def run(schema: Any = schema) -> bytes:
            ctx = GatewayContext.create(services, viewer, "bench", "127.0.0.1")
            result = await schema.execute(W1, context_value=ctx)
            assert not result.errors, result.errors
            return b""

        await run()
        results.append(f"{name} {await median_cpu(run, 5):.0f} ms")
    return ["  execute step only: " + ", ".join(results)]
