"""Verifying identity-provider tokens (RS256/ES256) against the provider's JSON Web Key Set.

The key set is fetched here, not by PyJWT's PyJWKClient, because every way a provider can
misbehave must end the same way (503 with Retry-After, never a 500) and every fetch must
be bounded:

- in total time: JWT_JWKS_TIMEOUT_SECONDS covers the whole fetch, connect to last byte
  (urllib's timeout is per socket read, so a provider trickling one byte per 0.9 s held
  sign-ins 11.7 s with a 2 s timeout); the body is read in chunks against that deadline
  and capped at MAX_JWKS_BYTES;
- in rate: an unknown `kid` refetches at most once per JWT_JWKS_REFETCH_SECONDS whether
  the fetch worked or not (made-up kids cannot make one fetch each), and after a failed
  fetch every request answers 503 at once for FAILED_FETCH_BACKOFF_SECONDS;
- in concurrency: one fetch at a time (single-flight: other requests wait for it on the
  event loop), and none while an abandoned one still holds its worker thread.

Any failure (unreachable, reset mid-body, HTML, not JSON, `{"keys": []}`, `{"error":
...}`, a key set with no usable key) is the provider's, so it is SERVICE_UNAVAILABLE,
logged as `jwks_unavailable` with its reason. A key set that fetched fine but lacks the
token's `kid` is the token's problem: UNAUTHENTICATED.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from typing import Any

import jwt
from jwt import PyJWK, PyJWKSet

from gateway.logging import get_logger
from gateway.settings import Settings
from resolvers.errors import ServiceUnavailable, Unauthenticated

log = get_logger("gateway.jwks")

ALGORITHMS = ("RS256", "ES256")
# How long a failed key-set fetch is trusted: at most one fetch per this many seconds
# while the provider is unreachable or misbehaving.
FAILED_FETCH_BACKOFF_SECONDS = 2.0
# A key set is a few KB; a provider answering more is misbehaving.
MAX_JWKS_BYTES = 1_048_576
_CHUNK = 16_384


class JwksFetchError(Exception):
    """The provider did not answer a usable key set (the reason is the message)."""


def fetch_key_set(url: str, timeout: float) -> dict[str, PyJWK]:
    """kid -> key, fetched within `timeout` seconds in total (blocking: run in a thread)."""
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url, headers={"User-Agent": "tutoring-gateway"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            if response.status != 200:
                raise JwksFetchError(f"HTTP {response.status}")
            chunks, size = [], 0
            while True:
                if time.monotonic() > deadline:
                    raise JwksFetchError(f"not answered within {timeout:g}s")
                chunk = response.read1(_CHUNK)  # whatever has arrived, one read at most
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_JWKS_BYTES:
                    raise JwksFetchError(f"more than {MAX_JWKS_BYTES} bytes")
                chunks.append(chunk)
    except JwksFetchError:
        raise
    except Exception as exc:  # OSError, reset, timeout, bad HTTP: all the provider's
        raise JwksFetchError(f"{type(exc).__name__}: {exc}") from exc
    try:
        data = json.loads(b"".join(chunks))
        key_set = PyJWKSet.from_dict(data)
    except Exception as exc:  # not JSON, not a key set, no usable key
        raise JwksFetchError(f"not a usable key set ({type(exc).__name__}: {exc})") from exc
    keys = {k.key_id: k for k in key_set.keys if isinstance(k.key_id, str)}
    if not keys:
        raise JwksFetchError("no key in the set has a kid")
    return keys


class JwksVerifier:
    def __init__(self, settings: Settings) -> None:
        assert settings.jwt_jwks_url
        self.settings = settings
        self.url = settings.jwt_jwks_url
        self._keys: dict[str, PyJWK] | None = None
        self._fetched_at = 0.0
        self._attempted_at: float | None = None  # last fetch started (success or not)
        self._failed_at: float | None = None
        self._fetching = asyncio.Lock()
        self._thread_busy = False  # a fetch we stopped waiting for still runs
        self.fetches = 0

    def _cached_key(self, kid: str) -> tuple[bool, PyJWK | None]:
        """(whether a fresh key set is cached, its key for `kid`)."""
        if self._keys is None:
            return False, None
        if time.monotonic() - self._fetched_at >= self.settings.jwt_jwks_cache_seconds:
            return False, None
        return True, self._keys.get(kid)

    async def signing_key(self, kid: str) -> PyJWK:
        fresh, key = self._cached_key(kid)
        if key is not None:
            return key
        async with self._fetching:
            fresh, key = self._cached_key(kid)  # fetched by the request this one waited for
            if key is not None:
                return key
            now = time.monotonic()
            failed = self._failed_at
            if failed is not None and now - failed < FAILED_FETCH_BACKOFF_SECONDS:
                raise self._unavailable()
            attempted = self._attempted_at
            if (
                fresh
                and attempted is not None
                and now - attempted < self.settings.jwt_jwks_refetch_seconds
            ):
                # The set is fresh and was fetched (or tried) moments ago: the kid is unknown.
                raise Unauthenticated("The token is signed with an unknown key.")
            if self._thread_busy:
                raise self._unavailable()
            await self._refresh()
            _, key = self._cached_key(kid)
            if key is None:
                raise Unauthenticated("The token is signed with an unknown key.")
            return key

    async def _refresh(self) -> None:
        self._attempted_at = time.monotonic()
        self.fetches += 1
        timeout = self.settings.jwt_jwks_timeout_seconds
        self._thread_busy = True
        thread = asyncio.ensure_future(asyncio.to_thread(fetch_key_set, self.url, timeout))
        thread.add_done_callback(self._thread_done)
        try:
            # The request waits `timeout` at most; an abandoned thread stops at its own
            # deadline (one more socket read at most) and no other fetch starts meanwhile.
            keys = await asyncio.wait_for(asyncio.shield(thread), timeout)
        except (JwksFetchError, TimeoutError) as exc:
            self._failed_at = time.monotonic()
            reason = str(exc) or f"not answered within {timeout:g}s"
            log.warning("jwks_unavailable", url=self.url, error=reason)
            raise self._unavailable() from exc
        self._failed_at = None
        self._keys = keys
        self._fetched_at = time.monotonic()

    def _thread_done(self, future: asyncio.Future[Any]) -> None:
        self._thread_busy = False
        if not future.cancelled():
            future.exception()  # retrieved: an abandoned fetch's error is not "never seen"

    @staticmethod
    def _unavailable() -> ServiceUnavailable:
        return ServiceUnavailable(
            "The identity provider's signing keys could not be fetched; retry shortly."
        )

    async def claims(self, token: str, header: dict[str, Any]) -> dict[str, Any]:
        """The verified claims; Unauthenticated for any bad token."""
        kid = header.get("kid")
        if header.get("alg") not in ALGORITHMS or not isinstance(kid, str):
            raise Unauthenticated("The token is invalid.")
        key = await self.signing_key(kid)
        if key.algorithm_name != header["alg"]:  # an RSA key never verifies an ES256 token
            raise Unauthenticated("The token is invalid.")
        settings = self.settings
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[header["alg"]],
                audience=settings.jwt_audience,
                issuer=settings.jwt_issuer,
                leeway=settings.jwt_leeway_seconds,
                options={"require": ["exp", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("The token has expired.", reason="expired") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated("The token is invalid.") from exc
