"""Browser frontends on other origins: CORS from CORS_ALLOW_ORIGINS (localhost in embedded mode).

The browser tests load a page from another port (a second HTTP server) in headless
Chromium; its script calls /graphql with a bearer token, as a frontend app would.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.browser import chromium_page, needs_chromium
from tests.conftest import make_settings, running_api
from tests.servers import Gateway, start_gateway

PAGE = """<!doctype html><html><body><pre id="out">waiting</pre><script>
const [url, token] = [window.location.hash.slice(1).split("|")].map(p => p)[0];
fetch(url, {
  method: "POST",
  headers: {"Authorization": "Bearer " + token, "Content-Type": "application/json"},
  body: JSON.stringify({query: "{ me { email role } }"}),
}).then(async r => {
  const body = await r.json();
  document.getElementById("out").textContent = JSON.stringify({
    status: r.status, email: body.data.me.email,
    requestId: r.headers.get("X-Request-ID"), remaining: r.headers.get("X-RateLimit-Remaining"),
  });
}).catch(e => { document.getElementById("out").textContent = "refused: " + e; });
</script></body></html>"""


@pytest.fixture(scope="module")
def frontend() -> Iterator[str]:
    """A static 'frontend app' on its own port (so a different origin than the gateway)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = PAGE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    """Embedded mode with no CORS_ALLOW_ORIGINS: localhost origins are allowed by default."""
    gw = start_gateway()
    yield gw
    gw.stop()


async def _run_page(page_url: str, gateway: Gateway) -> str:
    async with chromium_page() as page:
        await page.goto(f"{page_url}/app.html#{gateway.url}/graphql|{gateway.admin_token}")
        out = page.locator("#out")
        await out.filter(has_not_text="waiting").wait_for()
        return await out.inner_text()


@needs_chromium
async def test_a_page_on_another_port_calls_graphql_with_a_token(gateway, frontend):
    text = await _run_page(frontend, gateway)
    assert '"status":200' in text and '"email":"admin@example.com"' in text, text
    # The exposed headers are readable from JavaScript.
    assert '"requestId":"' in text and '"remaining":null' not in text, text


@needs_chromium
async def test_the_browser_refuses_an_origin_that_is_not_allowed(gateway):
    async with chromium_page() as page:
        # A page on a foreign origin, served by Playwright itself (no DNS, no server).
        await page.route(
            "http://app.example.com/**",
            lambda route: route.fulfill(status=200, content_type="text/html", body=PAGE),
        )
        await page.goto(f"http://app.example.com/app.html#{gateway.url}/graphql|x")
        out = page.locator("#out")
        await out.filter(has_not_text="waiting").wait_for()
        assert (await out.inner_text()).startswith("refused: TypeError"), await out.inner_text()


PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization,content-type",
}


async def test_preflight_from_a_configured_origin_is_answered():
    settings = make_settings(
        cors_allow_origins="https://app.example.com, https://admin.example.com"
    )
    async with running_api(settings) as api:
        ok = await api.client.options(
            "/graphql", headers={"Origin": "https://admin.example.com", **PREFLIGHT}
        )
        assert ok.status_code == 200
        assert ok.headers["access-control-allow-origin"] == "https://admin.example.com"
        assert "authorization" in ok.headers["access-control-allow-headers"].lower()
        assert "POST" in ok.headers["access-control-allow-methods"]
        refused = await api.client.options(
            "/graphql", headers={"Origin": "http://localhost:5173", **PREFLIGHT}
        )
        assert refused.status_code == 400
        assert "access-control-allow-origin" not in refused.headers
        answer = await api.client.post(
            "/graphql",
            json={"query": "{ __typename }"},
            headers={"Origin": "https://app.example.com"},
        )
        assert answer.headers["access-control-allow-origin"] == "https://app.example.com"
        exposed = answer.headers["access-control-expose-headers"].lower()
        assert "x-ratelimit-remaining" in exposed and "x-request-id" in exposed


