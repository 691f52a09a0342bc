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

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
_API_POLICY = API_POLICY.encode()
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


def add_security_headers(headers: list[tuple[bytes, bytes]], html_policy: bytes) -> None:
    """Appends the security headers to a response's raw headers (the request middleware,
    gateway/middleware.py, calls this for every response)."""
    names = {name.lower() for name, _ in headers}
    ctype = next((v for n, v in headers if n.lower() == b"content-type"), b"")
    if b"content-security-policy" not in names:
        policy = html_policy if ctype.startswith(b"text/html") else _API_POLICY
        headers.append((b"content-security-policy", policy))
    headers.append((b"x-content-type-options", b"nosniff"))
    headers.append((b"x-frame-options", b"DENY"))
