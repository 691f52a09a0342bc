"""What a newcomer runs first: `make run` (= python -m gateway) and the README's commands."""

from __future__ import annotations

import re
import socket

from tests.servers import ROOT, run_gateway_to_exit


def test_a_busy_port_fails_fast_before_seeding_or_printing_tokens():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run_gateway_to_exit({"PORT": str(port), "HOST": "127.0.0.1", "MONGO_URI": ""})
    assert done.returncode == 1
    assert f"Cannot listen on 127.0.0.1:{port}" in done.stderr
    assert f"PORT={port + 1} make run" in done.stderr
    assert "Bearer" not in done.stdout + done.stderr  # no tokens for a process that exits


def test_the_readme_links_only_to_files_in_the_repository():
    readme = (ROOT / "README.md").read_text()
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme):
        if target.startswith(("http://", "https://")):
            continue
        assert (ROOT / target).exists(), f"README links to {target}, which is not in the repo"
    assert "../" not in readme, "the README points outside the repository"


def test_readme_scripts_run_from_the_venv():
    readme = (ROOT / "README.md").read_text()
    bare = [
        line
        for line in readme.splitlines()
        if re.search(r"(^|[`$|] ?)python3? -m ", line) and "exec gateway python" not in line
    ]
    assert not bare, f"use .venv/bin/python -m ...: {bare}"
