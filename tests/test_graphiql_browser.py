"""GraphiQL in a real browser: headless Chromium runs a query with a token header.


Starts the gateway as `python -m gateway` (embedded demo data), opens /graphql in
Debian's Chromium driven over the DevTools protocol, runs a query with the admin token in
the headers editor and reads the result from the page. Skipped, with the reason, when
Chromium is not installed (.ci/run installs it).
"""

from __future__ import annotations

# ruff: noqa: ASYNC210, ASYNC220 - the test drives external processes step by step.
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"
)
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_gateway(port: int) -> tuple[subprocess.Popen[str], str]:
    env = {
        **os.environ,
        "PORT": str(port),
        "SEED_USERS": "3",
        "LOG_FORMAT": "json",
        "REDIS_URL": "",
        "MONGO_URI": "",
        "JWT_SECRET": "",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway"],
        cwd=ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 60
    token = None
    assert proc.stdout is not None
    while time.time() < deadline:
        line = proc.stdout.readline()
        match = re.search(r"admin .*Bearer ([\w.-]+)", line)
        if match:
            token = match.group(1)
        if token and "gateway_started" in line:
            break
    assert token, "the gateway did not print an admin token"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
            return proc, token
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the gateway did not answer /health")


class DevTools:
    """The few Chrome DevTools Protocol calls the test needs."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.next_id = 0

    async def call(self, method: str, **params):
        self.next_id += 1
        await self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(await self.ws.recv())
            if message.get("id") == self.next_id:
                return message.get("result", {})

    async def evaluate(self, expression: str):
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    async def wait_for(self, expression: str, seconds: float = 30.0):
        for _ in range(int(seconds * 10)):
            value = await self.evaluate(expression)
            if value:
                return value
            await asyncio.sleep(0.1)
        raise AssertionError(f"timed out waiting for {expression}")


async def test_graphiql_runs_a_query_with_a_token_header(tmp_path):
    import websockets

    port, debug_port = free_port(), free_port()
    gateway, token = start_gateway(port)
    browser = subprocess.Popen(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tempfile.mkdtemp(dir=tmp_path)}",
            f"--remote-debugging-port={debug_port}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        targets = None
        for _ in range(100):
            try:
                targets = json.load(
                    urllib.request.urlopen(f"http://127.0.0.1:{debug_port}/json/list", timeout=1)
                )
                if any(t["type"] == "page" for t in targets):
                    break
            except OSError:
                pass
            await asyncio.sleep(0.1)
        assert targets, "Chromium's DevTools endpoint did not come up"
        page = next(t for t in targets if t["type"] == "page")
        query = "{ me { name email role } }"
        headers = json.dumps({"Authorization": f"Bearer {token}"})
        url = f"http://127.0.0.1:{port}/graphql?" + urllib.parse.urlencode(
            {"q": query, "headers": headers}, quote_via=urllib.parse.quote
        )
        async with websockets.connect(page["webSocketDebuggerUrl"], max_size=None) as ws:
            tools = DevTools(ws)
            await tools.call("Page.enable")
            await tools.call("Page.navigate", url=url)
            await tools.wait_for("!!document.querySelector('.graphiql-execute-button')")
            await tools.evaluate("document.querySelector('.graphiql-execute-button').click()")
            try:
                text = await tools.wait_for(
                    "(() => { const r = document.querySelector('.result-window');"
                    " return r && r.innerText.includes('admin@example.com') ? r.innerText : null })()"
                )
            except AssertionError:
                shot = await tools.call("Page.captureScreenshot", format="png")
                (tmp_path / "graphiql.png").write_bytes(
                    __import__("base64").b64decode(shot["data"])
                )
                pane = await tools.evaluate("document.querySelector('.result-window')?.innerText")
                raise AssertionError(
                    f"no result; result pane: {pane!r}; screenshot: {tmp_path / 'graphiql.png'}"
                ) from None
        assert '"role": "ADMIN"' in text and '"name": "Demo Admin"' in text
    finally:
        browser.terminate()
        gateway.terminate()
        for proc in (browser, gateway):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
