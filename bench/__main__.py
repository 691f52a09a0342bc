"""`make bench`: throughput, latency, round trips and memory per workload and variant.

Each variant runs in its own Uvicorn process on 127.0.0.1 with the same seeded data. wrk
(a separate process, in C, so the load generator is not the bottleneck: a Python client
tops out near 200 req/s on this machine) drives the load over real HTTP, bounded in time
and within every caller's budget; this prints ratios against the baselines measured in
the same run. No MONGO_URI: the embedded database, also re-run with a simulated network
round trip of 0.5 ms per MongoDB call.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from bench import live
from bench.server import VARIANTS
from bench.workloads import W1, W2, W3, W4

# workload: (seconds, connections). Runs are bounded in time by wrk and stay inside every
# caller's budget: W2's premium learner may send 1000/min, W3's 20 premium writers 1000/min
# each, W4's 1,500 free callers 60/min each.
SIZES = {"W1": (30, 2), "W2": (10, 4), "W3": (10, 16), "W4": (10, 16)}
WARMUP_S = 2

LUA = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  bad = 0
  i = 0
  reqs = {
%(requests)s
  }
end
function request()
  i = (i %% #reqs) + 1
  return reqs[i]
end
function response(status, headers, body)
  -- A GraphQL failure starts with {"errors": (W1's data also has an `errors` field).
  if status ~= 200 or string.sub(body, 1, 10) == '{"errors":' then bad = bad + 1 end
end
function done(summary, latency, requests)
  local b = 0
  for _, t in ipairs(threads) do b = b + t:get("bad") end
  local e = summary.errors
  io.write(string.format('WRK {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, "failures": %%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    b + e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass
class Result:
    latency_ms: float
    variant: str
    workload: str
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p99_ms: float
    round_trips: float
    peak_rss_mb: float


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def request_for(
    workload: str, variant: str, info: dict[str, Any], i: int
) -> tuple[str, str, dict[str, Any] | None, str]:
    """(method, path, json body, token) of the i-th distinct request of a workload."""
    hand = variant == "handwritten"
    if workload == "W1":
        return (
            ("GET", "/hand/w1", None, info["admin_token"])
            if hand
            else ("POST", "/graphql", {"query": W1}, info["admin_token"])
        )
    if workload == "W2":
        if hand:
            return "POST", "/hand/w2", {}, info["heavy_token"]
        return (
            "POST",
            "/graphql",
            {"query": W2, "variables": {"id": info["heavy_id"]}},
            info["heavy_token"],
        )
    if workload == "W3":
        writer = info["writers"][i % len(info["writers"])]
        errors = [
            {
                "category": "Grammar",
                "subcategory": "Verb Tense",
                "excerpt": "I go",
                "correction": "I went",
            },
            {
                "category": "Grammar",
                "subcategory": "Articles",
                "excerpt": "a apple",
                "correction": "an apple",
            },
        ]
        body = {
            "sessionId": writer["session_id"],
            "content": f"Yesterday I go and eat a apple ({i})",
            "errors": errors,
        }
        if hand:
            return "POST", "/hand/w3", body, writer["token"]
        return (
            "POST",
            "/graphql",
            {"query": W3, "variables": {"in": {**body, "role": "USER"}}},
            info["tutor_token"],
        )
    token = info["caller_tokens"][i % len(info["caller_tokens"])]
    return ("GET", "/hand/w4", None, token) if hand else ("POST", "/graphql", {"query": W4}, token)


def lua_script(workload: str, variant: str, info: dict[str, Any]) -> str:
    distinct = {"W1": 1, "W2": 1, "W3": 40, "W4": len(info["caller_tokens"])}[workload]
    lines = []
    for i in range(distinct):
        method, path, body, token = request_for(workload, variant, info, i)
        payload = json.dumps(body) if body is not None else ""
        headers = f'{{["Authorization"]="Bearer {token}", ["Content-Type"]="application/json"}}'
        lines.append(f'    wrk.format("{method}", "{path}", {headers}, [==[{payload}]==]),')
    return LUA % {"requests": "\n".join(lines)}


async def drive(
    base: str, workload: str, variant: str, info: dict[str, Any], seconds: float, connections: int
) -> dict[str, Any]:
    return await run_wrk(base, lua_script(workload, variant, info), seconds, connections)


async def run_wrk(
    base: str, script: str, seconds: float, connections: int, timeout_s: int = 180
) -> dict[str, Any]:
    """One wrk run of a Lua `script` (LUA's form), one thread: the C load generator leaves
    the server the other core. The summary line the script prints, as a dict."""
    path = Path(tempfile.mkdtemp()) / "load.lua"
    path.write_text(script)
    proc = await asyncio.create_subprocess_exec(
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        f"{timeout_s}s",
        "-s",
        str(path),
        base + "/",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    for line in out.decode().splitlines():
        if line.startswith("WRK "):
            return dict(json.loads(line[4:]))
    raise RuntimeError("wrk printed no summary:\n" + out.decode())


async def run_variant(
    variant: str, latency_ms: float, workloads: list[str], scale: float, small: bool = False
) -> list[Result]:
    port = free_port()
    info_path = Path(tempfile.mkdtemp()) / "info.json"
    log = open(Path(tempfile.gettempdir()) / f"bench-{variant}-{port}.log", "w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.server",
            "--variant",
            variant,
            "--port",
            str(port),
            "--info",
            str(info_path),
            "--latency-ms",
            str(latency_ms),
            *(["--small"] if small else []),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    results = []
    try:
        # Generous: after wrk stops, an in-flight W1 request may still hold the server.
        async with httpx.AsyncClient(base_url=base, timeout=300) as probe:
            for _ in range(1200):
                try:
                    if info_path.exists() and (await probe.get("/bench/stats")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None:
                    raise RuntimeError(f"bench server {variant} exited; see {log.name}")
                await asyncio.sleep(0.1)
            info = json.loads(info_path.read_text())
            for workload in workloads:
                seconds, connections = SIZES[workload]
                if workload != "W1":  # one W1 request takes seconds on the embedded database
                    await drive(base, workload, variant, info, WARMUP_S, connections)
                before = (await probe.get("/bench/stats")).json()
                run = await drive(base, workload, variant, info, seconds * scale, connections)
                after = (await probe.get("/bench/stats")).json()
                done = int(run["requests"])
                elapsed = run["duration_us"] / 1e6
                results.append(
                    Result(
                        latency_ms=latency_ms,
                        variant=variant,
                        workload=workload + ("s" if small else ""),
                        requests=done,
                        failures=int(run["failures"]),
                        rps=done / elapsed if elapsed else 0.0,
                        p50_ms=run["p50_us"] / 1000,
                        p99_ms=run["p99_us"] / 1000,
                        round_trips=(after["round_trips"] - before["round_trips"]) / max(1, done),
                        peak_rss_mb=after["peak_rss_mb"],
                    )
                )
                print(
                    f"  {variant:<11} {results[-1].workload}: {done} requests, {results[-1].rps:.1f} req/s",
                    file=sys.stderr,
                )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    return results


def table(results: list[Result]) -> str:
    by = {(r.latency_ms, r.variant, r.workload): r for r in results}
    lines = [
        "W1s is W1's query and shape (50 users x 10 sessions) on data with one message per",
        "session, so the naive per-item resolvers finish on the embedded database. Naive W1 itself",
        "runs only against MONGO_URI: on the embedded database each of its ~550 aggregations",
        "copies the whole 20k-document messages collection (minutes per request).",
    ]
    for latency in sorted({r.latency_ms for r in results}):
        where = "embedded database" if not os.environ.get("MONGO_URI") else "MONGO_URI"
        extra = f", simulated {latency:g} ms per MongoDB call" if latency else ""
        lines.append(f"\n### {where}{extra}\n")
        lines.append(
            "| workload | variant | req/s | p50 ms | p99 ms | DB round trips/req | peak RSS MB | req/s vs hand-written |"
        )
        lines.append("|---|---|---:|---:|---:|---:|---:|---:|")
        for workload in ("W1", "W2", "W3", "W4", "W1s"):
            hand = by.get((latency, "handwritten", workload))
            for variant in VARIANTS:
                r = by.get((latency, variant, workload))
                if r is None:
                    continue
                ratio = f"{r.rps / hand.rps:.2f}x" if hand and hand.rps else "-"
                fail = f" ({r.failures} failed)" if r.failures else ""
                lines.append(
                    f"| {workload} | {variant}{fail} | {r.rps:.1f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | "
                    f"{r.round_trips:.1f} | {r.peak_rss_mb:.0f} | {ratio} |"
                )
        lines.append("")
        for workload in ("W1", "W1s", "W2", "W3", "W4"):
            g, naive, bare = (by.get((latency, v, workload)) for v in ("gateway", "naive", "bare"))
            parts = []
            if g and naive and naive.rps:
                parts.append(
                    f"batching: {g.rps / naive.rps:.1f}x the naive resolvers' req/s, "
                    f"{naive.round_trips:.0f} -> {g.round_trips:.0f} round trips"
                )
            if g and bare and bare.rps:
                share = max(0.0, 1 - g.rps / bare.rps)
                parts.append(f"logging + rate limits cost {share:.0%} of request time")
            if parts:
                lines.append(f"* {workload}: " + "; ".join(parts))
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("bench needs wrk (Debian: apt-get install wrk; `make bench` installs it)")
    from bench import quick

    # CPU per request against the hand-written endpoint (database replayed), then the
    # real-HTTP runs.
    print("\n".join(await quick.run(args.rounds)), flush=True)
    print()
    # quick.run configured the gateway's logging in this process: keep the probe quiet.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    latencies = [0.0] if os.environ.get("MONGO_URI") or args.no_latency else [0.0, 0.5]
    workloads = args.workloads.split(",")
    variants = args.variants.split(",")
    results: list[Result] = []
    embedded = not os.environ.get("MONGO_URI")
    for latency in latencies:
        for variant in variants:
            print(f"[latency {latency} ms] {variant}", file=sys.stderr)
            mine = [w for w in workloads if not (embedded and variant == "naive" and w == "W1")]
            results += await run_variant(variant, latency, mine, args.scale)
        if "W1" in workloads and "naive" in variants:
            for variant in ("gateway", "naive"):
                print(f"[latency {latency} ms] {variant}: W1 shape, small data", file=sys.stderr)
                results += await run_variant(variant, latency, ["W1"], args.scale, small=True)
    print(table(results))
    out = Path("bench/results")
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"bench-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps([asdict(r) for r in results], indent=1))
    print(f"\nraw results: {path} (one run: re-run to see the spread)")
    print("\n".join(await live.run(*_w5_options(args))), flush=True)


def _w5_options(args: argparse.Namespace) -> tuple[list[int], int, float, float, int]:
    sizes = [int(n) for n in args.w5_sizes.split(",")]
    return sizes, args.w5_per_session, args.w5_rate, args.w5_seconds, args.w5_writers


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--workloads", default="W1,W2,W3,W4")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply each run's duration")
    parser.add_argument("--no-latency", action="store_true", help="skip the simulated-latency run")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="CPU per request vs the hand-written endpoint, database replayed (a few minutes)",
    )
    parser.add_argument("--rounds", type=int, default=9, help="--quick: interleaved rounds")
    parser.add_argument(
        "--http-quick",
        action="store_true",
        help="mid and W4 over HTTP against stock Strawberry, Node graphql-jit and the "
        "hand-written endpoint, with p50/p99 (under 5 minutes)",
    )
    parser.add_argument(
        "--w5",
        action="store_true",
        help="only W5: WebSocket subscribers on one replica, delivery latency, memory per "
        "idle subscription, events/s at saturation (bench/live.py; under 2 minutes)",
    )
    parser.add_argument("--w5-sizes", default="100,1000,2000", help="W5: subscriber counts N")
    parser.add_argument(
        "--w5-per-session", type=int, default=10, help="W5: subscribers per session"
    )
    parser.add_argument("--w5-rate", type=float, default=100, help="W5: writes per second")
    parser.add_argument("--w5-seconds", type=float, default=8, help="W5: fixed-rate duration")
    parser.add_argument("--w5-writers", type=int, default=8, help="W5: saturation writers")
    args = parser.parse_args()
    if args.w5:
        print("\n".join(asyncio.run(live.run(*_w5_options(args)))))
        return
    if args.http_quick:
        from bench import http_quick

        print("\n".join(asyncio.run(http_quick.run())))
        return
    if args.quick:
        from bench import quick

        print("\n".join(asyncio.run(quick.run(args.rounds))))
        return
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
