"""Persisted queries: Apollo's automatic protocol, and an allow-list for production.

A client sends `extensions.persistedQuery = {version: 1, sha256Hash}` without the
document; an unknown hash answers PERSISTED_QUERY_NOT_FOUND (message
`PersistedQueryNotFound`) and the client resends hash plus document, which registers it
once it has passed validation (so a flood of junk documents stores nothing). Documents
live in Redis when REDIS_URL is set (shared by every replica, each entry expiring after
PERSISTED_QUERY_TTL_SECONDS), else in a bounded in-process LRU.

With PERSISTED_QUERIES_ONLY=true, only documents registered in advance run: those of
PERSISTED_QUERIES_MANIFEST and those `scripts/persist_queries.py` wrote to Redis.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from gateway.doccache import ByteLru
from gateway.logging import get_logger
from gateway.redisbreaker import STORAGE_ERRORS, RedisBreaker
from gateway.settings import Settings

log = get_logger("gateway.persisted")
T = TypeVar("T")

# Longer documents run but are not stored: one entry never costs more than this.
MAX_STORED_DOCUMENT_CHARS = 50_000
# The in-process store's default budget, in bytes its strings retain (sys.getsizeof: a
# 49,000-emoji document is 196 KB, four times its characters), besides
# PERSISTED_QUERY_CACHE_SIZE; the setting is PERSISTED_QUERY_CACHE_BYTES.
MEMORY_BUDGET_BYTES = 32 * 1024 * 1024
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
# How long a caller's miss (PERSISTED_QUERY_NOT_FOUND) waits for its registration: the
# registration within this time is not charged a second request (APQ cold starts).
MISS_CREDIT_SECONDS = 60


def sha256_hex(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def redis_keys(prefix: str) -> tuple[str, str]:
    """(automatic entries' key prefix, the allow-list hash) in Redis."""
    return f"{prefix}:apq:", f"{prefix}:pq:allow"


@dataclass(slots=True)
class Refusal:
    code: str
    message: str
    status: int


@dataclass(slots=True)
class Resolved:
    params: dict[str, Any]
    # (hash, document) to store once the document has proved valid.
    register: tuple[str, str] | None = None


class MemoryLru:
    """hash -> document, bounded by entries and by the bytes key and document retain."""

    def __init__(self, max_entries: int, max_bytes: int = MEMORY_BUDGET_BYTES) -> None:
        self.lru: ByteLru[str] = ByteLru(max_bytes, max_entries)

    @property
    def bytes(self) -> int:
        return self.lru.bytes

    def get(self, key: str) -> str | None:
        return self.lru.get(key)

    def put(self, key: str, value: str) -> None:
        self.lru.put(key, value, sys.getsizeof(key) + sys.getsizeof(value))


APOLLO_MANIFEST_FORMAT = "apollo-persisted-query-manifest"


def manifest_entries(raw: Any, where: str) -> dict[str, str]:
    """{sha256: document} from either manifest a client build step writes:

    - Apollo's (`generate-persisted-query-manifest`): `{"format":
      "apollo-persisted-query-manifest", "version": 1, "operations": [{"id", "body",
      ...}]}`, whose `body` is the document as Apollo Client prints and sends it (with the
      `__typename`s it adds);
    - `{sha256: document}`: what scripts/persist_queries.py prints, what GraphQL Code
      Generator's client preset writes as persisted-documents.json (with `hashAlgorithm:
      "sha256"`, the urql set-up), and what tests/frontend_app/urql-manifest.mjs writes.

    Every id must be the SHA-256 of its document: clients send that hash."""
    if isinstance(raw, dict) and raw.get("format") == APOLLO_MANIFEST_FORMAT:
        if raw.get("version") != 1 or not isinstance(raw.get("operations"), list):
            raise ValueError(f"{where}: an Apollo manifest of version 1 has an operations list")
        pairs = []
        for op in raw["operations"]:
            if not isinstance(op, dict):
                raise ValueError(f"{where}: each operation is an object with id and body")
            pairs.append((op.get("id"), op.get("body")))
    elif isinstance(raw, dict):
        pairs = list(raw.items())
    else:
        raise ValueError(f"{where}: a persisted-query manifest is a JSON object")
    entries: dict[str, str] = {}
    for key, document in pairs:
        if not isinstance(key, str) or not isinstance(document, str):
            raise ValueError(f"{where}: every id and document is a string")
        if sha256_hex(document) != key.lower():
            raise ValueError(
                f"{where}: the entry {key[:12]}... is not the SHA-256 of its document (use "
                "Apollo's default operation ids, or codegen's hashAlgorithm: 'sha256')"
            )
        entries[key.lower()] = document
    return entries


def load_manifest(paths: str) -> dict[str, str]:
    """The allow-list from PERSISTED_QUERIES_MANIFEST: one path or several, comma-separated
    (e.g. the web app's Apollo manifest and another client's), merged."""
    entries: dict[str, str] = {}
    for path in (p.strip() for p in paths.split(",")):
        if path:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
            entries.update(manifest_entries(raw, path))
    return entries


class PersistedQueries:
    def __init__(
        self, settings: Settings, redis: Any | None = None, breaker: RedisBreaker | None = None
    ) -> None:
        self.settings = settings
        self.breaker = breaker
        self.only = settings.persisted_queries_only
        self.redis = redis
        self.ttl = settings.persisted_query_ttl_seconds
        self.redis_budget = settings.persisted_query_redis_budget_chars
        self.auto_prefix, self.allow_key = redis_keys(settings.redis_key_prefix)
        self.memory = MemoryLru(
            settings.persisted_query_cache_size, settings.persisted_query_cache_bytes
        )
        # (caller, hash) -> until when its registration is already paid for (no Redis).
        self.misses: OrderedDict[tuple[str, str], float] = OrderedDict()
        # hash -> (trusted until, document) for allow-list entries read from Redis; an
        # entry is re-read after PERSISTED_QUERY_ALLOW_CACHE_SECONDS so a removal applies.
        self.allow_seen: dict[str, tuple[float, str]] = {}
        self.allowed: dict[str, str] = (
            load_manifest(settings.persisted_queries_manifest)
            if settings.persisted_queries_manifest
            else {}
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, breaker: RedisBreaker | None = None
    ) -> PersistedQueries:
        redis = None
        if settings.redis_url:
            import redis.asyncio as aioredis

            redis = aioredis.from_url(settings.redis_url, **settings.redis_timeouts)
        return cls(settings, redis, breaker)

    async def _call(self, work: Callable[[], Awaitable[T]]) -> T:
        """One Redis call, through the shared breaker when there is one."""
        if self.breaker is None:
            return await work()
        return await self.breaker.call(work)

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()

    async def resolve(self, params: dict[str, Any]) -> Resolved | Refusal:
        """The request's parameters with the document filled in from its hash, or a refusal.

        Raises a storage error only in PERSISTED_QUERIES_ONLY mode, when the allow-list in
        Redis cannot be read (the caller answers SERVICE_UNAVAILABLE).
        """
        extensions = params.get("extensions")
        if extensions is not None and not isinstance(extensions, dict):
            return Refusal("BAD_USER_INPUT", "'extensions' must be a JSON object.", 400)
        persisted = (extensions or {}).get("persistedQuery")
        query = params.get("query")
        if persisted is None:
            if self.only and isinstance(query, str):
                if await self._allowed(sha256_hex(query)) is None:
                    return self._required()
            return Resolved(params)
        if (
            not isinstance(persisted, dict)
            or persisted.get("version") != 1
            or not isinstance(persisted.get("sha256Hash"), str)
            or not SHA256_HEX.match(persisted["sha256Hash"].lower())
        ):
            return Refusal(
                "BAD_USER_INPUT",
                "'extensions.persistedQuery' must be {version: 1, sha256Hash: <64 hex digits>}.",
                400,
            )
        digest = persisted["sha256Hash"].lower()
        if isinstance(query, str) and query:
            if sha256_hex(query) != digest:
                return Refusal(
                    "BAD_USER_INPUT", "The sha256Hash does not match the query's SHA-256.", 400
                )
            if self.only:
                if await self._allowed(digest) is None:
                    return self._required()
                return Resolved(params)
            return Resolved(params, register=(digest, query))
        if self.only:
            document = await self._allowed(digest)
        else:
            document = self.allowed.get(digest) or await self._automatic(digest)
        if document is None:
            if self.only:
                return self._required()
            # 200 under application/json, as Apollo's clients expect; 400 under the spec type.
            return Refusal("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound", 200)
        return Resolved({**params, "query": document})

    async def note_miss(self, caller: str, digest: str) -> None:
        """A charged miss: the caller's registration of `digest` that follows (the same
        operation's second half) takes no second request from the window. In Redis so
        the registration may reach another replica."""
        redis = self.redis
        if redis is not None:
            try:
                await self._call(
                    lambda: redis.set(self._miss_key(caller, digest), 1, ex=MISS_CREDIT_SECONDS)
                )
                return
            except STORAGE_ERRORS as exc:
                log.warning("persisted_query_storage_unavailable", error=type(exc).__name__)
        self.misses[(caller, digest)] = time.monotonic() + MISS_CREDIT_SECONDS
        self.misses.move_to_end((caller, digest))
        while len(self.misses) > self.settings.persisted_query_cache_size:
            self.misses.popitem(last=False)

    async def take_miss(self, caller: str, digest: str) -> bool:
        """Whether this registration's request was paid by the caller's miss (once)."""
        redis = self.redis
        if redis is not None:
            try:
                return bool(await self._call(lambda: redis.delete(self._miss_key(caller, digest))))
            except STORAGE_ERRORS as exc:
                log.warning("persisted_query_storage_unavailable", error=type(exc).__name__)
        until = self.misses.pop((caller, digest), None)
        return until is not None and until > time.monotonic()

    def _miss_key(self, caller: str, digest: str) -> str:
        return f"{self.auto_prefix}miss:{digest}:{caller}"  # never a bare digest

    async def register(self, digest: str, document: str) -> None:
        """Store a document that has just passed validation."""
        if len(document) > MAX_STORED_DOCUMENT_CHARS:
            return
        self.memory.put(digest, document)
        redis = self.redis
        if redis is not None:
            try:
                if await self._within_budget(redis, len(document)):
                    await self._call(
                        lambda: redis.set(self.auto_prefix + digest, document, ex=self.ttl)
                    )
            except STORAGE_ERRORS as exc:
                log.warning("persisted_query_storage_unavailable", error=type(exc).__name__)

    async def _within_budget(self, redis: Any, chars: int) -> bool:
        """Charge `chars` to this TTL window's Redis budget; False once it is spent."""
        window = int(time.time()) // self.ttl
        key = f"{self.auto_prefix}budget:{window}"  # never a 64-hex-digit digest
        spent = int(await self._call(lambda: redis.incrby(key, chars)))
        if spent == chars:
            await self._call(lambda: redis.expire(key, 2 * self.ttl))
        if spent <= self.redis_budget:
            return True
        if spent - chars <= self.redis_budget:  # log the crossing once, not every refusal
            log.warning("persisted_query_budget_spent", window=window, budget=self.redis_budget)
        return False

    async def _automatic(self, digest: str) -> str | None:
        document = self.memory.get(digest)
        redis = self.redis
        if document is not None or redis is None:
            return document
        try:
            raw = await self._call(lambda: redis.get(self.auto_prefix + digest))
        except STORAGE_ERRORS as exc:
            # A cache miss, not a failure: the client resends the document.
            log.warning("persisted_query_storage_unavailable", error=type(exc).__name__)
            return None
        if raw is None:
            return None
        document = raw.decode("utf-8")
        self.memory.put(digest, document)
        return document

    async def _allowed(self, digest: str) -> str | None:
        document = self.allowed.get(digest)
        redis = self.redis
        if document is not None or redis is None:
            return document
        now = time.monotonic()
        cached = self.allow_seen.get(digest)
        if cached is not None and cached[0] > now:
            return cached[1]
        raw = await self._call(lambda: redis.hget(self.allow_key, digest))  # errors -> 503
        if raw is None:
            self.allow_seen.pop(digest, None)
            return None
        document = raw.decode("utf-8")
        if len(self.allow_seen) >= self.settings.persisted_query_cache_size:
            self.allow_seen.clear()  # a bound, not a policy: entries are re-read from Redis
        self.allow_seen[digest] = (
            now + self.settings.persisted_query_allow_cache_seconds,
            document,
        )
        return document

    def _required(self) -> Refusal:
        return Refusal(
            "PERSISTED_QUERY_REQUIRED",
            "This gateway only runs persisted queries registered in advance "
            "(scripts/persist_queries.py).",
            400,
        )
