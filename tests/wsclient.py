"""A graphql-transport-ws client over a real socket, and an app served on one in-process.

The tests speak the protocol frame by frame (what a hostile client can send too) with the
`websockets` library; the browser test uses the `graphql-ws` npm client.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import uvicorn
from websockets.asyncio.client import ClientConnection, connect

from gateway.ws_protocol import uvicorn_ws_options
from tests.conftest import Api, running_api
from tests.servers import free_port

PROTOCOL = "graphql-transport-ws"


class served:
    """`async with served(settings) as (api, ws_url)`: the app on a free port (uvicorn in
    this event loop, so the test reaches the same services through `api`). `db`: a
    database shared with other apps (replicas of one deployment)."""

    def __init__(self, settings: Any, db: Any = None, **config: Any) -> None:
        self.running = running_api(settings, db=db)
        self.config = config  # more uvicorn.Config options, e.g. http=

    async def __aenter__(self) -> tuple[Api, str]:
        api = await self.running.__aenter__()
        port = free_port()
        config = uvicorn.Config(
            self.running.served,
            host="127.0.0.1",
            port=port,
            lifespan="off",
            log_level="warning",
            # As `python -m gateway` serves (gateway/__main__.py).
            **uvicorn_ws_options(self.running.settings),
            **self.config,
        )
        self.server = uvicorn.Server(config)
        self.task = asyncio.create_task(self.server.serve())
        for _ in range(1000):  # uvicorn says nothing but this flag when it listens
            if self.server.started:
                break
            await asyncio.sleep(0.01)
        return api, f"ws://127.0.0.1:{port}/graphql"

    async def __aexit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        await self.task
        await self.running.__aexit__(*exc)


async def open_socket(
    url: str, token: str | None, *, origin: str | None = None, init: bool = True
) -> ClientConnection:
    ws = await connect(
        url,
        subprotocols=[PROTOCOL],  # type: ignore[list-item]
        origin=origin,  # type: ignore[arg-type]
        max_size=None,
    )
    if init:
        await send(ws, {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        ack = await receive(ws)
        assert ack == {"type": "connection_ack"}, ack
    return ws


async def send(ws: ClientConnection, message: dict[str, Any]) -> None:
    await ws.send(json.dumps(message))


async def receive(ws: ClientConnection, within: float = 10) -> dict[str, Any]:
    """The next protocol message that is not a ping."""
    while True:
        raw = await asyncio.wait_for(ws.recv(), within)
        message = json.loads(raw)
        if message.get("type") == "ping":
            await send(ws, {"type": "pong"})
            continue
        return message  # type: ignore[no-any-return]


async def nothing_within(ws: ClientConnection, seconds: float) -> bool:
    """True when no protocol message (pings aside) arrives within `seconds`."""
    try:
        await receive(ws, seconds)
    except TimeoutError:
        return True
    return False


async def subscribe(
    ws: ClientConnection, query: str, variables: dict[str, Any] | None = None, sid: str = "1"
) -> None:
    await send(
        ws, {"id": sid, "type": "subscribe", "payload": {"query": query, "variables": variables}}
    )


async def closed_with(ws: ClientConnection, within: float = 10) -> int | None:
    """The close code the server sent (reading and discarding anything before it)."""
    try:
        while True:
            await asyncio.wait_for(ws.recv(), within)
    except Exception:
        pass
    return ws.close_code
