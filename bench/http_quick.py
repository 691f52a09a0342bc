"""`python -m bench --http-quick`: the learner's pages over real HTTP against the peers.

Five servers, one Uvicorn/Node process each, on the same rows: the gateway, the
hand-written endpoint (with and, for W4, without the gateway's two caches), stock
Strawberry on Starlette and Node with graphql-js + graphql-jit (bench/peers.py). The Python
servers read through a replay store (bench/replay.py), the peers from memory, so no server
pays for a database. wrk drives each with 16 connections for ROUND_S seconds, the servers
interleaved, ROUNDS times; the median round is printed, with server CPU per request, and
the ratio lines the issue asks for (`mid gateway/node throughput ratio: 1.08`).

Before anything is measured, every answer each server gave in the warm-up is compared with
the gateway's to the same caller (`check_answers`: JSON-equal data; the hand-written
endpoint's without the connection wrappers), so no peer is timed doing less work. The
gateway's collections and event-loop stalls are reported for the warm-up and for the
measured rounds separately (bench/server.py: `/bench/stats?reset=1`).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.__main__ import LUA, free_port, run_wrk
from bench.data import bench_now
from bench.workloads import MID, W4

ROUNDS = 3
ROUND_S = 5
WARMUP_S = 1
CONNECTIONS = 16
NODE_DIR = Path(__file__).resolve().parent / "node"
# Distinct callers per workload: every caller's first read fills the replay store from the
# embedded database (seconds each for mid), so the warm-up stays short; the rate limits
# are raised instead of spreading the load over 1,500 callers.
CALLERS = {"mid": 10, "W4": 100}
SECRET = "bench-secret-" + "x" * 40  # bench/server.py's JWT secret
# Every caller inside its budget at this rate, the limiter still doing its work.
GENEROUS = {
    f"RATE_LIMIT_{t}": "100000000/minute" for t in ("ANONYMOUS", "FREE", "PRO", "PREMIUM")
} | {f"COST_BUCKET_{t}": "100000000:1000000" for t in ("ANONYMOUS", "FREE", "PRO", "PREMIUM")}
# The warm-up's first reads go to the embedded database (seconds each for mid on a busy
# machine): past the default 10 s execution budget, not a measured request.
GENEROUS["EXECUTION_TIMEOUT_MS"] = "120000"


@dataclass
class Server:
    name: str
    base: str
    proc: subprocess.Popen[bytes]
    paths: dict[str, tuple[str, str]]  # workload -> (method, path)


@dataclass
class Run:
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float


@dataclass
class Table:
    runs: dict[tuple[str, str], list[Run]] = field(default_factory=dict)

    def median(self, workload: str, server: str) -> Run:
        runs = self.runs[(workload, server)]
        return Run(
            *(statistics.median(getattr(r, f) for r in runs) for f in Run.__dataclass_fields__)
        )


def _wait(url: str, proc: subprocess.Popen[bytes], seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the server exited ({proc.returncode})")
        try:
            httpx.get(url + "/bench/stats", timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not start")


def _python_server(variant: str, extra: list[str], env: dict[str, str]) -> tuple[Server, dict]:
    port = free_port()
    info = Path(tempfile.mkdtemp()) / "info.json"
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "bench.server", "--variant", variant, "--port", str(port)),
            *("--info", str(info), "--replay", *extra),
        ],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    _wait(base, proc)
    gql = ("POST", "/graphql")
    paths = (
        {"mid": ("GET", "/hand/mid"), "W4": ("GET", "/hand/w4"), "W4c": ("GET", "/hand/w4-cached")}
        if variant == "handwritten"
        else {"mid": gql, "W4": gql}
    )
    return Server(variant, base, proc, paths), json.loads(info.read_text())


def _peer(name: str, rows: str) -> Server:
    port = free_port()
    if name == "node":
        if not (NODE_DIR / "node_modules").exists():
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True)
        cmd = ["node", str(NODE_DIR / "server.mjs"), str(port), rows, SECRET]
        paths = {"mid": ("POST", "/"), "W4": ("POST", "/")}
    else:
        cmd = [sys.executable, "-m", "bench.peers", "stock", "--port", str(port)]
        cmd += ["--rows", rows, "--secret", SECRET]
        paths = {"mid": ("POST", "/graphql"), "W4": ("POST", "/graphql")}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    _wait(base, proc)
    return Server(name, base, proc, paths)


def _callers(workload: str, info: dict[str, Any]) -> tuple[list[str], str]:
    if workload == "mid":
        return info["learner_tokens"][: CALLERS["mid"]], MID
    return info["caller_tokens"][: CALLERS["W4"]], W4


def _warm(server: Server, info: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """Each caller once, one at a time: the replay store holds every read afterwards.
    Returns each answer's JSON by (workload, token), for `check_answers`."""
    answers: dict[tuple[str, str], Any] = {}
    for workload, (method, path) in server.paths.items():
        tokens, query = _callers(workload.rstrip("c"), info)
        for token in tokens:
            headers = {"Authorization": f"Bearer {token}"}
            if method == "POST":
                r = httpx.post(
                    server.base + path, json={"query": query}, headers=headers, timeout=120
                )
            else:
                r = httpx.get(server.base + path, headers=headers, timeout=120)
            if r.status_code != 200 or "errors" in r.json():
                raise RuntimeError(f"{server.name} {workload}: {r.status_code} {r.text[:300]}")
            answers[(workload, token)] = r.json()
    return answers


