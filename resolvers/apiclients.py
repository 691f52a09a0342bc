"""API clients: credentials for the services that call the gateway (the AI tutor).

A secret is `tgw_<client id, 32 hex>_<43 random url-safe characters>` (256 bits): the fixed
prefix lets secret scanners (GitHub's, gitleaks) recognise a leaked one, and the id lets
the gateway find the client without searching by secret. Only the SHA-256 of the whole
secret is stored, compared in constant time; a secret this long needs no slow hash (there
is nothing to brute-force). It is shown once, in `createApiClient`'s answer.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from pymongo import ReturnDocument

from models.db import Database
from models.documents import ApiClientDoc, utcnow
from models.rows import Row
from resolvers import validation as v
from resolvers.context import RequestContext
from resolvers.errors import BadUserInput, NotFound
from resolvers.pagination import (
    Connection,
    Order,
    Window,
    build_connection,
    cursor_position,
    seek_filter,
    sort_spec,
)
from resolvers.permissions import require_admin

SECRET_PREFIX = "tgw_"
_SECRET = re.compile(r"tgw_([0-9a-f]{32})_[A-Za-z0-9_-]{43}")
SCOPES = ("tutor",)
MAX_CLIENT_NAME_CHARS = 100
# `lastUsedAt` is refreshed when it is older than this: one write a minute per client and
# replica at most, never one per request.
LAST_USED_RESOLUTION = timedelta(seconds=60)
CLIENT_ORDER = Order("created_at", descending=True, connection="Query.apiClients")
HIDDEN = ("secret_hash",)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def looks_like_secret(token: str) -> bool:
    return token.startswith(SECRET_PREFIX)


def _client_id(secret: str) -> str | None:
    match = _SECRET.fullmatch(secret)
    if match is None:
        return None
    h = match.group(1)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def public(doc: dict[str, Any]) -> Row:
    return Row({k: val for k, val in doc.items() if k not in HIDDEN})


async def find_client(db: Database, secret: str) -> dict[str, Any] | None:
    """The client a secret belongs to (revoked ones included), or None for a wrong secret."""
    client_id = _client_id(secret)
    if client_id is None:
        return None
    doc: dict[str, Any] | None = await db.api_clients.find_one({"_id": client_id})
    if doc is None or not hmac.compare_digest(doc["secret_hash"], secret_hash(secret)):
        return None
    return doc


async def note_use(db: Database, doc: dict[str, Any], now: datetime) -> None:
    """Move `lastUsedAt` forward when it is stale (by LAST_USED_RESOLUTION)."""
    last = doc.get("last_used_at")
    if last is not None and now - last < LAST_USED_RESOLUTION:
        return
    await db.api_clients.update_one(
        {"_id": doc["_id"], "revoked_at": {"$exists": False}},
        {"$max": {"last_used_at": now}},
    )
    doc["last_used_at"] = now


async def create_client(
    db: Database, name: str, scopes: list[str], created_by: str | None = None
) -> tuple[dict[str, Any], str]:
    """(the stored client, its secret): the only moment the secret exists in clear."""
    doc = ApiClientDoc(name=name, scopes=scopes, secret_hash="", created_by=created_by)
    secret = f"{SECRET_PREFIX}{doc.id.replace('-', '')}_{secrets.token_urlsafe(32)}"
    doc.secret_hash = secret_hash(secret)
    stored = doc.to_mongo()
    await db.api_clients.insert_one(stored)
    return stored, secret


async def create_api_client(ctx: RequestContext, name: str, scopes: list[str]) -> tuple[Row, str]:
    admin = require_admin(ctx)
    clean = v.text(name, "input.name", max_len=MAX_CLIENT_NAME_CHARS, required=True)
    if not scopes:
        raise BadUserInput("Give the client at least one scope.", field="input.scopes")
    doc, secret = await create_client(ctx.db, clean or "", sorted(set(scopes)), created_by=admin.id)
    return public(doc), secret


async def revoke_api_client(ctx: RequestContext, client_id: str) -> Row:
    """Revoking twice is answered with the first revocation's time."""
    require_admin(ctx)
    cid = v.plain_id(client_id, "id")
    doc = await ctx.db.api_clients.find_one_and_update(
        {"_id": cid, "revoked_at": {"$exists": False}},
        {"$set": {"revoked_at": utcnow()}},
        return_document=ReturnDocument.AFTER,
    )
    if doc is None:
        doc = await ctx.db.api_clients.find_one({"_id": cid})
    if doc is None:
        raise NotFound("API client not found.")
    return public(doc)


async def list_api_clients(ctx: RequestContext, window: Window) -> Connection:
    require_admin(ctx)
    n, cursor, backward = window
    position = await cursor_position(CLIENT_ORDER, cursor, ctx.db.api_clients, backward)
    query = seek_filter(CLIENT_ORDER, position, backward)
    found = (
        ctx.db.api_clients.find(query, {"secret_hash": 0})
        .sort(sort_spec(CLIENT_ORDER, backward))
        .limit(n + 1)
    )
    docs = [Row(d) async for d in found]
    conn = build_connection(docs, n, CLIENT_ORDER, backward=backward)
    clients = ctx.db.api_clients

    async def count() -> int:
        return int(await clients.estimated_document_count())

    conn.count_fn = count
    return conn
