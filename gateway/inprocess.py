"""An app served in this process, as an ASGI server would serve it: for tests and benchmarks.

The app's lifespan yields its state (`{"services": ...}`, gateway/app.py); a server such
as Uvicorn hands every request a copy of it as `scope["state"]`, which is how requests
reach the services (gateway/services.py `services_of`). httpx's ASGITransport, or a
hand-made scope, carries no lifespan state, so `in_process` runs the lifespan and is the
ASGI app to call instead: the same app, each request given a copy of the state.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

from starlette.applications import Starlette

from gateway.services import STATE_KEY, Services


class in_process:
    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.state: dict[str, Any] = {}
        self._lifespan: AbstractAsyncContextManager[Any] | None = None

    @property
    def services(self) -> Services:
        """The running app's services (tests seed and inspect the database through them)."""
        return self.state[STATE_KEY]  # type: ignore[no-any-return]

    async def __aenter__(self) -> in_process:
        self._lifespan = self.app.router.lifespan_context(self.app)
        self.state = dict(await self._lifespan.__aenter__() or {})
        return self

    async def __aexit__(self, *exc: Any) -> None:
        assert self._lifespan is not None
        await self._lifespan.__aexit__(*exc)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            # A shallow copy per request, as Uvicorn makes: what a request writes into its
            # state (request id, cost, tier) stays its own.
            scope = {**scope, "state": {**self.state, **(scope.get("state") or {})}}
        await self.app(scope, receive, send)
