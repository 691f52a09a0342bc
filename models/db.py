"""The only module that knows which MongoDB driver is in use.

Real Motor client when MONGO_URI is set, an in-process mongomock-motor database otherwise.
Everything else talks to the collections exposed here (Motor's API, which PyMongo's async
client mirrors), so moving to Beanie 2 / PyMongo async is a change to this file only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from beanie import init_beanie

from models.documents import DOCUMENT_MODELS

COLLECTIONS = {
    "users": "users",
    "sessions": "sessions",
    "messages": "messages",
    "error_stats": "error_stats",
    "exercises": "exercises",
    "cost_daily": "cost_daily",
    "cost_totals": "cost_totals",
    "daily_sets": "daily_sets",
    "provider_daily": "provider_daily",
    "cost_dims": "cost_dims",
}

# Exceptions that mean "the database is unreachable or timed out", as opposed to a bad query.
try:
    from pymongo.errors import (
        AutoReconnect,
        ConnectionFailure,
        ExecutionTimeout,
        NetworkTimeout,
        ServerSelectionTimeoutError,
        WTimeoutError,
    )

    UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
        AutoReconnect,
        ConnectionFailure,
        ExecutionTimeout,
        NetworkTimeout,
        ServerSelectionTimeoutError,
        WTimeoutError,
        asyncio.TimeoutError,
    )
except ImportError:  # pragma: no cover
    UNAVAILABLE_ERRORS = (asyncio.TimeoutError,)

from pymongo.errors import DuplicateKeyError  # noqa: E402

__all__ = ["UNAVAILABLE_ERRORS", "Database", "DuplicateKeyError", "connect"]


@dataclass
class Database:
    client: Any
    db: Any
    embedded: bool
    # A hook the benchmarks and the round-trip tests use to wrap every collection.
    wrap: Callable[[Any], Any] | None = None
    _cache: dict[str, Any] = field(default_factory=dict)

    def collection(self, name: str) -> Any:
        coll = self._cache.get(name)
        if coll is None:
            coll = self.db[COLLECTIONS[name]]
            if self.wrap is not None:
                coll = self.wrap(coll)
            self._cache[name] = coll
        return coll

    def set_wrapper(self, wrap: Callable[[Any], Any] | None) -> None:
        self.wrap = wrap
        self._cache.clear()

    @property
    def users(self) -> Any:
        return self.collection("users")

    @property
    def sessions(self) -> Any:
        return self.collection("sessions")

    @property
    def messages(self) -> Any:
        return self.collection("messages")

    @property
    def error_stats(self) -> Any:
        return self.collection("error_stats")

    @property
    def exercises(self) -> Any:
        return self.collection("exercises")

    @property
    def cost_daily(self) -> Any:
        return self.collection("cost_daily")

    @property
    def cost_totals(self) -> Any:
        return self.collection("cost_totals")

    @property
    def daily_sets(self) -> Any:
        return self.collection("daily_sets")

    @property
    def provider_daily(self) -> Any:
        return self.collection("provider_daily")

    @property
    def cost_dims(self) -> Any:
        return self.collection("cost_dims")

    async def ping(self, within_s: float = 2.0) -> None:
        await asyncio.wait_for(self.db.command("ping"), within_s)

    def close(self) -> None:
        self.client.close()


def _make_client(uri: str | None, timeout_ms: int, operation_timeout_ms: int) -> tuple[Any, bool]:
    if uri:
        from motor.motor_asyncio import AsyncIOMotorClient

        client: Any = AsyncIOMotorClient(
            uri,
            tz_aware=True,
            uuidRepresentation="standard",
            serverSelectionTimeoutMS=timeout_ms,
            connectTimeoutMS=timeout_ms,
            timeoutMS=operation_timeout_ms,
            retryWrites=True,
            appname="tutoring-gateway",
        )
        return client, False
    from mongomock_motor import AsyncMongoMockClient

    return AsyncMongoMockClient(tz_aware=True), True


async def connect(
    uri: str | None, db_name: str, timeout_ms: int = 2000, operation_timeout_ms: int = 5000
) -> Database:
    """Open the client and create collections + indexes (idempotent; safe on every start)."""
    client, embedded = _make_client(uri, timeout_ms, operation_timeout_ms)
    db = client[db_name]
    await init_beanie(database=db, document_models=DOCUMENT_MODELS)  # type: ignore[arg-type]
    return Database(client=client, db=db, embedded=embedded)
