"""A real Apollo Client app and a real urql app, on another origin, in Debian's Chromium.

tests/frontend_app/ holds both apps (pinned in its package-lock.json; `npm ci` installs
them when node_modules is missing), bundled by esbuild as a frontend build would, with
their persisted-query manifests generated from the apps' own operations (Apollo's
generate-persisted-query-manifest, urql-manifest.mjs). The gateway runs with
PERSISTED_QUERIES_ONLY=true on those manifests, so every operation the apps send must be
in the allow-list exactly as the client library prints and hashes it. Playwright (from
npm, driven by Node) opens each page and reports what the app saw and every request it
sent. Skipped, with the reason, when Chromium or Node is not installed.

The flow is what a frontend team's first week found broken (issue 26): client awareness
and `traceparent` headers through CORS, a batched request, a chat opened at its newest
messages and paged back with relayStylePagination, a new message inserted from its
mutation's edge, a hint that updates the cached exercise, an execution error reaching
the app with its code, a Relay node refetch, rate-limit headers read by the page.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import CHROMIUM, needs_chromium
from tests.frontend_site import APP, NODE, build_apps, needs_node, served_site
from tests.servers import start_gateway

pytestmark = [needs_chromium, needs_node]
TRACEPARENT = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-01$")


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """The built apps, served from their own port: another origin than the gateway."""
    build_apps()
    with served_site() as url:
        yield url


@pytest.fixture(scope="module")
def report(site: str) -> dict[str, Any]:
    manifests = f"{APP}/build/apollo-manifest.json,{APP}/build/urql-manifest.json"
    gateway = start_gateway(
        {"PERSISTED_QUERIES_ONLY": "true", "PERSISTED_QUERIES_MANIFEST": manifests},
        seed_users=5,
    )
    try:
        # The PRO learner drives the Apollo app, the FREE learner the urql app: embedded
        # mode prints a token for each.
        done = subprocess.run(
            [
                NODE,
                "drive.mjs",
                str(CHROMIUM),
                site,
                gateway.url,
                gateway.tokens["learner"],
                gateway.tokens["FREE learner"],
            ],
            cwd=APP,
            capture_output=True,
            text=True,
            timeout=180,
        )
    finally:
        gateway.stop()
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _result(report: dict[str, Any], app: str) -> dict[str, Any]:
    got = report[app]
    assert "failed" not in got["result"], got["result"]
    assert not got["problems"], got["problems"]  # no red console line, no failed fetch
    return got["result"]  # type: ignore[no-any-return]


def test_apollo_pages_a_chat_backward_and_inserts_a_new_message(report):
    result = _result(report, "apollo")
    said = [f"message {i}" for i in range(5)]
    assert result["firstPage"] == said[-2:]  # opens at the newest, in conversation order
    assert result["chat"] == said  # relayStylePagination merged every older page
    assert result["sessionEdgeMatches"] is True
    assert result["chatAfterInsert"] == [*said, "the newest"]  # from recordMessage's edge
    assert result["refetched"] == {"typename": "Session", "totalMessages": 6}  # node(id:)


def test_apollo_keeps_the_cached_exercise_true_after_a_hint(report):
    result = _result(report, "apollo")
    before = result["hintsUsed"][0]
    assert result["hintsUsed"] == [before, before + 1, before + 2]
    assert result["answer"] == {"correct": False, "attempts": 1}
    assert result["missingHint"] == "NOT_FOUND"  # an execution error, with its code


def test_apollo_batches_and_sends_only_persisted_hashes_with_its_headers(report):
    result = _result(report, "apollo")
    assert result["me"]["subscriptionTier"] == "PRO" and result["tier"] == "PRO"
    requests = report["apollo"]["requests"]
    assert requests and all(r["method"] == "POST" and r["status"] == 200 for r in requests)
    batches = [json.loads(r["body"]) for r in requests]
    assert all(isinstance(b, list) for b in batches)  # BatchHttpLink: arrays
    assert any(len(b) == 3 for b in batches), [len(b) for b in batches]
    operations = [op for b in batches for op in b]
    assert all("query" not in op and op["extensions"]["persistedQuery"] for op in operations)
    for r in requests:
        assert r["headers"]["apollographql-client-name"] == "tutor-web"
        assert r["headers"]["apollographql-client-version"] == "1.4.0"
        assert TRACEPARENT.match(r["headers"]["traceparent"])
    # X-RateLimit-Remaining is readable by the page, and counts down.
    remaining = [int(v) for v in result["remaining"]]
    assert len(remaining) == len(requests) and remaining == sorted(remaining, reverse=True)


def test_urql_runs_enforced_persisted_queries_over_get_as_a_free_learner(report):
    result = _result(report, "urql")
    assert result["tier"] == "FREE" and result["budgetTier"] == "FREE"
    assert result["pages"] == [["u1", "u2"], ["u0"]]
    requests = report["urql"]["requests"]
    assert all(r["status"] == 200 for r in requests)
    gets = [r for r in requests if r["method"] == "GET"]
    assert len(gets) >= 3  # queries by hash in the URL
    for r in requests:
        assert "query=" not in r["url"] and '"query"' not in (r["body"] or "")
        assert TRACEPARENT.match(r["headers"]["traceparent"])
