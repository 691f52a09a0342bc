"""`make run`'s tutor: the reference worker (scripts/tutor_worker.py) as a child process of
the embedded demo gateway, so a message recorded in GraphiQL gets a reply without a second
terminal. Only with DEMO_TUTOR_WORKER=true (the Makefile's `run` sets it) on the embedded
database; it uses the demo's TUTOR API client, answers with labelled demo replies unless
TUTOR_LLM_URL and TUTOR_LLM_MODEL are set, and exits when the gateway does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gateway.logging import get_logger
from gateway.settings import Settings

log = get_logger("gateway.demo_worker")
ROOT = Path(__file__).resolve().parent.parent


def command_line(settings: Settings) -> str:
    """What to run by hand, for the banner (the secret goes in the environment)."""
    return (
        f"TUTOR_TOKEN=<the TUTOR secret above> .venv/bin/python -m scripts.tutor_worker "
        f"--gateway {gateway_url(settings)}"
    )


def gateway_url(settings: Settings) -> str:
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    return f"http://{host}:{settings.port}"


def start(settings: Settings, secret: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TUTOR_TOKEN": secret, "TUTOR_GATEWAY_URL": gateway_url(settings)}
    env.setdefault("TUTOR_WORKER_NAME", "demo-worker")
    proc = subprocess.Popen(
        [sys.executable, "-m", "scripts.tutor_worker", "--parent-pid", str(os.getpid())],
        cwd=ROOT,
        env=env,
    )
    log.info("demo_tutor_worker_started", pid=proc.pid, gateway=env["TUTOR_GATEWAY_URL"])
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
