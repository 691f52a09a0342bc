"""Real gateway processes on free ports, for tests that need a socket (browsers, npm audit)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Gateway:
    proc: subprocess.Popen[str]
    port: int
    admin_token: str | None
    # Every demo token printed at start-up, by role: "admin", "learner", "FREE learner".
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start_gateway(
    env: dict[str, str] | None = None, seed_users: int = 3, keep_output: bool = False
) -> Gateway:
    """`python -m gateway` on the embedded database, once /health answers.

    Its output is drained so a full pipe never blocks it, unless `keep_output`: then the
    caller reads it (e.g. `proc.communicate()` after stopping the process)."""
    port = free_port()
    full_env = {
        **os.environ,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "SEED_DEMO_DATA": "true" if seed_users else "false",
        "SEED_USERS": str(seed_users or 1),
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "WARNING",
        "REDIS_URL": "",
        "MONGO_URI": "",
        "JWT_SECRET": "",
        **(env or {}),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway"],
        cwd=ROOT,
        env=full_env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    tokens: dict[str, str] = {}
    deadline = time.time() + 60
    assert proc.stdout is not None
    if seed_users:
        while time.time() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
            match = re.search(r"^  (\w[\w ]*?) +\(.*Bearer ([\w.-]+)", line)
            if match:
                tokens[match.group(1)] = match.group(2)
            elif tokens and not line.strip():
                break  # the blank line after the token lines
    token = tokens.get("admin")
    gateway = Gateway(proc, port, token, tokens)
    if seed_users and not token:
        gateway.stop()
        raise AssertionError("the gateway did not print an admin token")
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the gateway exited with {proc.returncode}")
        try:
            urllib.request.urlopen(f"{gateway.url}/health", timeout=1)
            if not keep_output:
                _drain(proc)
            return gateway
        except OSError:
            time.sleep(0.1)
    gateway.stop()
    raise AssertionError("the gateway did not answer /health")


def run_gateway_to_exit(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`python -m gateway` that is expected to refuse to start: its exit code and output."""
    return subprocess.run(
        [sys.executable, "-m", "gateway"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _drain(proc: subprocess.Popen[str]) -> None:
    """Keep reading the child's output so a full pipe never blocks it."""
    import threading

    def pump() -> None:
        assert proc.stdout is not None
        for _ in proc.stdout:
            pass

    threading.Thread(target=pump, daemon=True).start()