async def test_pages_can_read_the_headers_the_docs_tell_them_to_act_on():
    # A 401 says how to authenticate in WWW-Authenticate and a 405 what to use in Allow
    # (docs/api.md); unexposed, a page's fetch saw null for both.
    settings = make_settings(cors_allow_origins="https://app.example.com")
    origin = {"Origin": "https://app.example.com"}
    async with running_api(settings) as api:
        refused = await api.gql("{ me { id } }", token="not.a.jwt", headers=origin)
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        put = await api.client.put("/graphql", json={"query": "{ __typename }"}, headers=origin)
        assert put.status_code == 405 and put.headers["allow"]
        for response in (refused, put):
            exposed = {
                h.strip().lower()
                for h in response.headers["access-control-expose-headers"].split(",")
            }
            assert {"www-authenticate", "allow", "retry-after", "x-request-id"} <= exposed


async def test_an_empty_origin_list_sends_no_cors_headers_even_in_embedded_mode():
    async with running_api(make_settings(cors_allow_origins="")) as api:
        response = await api.client.options(
            "/graphql", headers={"Origin": "http://localhost:3000", **PREFLIGHT}
        )
        assert response.status_code == 405
        assert "POST" in response.headers["allow"]
        assert "access-control-allow-origin" not in response.headers


def test_with_a_real_database_no_origin_is_allowed_by_default():
    settings = make_settings(cors_allow_origins=None, mongo_uri="mongodb://db.example:27017")
    assert settings.cors_origins == [] and settings.cors_origin_regex is None
    assert make_settings(cors_allow_origins=None).cors_origin_regex is not None


# Found by a frontend team: headers common tooling adds failed every preflight, the app saw
# "TypeError: Failed to fetch" and the gateway logged nothing.
TOOLING_HEADERS = (
    "apollographql-client-name",
    "apollographql-client-version",
    "apollo-require-preflight",
    "x-apollo-operation-name",
    "traceparent",
    "tracestate",
    "baggage",
    "sentry-trace",
    "last-event-id",  # a browser's fetch resuming an event stream (docs/live.md)
)


async def test_headers_common_tooling_adds_pass_the_preflight_by_default():
    async with running_api(make_settings(cors_allow_origins="https://app.example.com")) as api:
        for header in TOOLING_HEADERS:
            response = await api.client.options(
                "/graphql",
                headers={
                    "Origin": "https://app.example.com",
                    "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": f"authorization,content-type,{header}",
                },
            )
            assert response.status_code == 200, (header, response.text)
            assert header in response.headers["access-control-allow-headers"].lower()


async def test_cors_allow_headers_is_a_setting_and_refusals_are_logged_and_counted(capsys):
    import json

    settings = make_settings(
        cors_allow_origins="https://app.example.com", cors_allow_headers="Authorization,X-Mine"
    )
    async with running_api(settings) as api:
        preflight = {
            "Origin": "https://app.example.com",
            "Access-Control-Request-Method": "POST",
        }
        mine = await api.client.options(
            "/graphql", headers={**preflight, "Access-Control-Request-Headers": "x-mine"}
        )
        assert mine.status_code == 200
        capsys.readouterr()
        refused = await api.client.options(
            "/graphql", headers={**preflight, "Access-Control-Request-Headers": "traceparent"}
        )
        assert refused.status_code == 400
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        event = next(e for e in lines if e["event"] == "cors_preflight_refused")
        assert event["refused"] == ["headers"] and event["headers"] == "traceparent"
        assert event["origin"] == "https://app.example.com"
        metrics = (await api.client.get("/metrics")).text
    assert 'gateway_cors_preflights_refused_total{reason="headers"} 1.0' in metrics


def test_cors_allow_headers_must_be_header_names():
    import pydantic

    for bad in ("", "Authorization, bad header", "x;y"):
        with pytest.raises(pydantic.ValidationError):
            make_settings(cors_allow_headers=bad)
    assert make_settings(cors_allow_headers="*").cors_headers == ["*"]
