"""Bearer authentication: a person's JWT, a tutor-scoped JWT, or an API client's secret.

A person's role and tier always come from the user record, never the token. A token whose
`scope`/`scp` claim holds `tutor` (the identity provider's client-credentials grant), or an
API client's secret (resolvers/apiclients.py), is a TUTOR caller with the tutor tier.
"""

from __future__ import annotations

import time
from typing import Any

import jwt

from gateway.jwks import JwksVerifier
from gateway.settings import Settings
from models.db import Database
from models.documents import utcnow
from resolvers.apiclients import find_client, looks_like_secret, note_use
from resolvers.errors import Unauthenticated
from resolvers.viewer import TUTOR, Viewer

TUTOR_SCOPE = "tutor"


def _tutor_client(claims: dict[str, Any]) -> str | None:
    """The client's name when the token grants the tutor scope (`scope`: space-separated,
    `scp`: a list or a string, as identity providers differ), else None."""
    granted: set[str] = set()
    for claim in ("scope", "scp"):
        value = claims.get(claim)
        if isinstance(value, str):
            granted.update(value.split())
        elif isinstance(value, list):
            granted.update(x for x in value if isinstance(x, str))
    if TUTOR_SCOPE not in granted:
        return None
    name = claims.get("client_id") or claims.get("azp") or claims.get("sub")
    return str(name)[:100]


def issue_token(
    settings: Settings, user_id: str, ttl_seconds: int | None = None, scope: str | None = None
) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": user_id,
        "iat": now,
        "exp": now + (ttl_seconds if ttl_seconds is not None else settings.token_ttl_seconds),
    }
    if scope:
        claims["scope"] = scope
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    if not settings.jwt_key:
        raise ValueError("JWT_SECRET is not set: only the identity provider issues tokens")
    return jwt.encode(claims, settings.jwt_key, algorithm="HS256")


