"""Shared fixtures: a real app (lifespan and all) per test, reached through httpx.

Runs on the embedded database by default; with MONGO_URI set, each test gets its own
database on that server, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.auth import issue_token
from gateway.inprocess import in_process
from gateway.services import Services
from gateway.settings import Settings
from models.documents import UserDoc
from resolvers.apiclients import create_client

SECRET = "test-secret-" + "x" * 40


def make_settings(**overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "_env_file": None,
        "jwt_secret": SECRET,
        "mongo_db": f"test_{uuid.uuid4().hex[:12]}",
        "seed_demo_data": False,
        "redis_url": None,
        "redis_key_prefix": f"t{uuid.uuid4().hex[:8]}",
        "log_level": "INFO",
        # The periodic pass (pending messages, guards) would add driver calls to tests that
        # count them; its own test sets a short interval.
        "maintenance_interval_seconds": 3600,
        # The embedded database is slow and this machine shared: a request may wait far longer
        # than in production. The deadline itself is tested with its own small budget.
        "execution_timeout_ms": 120_000,
    }
    base.update(overrides)
    return Settings(**base)


TUTOR_ONLY = frozenset(
    {"provider", "model", "tokensIn", "tokensOut", "cost", "responseTimeMs", "errors"}
)


@dataclass
class Api:
    client: httpx.AsyncClient
    services: Services
    _tutor: str | None = None

    async def gql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        h = dict(headers or {})
        if token:
            h["Authorization"] = f"Bearer {token}"
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        return await self.client.post("/graphql", json=body, headers=h)

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> Any:
        """The `data` of a request that must succeed."""
        response = await self.gql(query, variables, token)
        body = response.json()
        assert response.status_code == 200 and "errors" not in body, body
        return body["data"]

    async def user(
        self, role: str = "user", tier: str = "free", **fields: Any
    ) -> tuple[dict[str, Any], str]:
        doc = UserDoc(
            email=fields.pop("email", f"{uuid.uuid4().hex[:10]}@example.com"),
            name=fields.pop("name", "Test User"),
            role=role,
            subscription_tier=tier,
            level=fields.pop("level", "B1"),
            target_language=fields.pop("target_language", "English"),
            **fields,
        ).to_mongo()
        await self.services.db.users.insert_one(doc)
        return doc, issue_token(self.services.settings, doc["_id"])

    async def admin(self) -> tuple[dict[str, Any], str]:
        return await self.user(role="admin", tier="premium")

    async def tutor(self, name: str = "tutor-service") -> str:
        """The secret of a new TUTOR API client (what an admin's createApiClient returns)."""
        _, secret = await create_client(self.services.db, name, ["tutor"])
        return secret

    async def writer(self, token: str | None, message: dict[str, Any]) -> str | None:
        """Who may record `message` (recordMessage's input): the learner's own token for
        their utterance's content, the tutor service's secret for a reply, usage or errors
        (tests/test_api_clients.py holds the rules)."""
        if message.get("role", "USER") == "USER" and not TUTOR_ONLY & message.keys():
            return token
        if self._tutor is None:
            self._tutor = await self.tutor()
        return self._tutor


@pytest.fixture
def settings(request: pytest.FixtureRequest) -> Settings:
    # `@pytest.mark.interleaved`: the embedded database interleaves operations and races
    # upserts as a server does (EMBEDDED_INTERLEAVE); a real server (MONGO_URI) always does.
    interleave = request.node.get_closest_marker("interleaved") is not None
    return make_settings(embedded_interleave=interleave)


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[Api]:
    async with running_api(settings) as api:
        yield api


class running_api:
    """`async with running_api(settings) as api` — for tests that need several apps
    (`db`: one database shared by several, as replicas share one)."""

    def __init__(self, settings: Settings, tracing: Any = None, db: Any = None) -> None:
        self.settings = settings
        self.shared_db = db is not None
        self.app = create_app(settings, tracing=tracing, db=db)

    async def __aenter__(self) -> Api:
        self.served = await in_process(self.app).__aenter__()
        transport = httpx.ASGITransport(app=self.served, client=("127.0.0.1", 50000))
        self.client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        return Api(self.client, self.served.services)

    async def __aexit__(self, *exc: Any) -> None:
        services: Services = self.served.services
        await self.client.aclose()
        if not services.db.embedded and not self.shared_db:
            await services.db.client.drop_database(self.settings.mongo_db)
        await self.served.__aexit__(*exc)


def redis_url() -> str:
    return os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


# Markers a module earns by what it uses, so a new test file is classified without anyone
# remembering to: `make test-fast` leaves out browsers, real processes and `slow` tests.
_USES = {
    "browser": ("chromium_page", "needs_chromium"),
    "subprocess": ("start_gateway", "run_gateway_to_exit"),
    "redis": ("redis_url",),
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        module = getattr(item, "module", None)
        for marker, names in _USES.items():
            if module is not None and any(hasattr(module, name) for name in names):
                item.add_marker(marker)
