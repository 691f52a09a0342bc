"""Verifying identity-provider tokens (RS256/ES256) against the provider's JSON Web Key Set.

PyJWT's PyJWKClient fetches and caches the key set; an unknown `kid` refetches it (at
most once per JWT_JWKS_REFETCH_SECONDS), so a key rotation is picked up without a restart.
The fetch is blocking urllib with a bounded timeout, so it runs in a worker thread; a
token whose key is already cached is verified on the event loop without that hop.
"""

from __future__ import annotations

import asyncio
from typing import Any

import jwt
from jwt import PyJWK, PyJWKClient
from jwt.exceptions import PyJWKClientConnectionError, PyJWKClientError

from gateway.logging import get_logger
from gateway.settings import Settings
from resolvers.errors import ServiceUnavailable, Unauthenticated

log = get_logger("gateway.jwks")

ALGORITHMS = ("RS256", "ES256")


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
        try:
            return await asyncio.to_thread(self.client.get_signing_key, kid)
        except PyJWKClientConnectionError as exc:
            log.warning("jwks_unavailable", url=self.settings.jwt_jwks_url, error=str(exc))
            raise ServiceUnavailable(
                "The identity provider's signing keys could not be fetched; retry shortly."
            ) from exc
        except PyJWKClientError as exc:
            raise Unauthenticated("The token is signed with an unknown key.") from exc

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
