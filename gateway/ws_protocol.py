"""The WebSocket protocol Uvicorn runs for the live endpoint, and the options that pick it.

Memory per idle subscriber is what bounds how many a replica holds (issue 21, W5), and
its bounds must hold before a frame reaches the app:

- Uvicorn keeps the upgrade's request and its 101 response (both with their headers) on
  the protocol for the socket's whole life, and so does the `websockets` parser, though
  neither reads them after the handshake: `LeanWebSocketProtocol` drops them then.
- `ws_max_size` is WS_MAX_MESSAGE_BYTES: the `websockets` parser refuses a larger frame
  (close 1009) as it arrives, instead of buffering up to Uvicorn's 16 MiB default before
  gateway/live_ws.py sees its size.
- Uvicorn's own protocol-level pings are off: the keep-alive is the endpoint's
  graphql-transport-ws ping (WS_PING_INTERVAL_SECONDS, close 4504), one timer per socket,
  not two.
- permessage-deflate only when asked (WS_PER_MESSAGE_DEFLATE): its two zlib contexts were
  ~70 KB per socket, for events of a few hundred bytes.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import Protocol, State

from gateway.settings import Settings

PROTOCOL_CLASS = "gateway.ws_protocol:LeanWebSocketProtocol"


class LeanWebSocketProtocol(WebSocketsSansIOProtocol):
    async def send(self, message: Any) -> None:
        await super().send(message)
        if self.handshake_complete and "response" in self.__dict__:
            # Read only by `send` before the handshake completes (the accept's headers).
            del self.__dict__["request"], self.__dict__["response"]
            self._forget_upgrade()

    def _forget_upgrade(self) -> None:
        """The `websockets` server parser parses the upgrade request, then frames in the
        same generator, whose frame keeps the request (its headers) as a local for the
        socket's life. Once the 101 is out and nothing is buffered (a client sends no frame
        before it reads the 101), the parser is at a frame boundary and its state is on
        the connection: a fresh frame parser takes over, and the read buffer that held the
        request is let go."""
        conn = self.conn
        if conn.state is not State.OPEN or conn.reader.buffer or conn.parser_exc is not None:
            return
        old = conn.parser
        conn.parser = Protocol.parse(conn)
        next(conn.parser)  # to its first wait for data, as websockets starts it
        old.close()
        conn.reader.buffer = bytearray()


def uvicorn_ws_options(settings: Settings) -> dict[str, Any]:
    """The WebSocket options of `uvicorn.Config`, for the served gateway and the bench."""
    return {
        "ws": PROTOCOL_CLASS,
        "ws_max_size": settings.ws_max_message_bytes,
        "ws_ping_interval": None,
        "ws_per_message_deflate": settings.ws_per_message_deflate,
    }
