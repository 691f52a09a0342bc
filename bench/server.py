"""One benchmark server process: a variant of the gateway (or the hand-written floor) on
Uvicorn, with the benchmark data and a round-trip counter.

    python -m bench.server --variant gateway --port 8101 --info /tmp/info.json [--latency-ms 0.5]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import json
import os
import resource
import sys
import threading
import time
import traceback
import types
import uuid
from typing import Any

import uvicorn
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from uvicorn.loops.auto import auto_loop_factory

from bench.data import seed_bench
from bench.handwritten import routes as hand_routes
from bench.peers import dump_rows
from bench.replay import Replay
from gateway.app import build_services, create_app
from gateway.inprocess import in_process
from gateway.settings import Settings
from models.instrument import RoundTrips
from resolvers.dataloaders import Loaders

VARIANTS = ("gateway", "bare", "naive", "handwritten")


def bench_settings(variant: str) -> Settings:
    # The default per-tier limits: the load is spread over enough users that each stays
    # within its tier, as real traffic does (bench/data.py).
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        mongo_uri=os.environ.get("MONGO_URI") or None,
        mongo_db=f"bench_{uuid.uuid4().hex[:8]}",
        jwt_secret=SecretStr("bench-secret-" + "x" * 40),
        seed_demo_data=False,
        redis_url=os.environ.get("BENCH_REDIS_URL") or None,
        rate_limits_enabled=variant != "bare",
        request_log_enabled=variant != "bare",
        log_level="INFO",
        # No periodic repair pass competing with the measured requests.
        maintenance_interval_seconds=3600,
        # W1's page (50 users x 10 sessions x 20 messages) costs ~211,000 points now that
        # every message's errors are priced at their 20 at most: over the default ceiling.
        query_max_cost=300_000,
    )


class GcPauses:
    """Collections by generation and how long each took (`gc.callbacks`): where a latency
    tail comes from when it is the collector (docs/performance.md)."""

    def __init__(self) -> None:
        self.reset()
        self._start = self._start_cpu = 0.0
        gc.callbacks.append(self._callback)

    def reset(self) -> None:
        self.count = [0, 0, 0]
        self.total_ms = [0.0, 0.0, 0.0]
        self.max_ms = [0.0, 0.0, 0.0]
        # The collector's own CPU: on a shared machine a collection's wall time also
        # holds the time the process was not scheduled.
        self.cpu_ms = [0.0, 0.0, 0.0]

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
            self._start_cpu = time.thread_time()
            return
        ms = (time.perf_counter() - self._start) * 1000
        g = info["generation"]
        self.count[g] += 1
        self.total_ms[g] += ms
        self.max_ms[g] = max(self.max_ms[g], ms)
        self.cpu_ms[g] += (time.thread_time() - self._start_cpu) * 1000

    def report(self) -> dict[str, list[float]]:
        return {
            "gc_count": list(self.count),
            "gc_total_ms": [round(x, 1) for x in self.total_ms],
            "gc_max_ms": [round(x, 1) for x in self.max_ms],
            "gc_cpu_ms": [round(x, 1) for x in self.cpu_ms],
        }


class LoopStalls:
    """How late a 10 ms timer fires, sampled continuously: what the event loop was blocked
    by (a collection, a long synchronous step), seen from inside the process. A watchdog
    thread looks at the loop thread's stack while a stall is under way and counts where
    it was (`where`: the innermost frames of this project's code), so a stall has a
    cause, not only a length."""

    STALL_MS = 20
    MAX_PLACES = 8

    def __init__(self) -> None:
        self.reset()
        self.task: asyncio.Task[None] | None = None  # held, so the probe is not collected
        self._beat = time.monotonic()
        self._loop_thread = threading.get_ident()
        self._sampled_beat = 0.0

    def reset(self) -> None:
        self.stalls_over_20ms = 0
        self.max_ms = 0.0
        self.total_over_ms = 0.0
        self.where: collections.Counter[str] = collections.Counter()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        threading.Thread(target=self._watch, name="stall-watchdog", daemon=True).start()
        while True:
            start = loop.time()
            self._beat = time.monotonic()
            await asyncio.sleep(0.01)
            late = (loop.time() - start - 0.01) * 1000
            if late > self.STALL_MS:
                self.stalls_over_20ms += 1
                self.total_over_ms += late
            self.max_ms = max(self.max_ms, late)

    def _watch(self) -> None:
        """Once per stall: where the loop thread is when its timer is STALL_MS late."""
        while True:
            time.sleep(0.005)
            beat = self._beat
            if beat == self._sampled_beat:
                continue
            if (time.monotonic() - beat) * 1000 < 10 + self.STALL_MS:
                continue
            self._sampled_beat = beat
            frame = sys._current_frames().get(self._loop_thread)
            if frame is not None:
                self.where[_where(frame)] += 1

    def report(self) -> dict[str, Any]:
        return {
            "loop_stalls_over_20ms": self.stalls_over_20ms,
            "loop_stall_total_ms": round(self.total_over_ms, 1),
            "loop_stall_max_ms": round(self.max_ms, 1),
            "loop_stall_where": dict(self.where.most_common(self.MAX_PLACES)),
            # Late while the loop was idle in select(): no code of this process held it,
            # the machine did not run the process (other load on the cores).
            "loop_stalls_in_select": sum(
                n for place, n in self.where.items() if place.endswith("selectors.py:select")
            ),
        }


_OURS = tuple(os.sep + d + os.sep for d in ("gateway", "schema", "resolvers", "models", "bench"))


def _where(frame: types.FrameType) -> str:
    """The innermost frame, and the innermost two of this project's own code."""
    stack = traceback.extract_stack(frame)
    ours = [f for f in stack if any(d in f.filename for d in _OURS)][-2:]
    places = [*ours, stack[-1]] if stack else ours
    seen: list[str] = []
    for f in places:
        place = f"{os.path.basename(f.filename)}:{f.name}"
        if place not in seen:
            seen.append(place)
    return " > ".join(seen)


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def freeze_seeded() -> None:
    """The seeded rows live in this process (the embedded database): a real deployment's
    rows live in MongoDB, not in the gateway's heap. Freeze them, as the gateway freezes
    what its start-up allocated, so collections do not rescan a database."""
    gc.collect()
    gc.freeze()


async def serve(
    variant: str,
    port: int,
    info_path: str,
    latency_ms: float,
    small: bool = False,
    replay: bool = False,
    dump: str | None = None,
) -> None:
    """`replay`: every read is answered from a store filled by its first occurrence
    (bench/replay.py), so the database costs nothing, as for the peers that serve rows from
    memory; `dump`: also write the rows the peers serve (bench/peers.py) to this file."""
    settings = bench_settings(variant)
    counter: Any = Replay() if replay else RoundTrips(latency_ms=latency_ms)
    pauses = GcPauses()
    stalls = LoopStalls()
    stalls.task = asyncio.get_running_loop().create_task(stalls.run())

    async def stats(request: Request) -> JSONResponse:
        """?reset=1 starts a new window (after the warm-up) once this answer is built."""
        reply = JSONResponse(
            {
                "round_trips": getattr(counter, "total", getattr(counter, "misses", 0)),
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "cpu_s": _cpu_s(),
                **pauses.report(),
                **stalls.report(),
            }
        )
        if request.query_params.get("reset"):
            pauses.reset()
            stalls.reset()
        return reply

    if variant == "handwritten":
        services = await build_services(settings)
        app = Starlette(routes=[*hand_routes(services), Route("/bench/stats", stats)])
        info = await seed_bench(services.db, settings, small)
        if dump:
            await dump_rows(services.db, dump)
        services.db.set_wrapper(counter.wrap)
        if not os.environ.get("BENCH_NO_FREEZE"):
            freeze_seeded()
        await _run(app, port, info, info_path)
        return
    app = create_app(settings)
    async with in_process(app) as served:
        services = served.services
        if variant == "naive":
            services.loaders_factory = lambda s: Loaders(
                s.db, s.settings.error_half_life_days, batched=False
            )
        info = await seed_bench(services.db, settings, small)
        if dump:
            await dump_rows(services.db, dump)
        services.db.set_wrapper(counter.wrap)
        app.router.routes.append(Route("/bench/stats", stats))
        if not os.environ.get("BENCH_NO_FREEZE"):
            freeze_seeded()
        await _run(served, port, info, info_path)
        if not services.db.embedded:
            await services.db.client.drop_database(settings.mongo_db)


async def _run(app: Any, port: int, info: dict, info_path: str) -> None:
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_config=None,
        access_log=False,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    with open(info_path, "w") as f:
        json.dump(info, f)
    await server.serve()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variant", choices=VARIANTS, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--info", required=True)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--small", action="store_true", help="W1 shape, 1 message per session")
    parser.add_argument("--replay", action="store_true", help="reads answered from a store")
    parser.add_argument("--dump", help="write the rows the peers serve to this file")
    args = parser.parse_args()
    # The event loop `uvicorn.run` (gateway/__main__.py) picks: uvloop when installed, as
    # it is from the pinned uvicorn[standard]. Uvicorn only chooses it in `run`, and this
    # process serves from inside its own loop, so it asks for the same one.
    with asyncio.Runner(loop_factory=auto_loop_factory(use_subprocess=False)) as runner:
        runner.run(
            serve(
                args.variant,
                args.port,
                args.info,
                args.latency_ms,
                args.small,
                replay=args.replay,
                dump=args.dump,
            )
        )


if __name__ == "__main__":
    main()
