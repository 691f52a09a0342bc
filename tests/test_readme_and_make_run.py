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


def test_a_host_that_is_not_this_machines_is_not_blamed_on_another_process():
    for host in ("999.1.1.1", "192.0.2.1"):  # does not resolve; TEST-NET, on no interface
        done = run_gateway_to_exit({"PORT": "0", "HOST": host, "MONGO_URI": ""})
        assert done.returncode == 1
        assert f"Cannot listen on {host}:0" in done.stderr
        assert "Another process" not in done.stderr and "Check HOST" in done.stderr


def _anchor(heading: str) -> str:
    """GitHub's id for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path):
    prose = re.sub(r"^```.*?^```", "", path.read_text(), flags=re.M | re.S)
    return {_anchor(h) for h in re.findall(r"^#{1,6} (.+)$", prose, re.M)}


def test_the_readme_and_docs_link_only_to_files_in_the_repository():
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = page.read_text()
        for target, anchor in re.findall(r"\]\(([^)#\s]*)(?:#([^)]*))?\)", text):
            where = f"{page.relative_to(ROOT)} links to {target or ''}#{anchor or ''}"
            assert not re.match(r"[a-z]+:", target), f"{where}: outside the repo"
            linked = (page.parent / target).resolve() if target else page
            assert linked.exists(), f"{where}, which is not in the repo"
            assert ROOT.resolve() in linked.parents or linked == ROOT.resolve(), where
            if anchor and linked.suffix == ".md":
                assert anchor in _anchors(linked), f"{where}, which is no heading"
    assert "../" not in (ROOT / "README.md").read_text(), "the README points outside the repo"


def test_the_readme_is_a_first_page_not_the_manual():
    """Depth lives in docs/: a newcomer reads the README in a few minutes."""
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) < 300, f"README has {len(lines)} lines; move depth to docs/"


def test_readme_and_docs_scripts_run_from_the_venv():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    bare = [
        line
        for page in pages
        if page.name != "design.md"  # the design as given, not our commands
        for line in page.read_text().splitlines()
        if re.search(r"(^|[`$|] ?)python3? -m ", line) and "exec gateway python" not in line
    ]
    assert not bare, f"use .venv/bin/python -m ...: {bare}"
