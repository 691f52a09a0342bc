"""Bearer JWT authentication; role and tier always come from the user record, never the token."""

from __future__ import annotations

import time
from typing import Any

import jwt

from gateway.settings import Settings
from models.db import Database
from resolvers.errors import Unauthenticated
from resolvers.viewer import Viewer


def issue_token(settings: Settings, user_id: str, ttl_seconds: int | None = None) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": user_id,
        "iat": now,
        "exp": now + (ttl_seconds if ttl_seconds is not None else settings.token_ttl_seconds),
    }
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    return jwt.encode(claims, settings.jwt_key, algorithm="HS256")


class Authenticator:
    """Verifies tokens and caches the caller's role and tier for a few seconds.

    The cache keeps the per-request cost of auth to a dict lookup; `forget` makes a tier or
    role change visible at once on this replica (others see it within AUTH_CACHE_SECONDS).
    """

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self._cache: dict[str, tuple[float, Viewer | None]] = {}
        # token -> (sub, exp): a token string verified once verifies the same way again;
        # skipping the HMAC and JSON work halves auth's cost on hot clients.
        self._verified: dict[str, tuple[str, float]] = {}

    def decode(self, token: str) -> str:
        hit = self._verified.get(token)
        if hit is not None:
            if hit[1] > time.time():
                return hit[0]
            del self._verified[token]
            raise Unauthenticated("The token has expired.")
        return self._verify(token)

    def _verify(self, token: str) -> str:
        try:
            claims = jwt.decode(
                token,
                self.settings.jwt_key,
                algorithms=["HS256"],
                options={"require": ["exp", "sub"]},
                issuer=self.settings.jwt_issuer,
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("The token has expired.") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated("The token is invalid.") from exc
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise Unauthenticated("The token is invalid.")
        if len(self._verified) > 50_000:
            self._verified.clear()
        self._verified[token] = (sub, float(claims["exp"]))
        return sub

    async def authenticate(
        self, authorization: str | None
    ) -> tuple[Viewer | None, dict[str, Any] | None]:
        """(viewer, the user record if it was just read) — (None, None) for anonymous callers.

        The record comes back only on a cache miss, fresh from the database, so the request
        can reuse it (e.g. for `me`) instead of reading it a second time. Raises
        Unauthenticated for any bad credential.
        """
        if not authorization:
            return None, None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Use 'Authorization: Bearer <token>'.")
        user_id = self.decode(token.strip())
        viewer, record = await self._load(user_id)
        if viewer is None:
            raise Unauthenticated("The token's user no longer exists.")
        return viewer, record

    async def _load(self, user_id: str) -> tuple[Viewer | None, dict[str, Any] | None]:
        now = time.monotonic()
        hit = self._cache.get(user_id)
        if hit is not None and hit[0] > now:
            return hit[1], None
        doc = await self.db.users.find_one({"_id": user_id})
        viewer = (
            Viewer(
                id=doc["_id"], role=doc["role"], tier=doc["subscription_tier"], email=doc["email"]
            )
            if doc
            else None
        )
        if len(self._cache) > 50_000:
            self._cache.clear()
        self._cache[user_id] = (now + self.settings.auth_cache_seconds, viewer)
        return viewer, doc

    def forget(self, user_id: str) -> None:
        self._cache.pop(user_id, None)
