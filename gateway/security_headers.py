"""Security headers on every response.

* `X-Content-Type-Options: nosniff` everywhere, so no response is ever run as something
  other than its declared type.
* `X-Frame-Options: DENY` and CSP `frame-ancestors 'none'`: no page of the gateway can be
  framed (clickjacking GraphiQL with a pasted token).
* The GraphiQL page gets a Content-Security-Policy that allows only what it really
  loads: its scripts and styles from `/graphiql-assets/` on this origin, its one inline
  `<script>` and `<style>` by hash (computed from the page itself at start-up, so they
  stay right if the page changes), the `data:` favicon and fonts, and fetches to this
  origin only. Every other response gets `default-src 'none'`: JSON needs nothing.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
_INLINE = {
    "script": re.compile(r"<script>(.*?)</script>", re.DOTALL),
    "style": re.compile(r"<style>(.*?)</style>", re.DOTALL),
}


def _hashes(html: str, tag: str) -> str:
    return " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
        for body in _INLINE[tag].findall(html)
    )


def page_policy(html: str) -> str:
    """The CSP of one HTML page whose inline script and style blocks are its own."""
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src 'self' {_hashes(html, 'script')}".strip(),
            f"style-src 'self' {_hashes(html, 'style')}".strip(),
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


class SecurityHeadersMiddleware:
    def __init__(self, app: Any, html_policy: str) -> None:
        self.app = app
        self.html_policy = html_policy.encode()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                ctype = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                if b"content-security-policy" not in names:
                    policy = (
                        self.html_policy if ctype.startswith(b"text/html") else API_POLICY.encode()
                    )
                    headers.append((b"content-security-policy", policy))
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"x-frame-options", b"DENY"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
