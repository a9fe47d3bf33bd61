"""The Starlette websocket adapter for the rooms' Channel port."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from pairbook.app.uvicornws import WRITE_NOW
from pairbook.errors import ProtocolError
from pairbook.rooms import ChannelClosed


def _refuse(frame: bytes) -> bool:
    return False


def _nothing() -> int:
    return 0


def _cannot() -> None:
    """No way to drop the connection: it ends when the endpoint returns."""


class WebSocketChannel:
    """A Channel over a Starlette WebSocket: binary frames only."""

    def __init__(self, websocket: WebSocket) -> None:
        self._ws = websocket
        # The ASGI send itself, for frames once accepted: Starlette's `WebSocket.send` only
        # adds state checks the ASGI server makes again, on the path every frame takes.
        self._send = websocket._send
        # The server's immediate write (`app.uvicornws`), where it has one: called as it is,
        # once per peer per relayed frame, with no method of this class in between.
        extension = websocket.scope.get("extensions", {}).get(WRITE_NOW)
        self.send_now: Callable[[bytes], bool] = _refuse
        self.backlog: Callable[[], int] = _nothing
        self.abort: Callable[[], None] = _cannot
        if extension is not None:
            self.send_now = extension["write"]
            self.backlog = extension["backlog"]
            self.abort = extension["abort"]

    async def send(self, frame: bytes) -> None:
        try:
            await self._send({"type": "websocket.send", "bytes": frame})
        except (WebSocketDisconnect, RuntimeError, OSError) as exc:
            raise ChannelClosed() from exc

    async def receive(self) -> bytes:
        try:
            message = await self._ws.receive()
        except WebSocketDisconnect as exc:
            raise ChannelClosed(exc.code) from exc
        except (RuntimeError, OSError) as exc:
            raise ChannelClosed() from exc
        if message["type"] == "websocket.disconnect":
            raise ChannelClosed(message.get("code"))
        data = message.get("bytes")
        if data is None:
            raise ProtocolError("text frame received; y-websocket messages are binary frames")
        return bytes(data)

    async def close(self, code: int, reason: str) -> None:
        if self._ws.application_state is WebSocketState.DISCONNECTED:
            return
        with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):
            await self._ws.close(code, reason[:120])
