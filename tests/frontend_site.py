"""The browser apps of tests/frontend_app/, built and served from their own origin.

The apps are pinned in its package-lock.json (`npm ci` installs them when a package is
missing from node_modules) and bundled by esbuild as a frontend build would
(tests/frontend_app/build.mjs). The static server listens on its own port, so every page
is on another origin than the gateways it calls (CORS, the WebSocket Origin check).
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.servers import ROOT

APP = ROOT / "tests" / "frontend_app"
NODE, NPM = shutil.which("node"), shutil.which("npm")
needs_node = pytest.mark.skipif(NODE is None or NPM is None, reason="node and npm build the apps")


def _installed() -> bool:
    """Every dependency of package.json is in node_modules (a new pin needs `npm ci`)."""
    wanted = json.loads((APP / "package.json").read_text())["dependencies"]
    return all((APP / "node_modules" / name / "package.json").is_file() for name in wanted)


def build_apps(*apps: str) -> None:
    """Bundle `apps` (directories of src/; all of them, and their manifests, by default)."""
    assert NODE is not None and NPM is not None
    if not _installed():
        subprocess.run(
            [NPM, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=APP,
            check=True,
            timeout=300,
        )
    subprocess.run(
        [NODE, "build.mjs", *apps], cwd=APP, check=True, timeout=120, capture_output=True
    )


@contextmanager
def served_site() -> Iterator[str]:
    """The built apps on a port of their own: `http://127.0.0.1:<port>`."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(APP / "build"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
