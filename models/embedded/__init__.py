"""The embedded database: sync mongomock behind the part of PyMongo's async client the
gateway uses, so `make run` and the suite need no MongoDB server.

mongomock has no async client and mongomock-motor (the previous bridge) stopped at Motor.
This adapter is small because the gateway's own facade (`models.db.Collection`) fixes
which calls exist; what mongomock lacks or does differently from a server is taught in
`models.embedded.collection`. Every call publishes the command events a server's driver
would (`models.events.CommandEvents`), so metrics and traces read the same way in both
modes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import mongomock

from models.embedded.collection import (
    BSON_OBJECT_TOO_LARGE,
    MAX_BSON_DOCUMENT_BYTES,
    EmbeddedCollection,
    EmbeddedCursor,
    as_document_class,
    check_document_sizes,
)
from models.events import CommandEvents

__all__ = [
    "BSON_OBJECT_TOO_LARGE",
    "MAX_BSON_DOCUMENT_BYTES",
    "EmbeddedClient",
    "EmbeddedCollection",
    "EmbeddedCursor",
    "EmbeddedDatabase",
    "as_document_class",
    "check_document_sizes",
]

# What Beanie's init and a `buildInfo` caller are told: the server line whose behaviour
# the adapter imitates.
BUILD_INFO = {"version": "7.0.0", "versionArray": [7, 0, 0, 0], "ok": 1.0}


class EmbeddedDatabase:
    def __init__(self, client: EmbeddedClient, sync: Any) -> None:
        self.client = client
        self._sync = sync
        self.name: str = sync.name

    def get_collection(self, name: str) -> EmbeddedCollection:
        return EmbeddedCollection(self._sync.get_collection(name), self)

    def __getitem__(self, name: str) -> EmbeddedCollection:
        return self.get_collection(name)

    async def command(self, command: Any, *_a: Any, **_k: Any) -> dict[str, Any]:
        """`ping`, `buildInfo` and `hello` (the server's clock), the commands the gateway and
        Beanie send."""
        name = next(iter(command)) if isinstance(command, dict) else str(command)
        if name.lower() == "ping":
            return self.client.events.run(self.name, "ping", {"ping": 1}, lambda: {"ok": 1.0})
        if name.lower() == "buildinfo":
            return dict(BUILD_INFO)
        if name.lower() in ("hello", "ismaster"):
            return {"isWritablePrimary": True, "localTime": self.client.now(), "ok": 1.0}
        raise NotImplementedError(f"the embedded database does not run {name!r}")

    async def list_collection_names(self, *_a: Any, **_k: Any) -> list[str]:
        return list(self._sync.list_collection_names())


class EmbeddedClient:
    """`interleave`: operations yield to the event loop and upserts race, as on a server."""

    def __init__(self, *, interleave: bool = False, events: CommandEvents | None = None) -> None:
        self._sync: Any = mongomock.MongoClient(tz_aware=True)
        self.interleave = interleave
        self.events = events or CommandEvents()
        # The server's clock (`$$NOW`, `hello`'s localTime): one clock for every replica
        # on this client, whatever each replica's own clock says. Tests move it forward
        # instead of sleeping.
        self.clock_offset = timedelta(0)

    def now(self) -> datetime:
        """The server's current time, at BSON's millisecond precision."""
        now = datetime.now(UTC) + self.clock_offset
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    def advance(self, seconds: float) -> None:
        """Time passes on the server (tests: a lease or a grace period runs out)."""
        self.clock_offset += timedelta(seconds=seconds)

    def get_database(self, name: str) -> EmbeddedDatabase:
        return EmbeddedDatabase(self, self._sync.get_database(name))

    def __getitem__(self, name: str) -> EmbeddedDatabase:
        return self.get_database(name)

    def append_metadata(self, _driver_info: Any) -> None:
        """No handshake to add a library's name to (Beanie 2 calls this on init)."""

    async def drop_database(self, name: str) -> None:
        self._sync.drop_database(name)

    async def close(self) -> None:
        self._sync.close()