class Authenticator:
    """Verifies tokens and caches the caller's role and tier for a few seconds.

    The cache keeps the per-request cost of auth to a dict lookup; `forget` makes a tier or
    role change visible at once on this replica (others see it within AUTH_CACHE_SECONDS).
    """

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        # user id -> (expiry, viewer, the record it was built from)
        self._cache: dict[str, tuple[float, Viewer | None, dict[str, Any] | None]] = {}
        # secret -> (expiry, viewer): an API client is read again after API_CLIENT_CACHE_SECONDS,
        # so a revocation (written to the database) is seen by every replica within that.
        self._clients: dict[str, tuple[float, Viewer]] = {}
        # token -> (sub, exp, verify again at, tutor client name): a token string verified
        # once verifies the same way again, skipping the signature and JSON work (half of
        # auth's cost on hot clients), but an identity provider's token only until the key
        # set it was checked against would be fetched again: a key the provider retired
        # must stop working, not live on in this cache until the token expires.
        self._verified: dict[str, tuple[str, float, float, str | None]] = {}
        # HS256 with JWT_SECRET (development, scripts/issue_token.py) and/or the identity
        # provider's RS256/ES256 keys; each algorithm is only checked against its own keys.
        self._hs_key = settings.jwt_key or None
        self._jwks = JwksVerifier(settings) if settings.jwt_jwks_url else None
        self._invalid = "The token is invalid."
        if settings.embedded and not settings.jwt_secret.get_secret_value():
            self._invalid += (
                " In embedded mode the signing secret is random and changes at every start:"
                " use a token printed by the running gateway (or set JWT_SECRET)."
            )

    async def decode(self, token: str) -> tuple[str, str | None]:
        """(sub, the tutor client's name when the token has the tutor scope, else None)."""
        hit = self._verified.get(token)
        if hit is not None:
            now = time.time()
            if hit[1] + self.settings.jwt_leeway_seconds <= now:
                del self._verified[token]
                raise Unauthenticated("The token has expired.", reason="expired")
            if now < hit[2]:
                return hit[0], hit[3]
            del self._verified[token]  # verified against the current keys below
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated(self._invalid) from exc
        recheck = float("inf")  # JWT_SECRET only changes with a restart
        if header.get("alg") == "HS256" and self._hs_key is not None:
            claims = self._verify_hs256(token)
        elif self._jwks is not None:
            claims = await self._jwks.claims(token, header)
            recheck = time.time() + self.settings.jwt_jwks_cache_seconds
        else:
            raise Unauthenticated(self._invalid)
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise Unauthenticated(self._invalid)
        client = _tutor_client(claims)
        if len(self._verified) > 50_000:
            self._verified.clear()
        self._verified[token] = (sub, float(claims["exp"]), recheck, client)
        return sub, client

    def _verify_hs256(self, token: str) -> dict[str, Any]:
        assert self._hs_key is not None
        try:
            return jwt.decode(
                token,
                self._hs_key,
                algorithms=["HS256"],
                options={"require": ["exp", "sub"]},
                issuer=self.settings.jwt_issuer,
                audience=self.settings.jwt_audience,
                leeway=self.settings.jwt_leeway_seconds,
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("The token has expired.", reason="expired") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated(self._invalid) from exc

    async def authenticate(
        self, authorization: str | None
    ) -> tuple[Viewer | None, dict[str, Any] | None]:
        """(viewer, the user record if it was just read) — (None, None) for anonymous callers.

        The record comes back only on a cache miss, fresh from the database, so the request
        can reuse it (e.g. for `me`) instead of reading it a second time. Raises
        Unauthenticated for any bad credential, ServiceUnavailable when the identity
        provider's keys cannot be fetched.
        """
        viewer, record, fresh = await self.authenticate_cached(authorization)
        return viewer, record if fresh else None

    async def authenticate_cached(
        self, authorization: str | None
    ) -> tuple[Viewer | None, dict[str, Any] | None, bool]:
        """(viewer, the user record the viewer was built from, whether it was read just now).

        On a cache hit the record is as old as the cached viewer (AUTH_CACHE_SECONDS at
        most, dropped by `forget`): fit only for what the viewer's role and tier may
        already be, see GraphQLEndpoint's use of it.
        """
        if not authorization:
            return None, None, False
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Use 'Authorization: Bearer <token>'.")
        token = token.strip()
        if looks_like_secret(token):
            return await self._api_client(token), None, False
        user_id, client = await self.decode(token)
        if client is not None:
            return Viewer(id=user_id, role=TUTOR, tier=TUTOR, email="", client=client), None, False
        viewer, record, fresh = await self._load(user_id)
        if viewer is None:
            raise Unauthenticated("The token's user no longer exists.", reason="unknown_user")
        return viewer, record, fresh

    async def _load(self, user_id: str) -> tuple[Viewer | None, dict[str, Any] | None, bool]:
        now = time.monotonic()
        hit = self._cache.get(user_id)
        if hit is not None and hit[0] > now:
            return hit[1], hit[2], False
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
        self._cache[user_id] = (now + self.settings.auth_cache_seconds, viewer, doc)
        return viewer, doc, True

    async def _api_client(self, secret: str) -> Viewer:
        now = time.monotonic()
        hit = self._clients.get(secret)
        if hit is not None and hit[0] > now:
            return hit[1]
        doc = await find_client(self.db, secret)
        if doc is None:
            self._clients.pop(secret, None)
            raise Unauthenticated("The API client secret is invalid.")
        if doc.get("revoked_at") is not None:
            self._clients.pop(secret, None)
            raise Unauthenticated("This API client was revoked.", reason="revoked")
        await note_use(self.db, doc, utcnow())
        viewer = Viewer(id=doc["_id"], role=TUTOR, tier=TUTOR, email="", client=doc["name"])
        if len(self._clients) > 10_000:
            self._clients.clear()
        self._clients[secret] = (now + self.settings.api_client_cache_seconds, viewer)
        return viewer

    def forget(self, user_id: str) -> None:
        self._cache.pop(user_id, None)
