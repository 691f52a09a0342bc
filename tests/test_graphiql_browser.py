"""GraphiQL in a real browser: headless Chromium runs a query with a token header.

Starts the gateway as `python -m gateway` (embedded demo data), opens /graphql in Debian's
Chromium driven by Playwright, runs a query with the admin token in the headers editor and
reads the result from the page. Skipped, with the reason, when Chromium is not installed
(.ci/run installs it).
"""

from __future__ import annotations

import json
import urllib.parse

from tests.browser import chromium_page, needs_chromium
from tests.servers import start_gateway

pytestmark = needs_chromium


async def test_graphiql_runs_a_query_with_a_token_header(tmp_path):
    gateway = start_gateway()
    try:
        query = "{ me { name email role } }"
        headers = json.dumps({"Authorization": f"Bearer {gateway.admin_token}"})
        url = f"{gateway.url}/graphql?" + urllib.parse.urlencode(
            {"q": query, "headers": headers}, quote_via=urllib.parse.quote
        )
        async with chromium_page() as page:
            problems: list[str] = []
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            page.on(
                "console",
                lambda msg: problems.append(msg.text) if msg.type == "error" else None,
            )
            await page.goto(url)
            await page.locator(".graphiql-execute-button").click()
            result = page.locator(".result-window")
            try:
                await result.filter(has_text="admin@example.com").wait_for()
            except Exception:
                await page.screenshot(path=tmp_path / "graphiql.png")
                pane = await result.inner_text() if await result.count() else None
                raise AssertionError(
                    f"no result; pane: {pane!r}; page errors: {problems}; "
                    f"screenshot: {tmp_path / 'graphiql.png'}"
                ) from None
            text = await result.inner_text()
        assert '"role": "ADMIN"' in text and '"name": "Demo Admin"' in text
        assert not [p for p in problems if "Content Security Policy" in p], problems
    finally:
        gateway.stop()
