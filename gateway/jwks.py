"""Verifying identity-provider tokens (RS256/ES256) against the provider's JSON Web Key Set.

PyJWT's PyJWKClient fetches and caches the key set; an unknown `kid` refetches it (at
most once per JWT_JWKS_REFETCH_SECONDS), so a key rotation is picked up without a restart.
The fetch is blocking urllib with a bounded timeout, so it runs in a worker thread; a
token whose key is already cached is verified on the event loop without that hop.

Fetches are single-flight: while one is under way, other requests for an uncached `kid`
wait for it on the event loop instead of each taking a worker thread and queueing on the
client's lock (a slow or down provider would otherwise hold one thread per request for up
to n x JWT_JWKS_TIMEOUT_SECONDS). After a failed fetch, requests answer 503 at once for
FAILED_FETCH_BACKOFF_SECONDS rather than retrying the provider per request.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import jwt
from jwt import PyJWK, PyJWKClient
from jwt.exceptions import PyJWKClientConnectionError, PyJWKClientError

from gateway.logging import get_logger
from gateway.settings import Settings
from resolvers.errors import ServiceUnavailable, Unauthenticated

log = get_logger("gateway.jwks")

ALGORITHMS = ("RS256", "ES256")
# How long a failed key-set fetch is trusted: at most one fetch per this many seconds
# while the provider is unreachable.
FAILED_FETCH_BACKOFF_SECONDS = 2.0


class JwksVerifier:
    def __init__(self, settings: Settings) -> None:
        assert settings.jwt_jwks_url
        self.settings = settings
        self.client = PyJWKClient(
            settings.jwt_jwks_url,
            cache_keys=False,  # the whole set is cached; a rotated-out key must stop working
            cache_jwk_set=True,
            lifespan=settings.jwt_jwks_cache_seconds,
            timeout=settings.jwt_jwks_timeout_seconds,
            cooldown_duration=settings.jwt_jwks_refetch_seconds,
            headers={"User-Agent": "tutoring-gateway"},
        )
        self._fetching = asyncio.Lock()
        self._failed_at: float | None = None

    def _cached_key(self, kid: str) -> PyJWK | None:
        cache = self.client.jwk_set_cache
        jwk_set = cache.get() if cache is not None else None
        if jwk_set is None:
            return None
        return next((k for k in jwk_set.keys if k.key_id == kid), None)

    async def signing_key(self, kid: str) -> PyJWK:
        key = self._cached_key(kid)
        if key is not None:
            return key
        async with self._fetching:
            key = self._cached_key(kid)  # fetched by the request this one waited for
            if key is not None:
                return key
            failed = self._failed_at
            if failed is not None and time.monotonic() - failed < FAILED_FETCH_BACKOFF_SECONDS:
                raise self._unavailable()
            try:
                key = await asyncio.to_thread(self.client.get_signing_key, kid)
            except PyJWKClientConnectionError as exc:
                self._failed_at = time.monotonic()
                log.warning("jwks_unavailable", url=self.settings.jwt_jwks_url, error=str(exc))
                raise self._unavailable() from exc
            except PyJWKClientError as exc:
                self._failed_at = None
                raise Unauthenticated("The token is signed with an unknown key.") from exc
            self._failed_at = None
            return key

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
            raise Unauthenticated("The token has expired.") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated("The token is invalid.") from exc