def without_connections(value: Any) -> Any:
    """The gateway's data in the hand-written endpoint's shape: every connection
    (`{"edges": [{"node": x}, ...]}`) as the list of its nodes."""
    if isinstance(value, dict):
        if value.keys() == {"edges"}:
            return [without_connections(e["node"]) for e in value["edges"]]
        return {k: without_connections(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_connections(v) for v in value]
    return value


def same_answer(gateway: Any, other: Any, hand_written: bool) -> str | None:
    """None when `other` answers what the gateway answered (its `data`, JSON-equal; the
    hand-written endpoint's without the connection wrappers), else the first difference."""
    expected = gateway.get("data")
    got = other
    if hand_written:
        expected = without_connections(expected)
    else:
        if set(other) - {"data"}:
            return f"keys {sorted(other)} (only data expected)"
        got = other.get("data")
    return None if got == expected else _first_difference(expected, got, "")


def _first_difference(a: Any, b: Any, at: str) -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in a.keys() | b.keys():
            if a.get(k, ...) != b.get(k, ...):
                return _first_difference(a.get(k), b.get(k), f"{at}.{k}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, f"{at}[{i}]")
    return f"at {at or '.'}: gateway {json.dumps(a)[:200]}, peer {json.dumps(b)[:200]}"


def check_answers(
    gateway: dict[tuple[str, str], Any], server: Server, answers: dict[tuple[str, str], Any]
) -> None:
    """Every answer a server gave in the warm-up against the gateway's to the same caller:
    a peer that does less work than the gateway (fewer rows, other values) fails the run
    before anything is measured."""
    for (workload, token), answer in answers.items():
        reference = gateway[(workload.rstrip("c"), token)]
        diff = same_answer(reference, answer, server.name == "handwritten")
        if diff is not None:
            raise RuntimeError(
                f"{server.name} {workload} answers differently from the gateway: {diff}"
            )


def _script(server: Server, workload: str, info: dict[str, Any]) -> str:
    method, path = server.paths[workload]
    tokens, query = _callers(workload, info)
    body = json.dumps({"query": query}) if method == "POST" else ""
    lines = [
        f'    wrk.format("{method}", "{path}", {{["Authorization"]="Bearer {t}", '
        f'["Content-Type"]="application/json"}}, [==[{body}]==]),'
        for t in tokens
    ]
    return LUA % {"requests": "\n".join(lines)}


def _stats(server: Server, reset: bool = False) -> dict[str, Any]:
    """Read between runs, when nothing else is in flight (a blocking call is fine here).
    `reset`: the collector and stall counters start again from here (bench/server.py)."""
    url = server.base + "/bench/stats" + ("?reset=1" if reset else "")
    return dict(httpx.get(url, timeout=10).json())


def _cpu(server: Server) -> float:
    return float(_stats(server)["cpu_s"])


async def _measure(server: Server, workload: str, info: dict[str, Any]) -> Run:
    script = _script(server, workload, info)
    await run_wrk(server.base, script, WARMUP_S, CONNECTIONS, 30)
    before = _cpu(server)
    r = await run_wrk(server.base, script, ROUND_S, CONNECTIONS, 30)
    cpu = _cpu(server) - before
    if r["failures"]:
        raise RuntimeError(f"{server.name} {workload}: {r['failures']} failed requests")
    n = max(1, r["requests"])
    return Run(
        rps=r["requests"] / (r["duration_us"] / 1e6),
        p50_ms=r["p50_us"] / 1000,
        p99_ms=r["p99_us"] / 1000,
        cpu_ms=cpu * 1000 / n,
    )


async def run() -> list[str]:
    if shutil.which("wrk") is None:
        return ["bench --http-quick needs wrk: sudo apt-get install wrk"]
    rows = str(Path(tempfile.mkdtemp()) / "rows.json")
    servers: list[Server] = []
    # One seed clock for both Python servers: the same rows to the millisecond.
    now = {"BENCH_NOW": bench_now().isoformat()}
    try:
        gateway, info = _python_server("gateway", ["--dump", rows], GENEROUS | now)
        servers.append(gateway)
        servers.append(_python_server("handwritten", [], now)[0])
        servers.append(_peer("stock", rows))
        servers.append(_peer("node", rows))
        hand = servers[1]
        reference = _warm(gateway, info)
        for server in servers[1:]:
            check_answers(reference, server, _warm(server, info))
        # Start-up, seeding and the warm-up (each caller's first read fills the replay
        # store from the embedded database) are kept out of the measured window's counts.
        warm_stats = _stats(gateway, reset=True)
        plan = [(w, s) for w in ("mid", "W4") for s in servers] + [("W4c", hand)]
        table = Table()
        load = os.getloadavg()
        for r in range(ROUNDS):
            order = plan if r % 2 == 0 else list(reversed(plan))
            for workload, server in order:
                run_ = await _measure(server, workload, info)
                table.runs.setdefault((workload, server.name), []).append(run_)
        gc_stats = _stats(gateway)
    finally:
        for s in servers:
            s.proc.terminate()
        for s in servers:
            s.proc.wait(timeout=20)
    return _report(table, load, os.getloadavg(), gc_stats, warm_stats)


def _pauses(label: str, gc: dict[str, Any]) -> str:
    where = "; ".join(f"{n} x {place}" for place, n in gc.get("loop_stall_where", {}).items())
    return (
        f"gateway {label}: collections by generation (count / total ms / longest ms / "
        "CPU ms): "
        + ", ".join(
            f"gen{i} {gc['gc_count'][i]} / {gc['gc_total_ms'][i]} / {gc['gc_max_ms'][i]}"
            f" / {gc['gc_cpu_ms'][i]}"
            for i in range(3)
        )
        + f"; event-loop stalls over 20 ms: {gc['loop_stalls_over_20ms']} "
        f"(while the loop waited in select, i.e. the process was not scheduled: "
        f"{gc.get('loop_stalls_in_select', 0)}) "
        f"(total {gc['loop_stall_total_ms']} ms, longest {gc['loop_stall_max_ms']} ms)"
        + (f"; where: {where}" if where else "")
    )


def _report(
    table: Table,
    load_before: tuple[float, ...],
    load_after: tuple[float, ...],
    gc: dict[str, Any],
    warm: dict[str, Any],
) -> list[str]:
    names = ["gateway", "stock", "node", "handwritten"]
    out = [
        f"bench --http-quick: {ROUNDS} interleaved rounds x {ROUND_S} s, wrk -c{CONNECTIONS}, "
        f"median round; load average {load_before[0]:.2f} before, {load_after[0]:.2f} after",
        "| workload | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for workload in ("mid", "W4"):
        runs = {n: table.median(workload, n) for n in names}
        out.append(
            f"| {workload} req/s | " + " | ".join(f"{runs[n].rps:,.0f}" for n in names) + " |"
        )
        out.append(
            f"| {workload} server CPU per request | "
            + " | ".join(f"{runs[n].cpu_ms:.2f} ms" for n in names)
            + " |"
        )
        out.append(
            f"| {workload} p50 / p99 | "
            + " | ".join(f"{runs[n].p50_ms:.1f} / {runs[n].p99_ms:.1f} ms" for n in names)
            + " |"
        )
    cached = table.median("W4c", "handwritten")
    out.append(
        f"| W4 hand-written with the gateway's token and user caches | {cached.rps:,.0f} req/s, "
        f"{cached.cpu_ms:.3f} ms CPU, p50 / p99 {cached.p50_ms:.1f} / {cached.p99_ms:.1f} ms |"
    )
    for workload in ("mid", "W4"):
        g, n = table.median(workload, "gateway"), table.median(workload, "node")
        h = table.median(workload, "handwritten")
        out.append(f"{workload} gateway/node throughput ratio: {g.rps / n.rps:.2f}")
        out.append(f"{workload} gateway/node p99 ratio: {g.p99_ms / n.p99_ms:.2f}")
        out.append(f"{workload} gateway/hand-written cpu ratio: {g.cpu_ms / h.cpu_ms:.2f}")
    g4 = table.median("W4", "gateway")
    out.append(f"W4 gateway/hand-written-with-caches cpu ratio: {g4.cpu_ms / cached.cpu_ms:.2f}")
    out.append(_pauses("measured rounds", gc))
    out.append(_pauses("start-up and warm-up", warm))
    return out
