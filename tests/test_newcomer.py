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


def _anchor(heading: str) -> str:
    """GitHub's id for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_the_readme_links_only_to_files_in_the_repository():
    readme = (ROOT / "README.md").read_text()
    prose = re.sub(r"^```.*?^```", "", readme, flags=re.M | re.S)  # no code-block comments
    anchors = {_anchor(h) for h in re.findall(r"^#{1,6} (.+)$", prose, re.M)}
    for target, anchor in re.findall(r"\]\(([^)#]*)(?:#([^)]*))?\)", readme):
        assert not re.match(r"[a-z]+:", target), f"README links outside the repo: {target}"
        if target:
            assert (ROOT / target).exists(), f"README links to {target}, which is not in the repo"
        elif anchor:
            assert anchor in anchors, f"README links to #{anchor}, which is no heading"
    assert "../" not in readme, "the README points outside the repository"


def test_readme_scripts_run_from_the_venv():
    readme = (ROOT / "README.md").read_text()
    bare = [
        line
        for line in readme.splitlines()
        if re.search(r"(^|[`$|] ?)python3? -m ", line) and "exec gateway python" not in line
    ]
    assert not bare, f"use .venv/bin/python -m ...: {bare}"
