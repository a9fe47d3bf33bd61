"""pycrdt-websocket's own ASGI server under uvicorn: the Python baseline of the fan-out bench.

Run as `python bench/fanout/pycrdt_server.py --port PORT`; rooms are the URL path
(`ws://127.0.0.1:PORT/<room>`), as with the Node reference server.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn
from pycrdt.websocket import ASGIServer, WebsocketServer
from pycrdt.websocket.websocket_server import exception_logger

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class App:
    """ASGIServer for websockets, plus a lifespan that runs the WebsocketServer's task group.

    ASGIServer answers lifespan messages but never starts the WebsocketServer, so the
    lifespan is handled here: the server runs inside `async with` for the app's lifetime.
    """

    def __init__(self) -> None:
        # Rooms are kept when their last client leaves, as the Node reference server does
        # without persistence, so a seeded room survives its seeding client.
        self.websocket_server = WebsocketServer(
            auto_clean_rooms=False, exception_handler=exception_logger
        )
        self.asgi = ASGIServer(self.websocket_server)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
        elif scope["type"] == "websocket":
            await self.asgi(scope, receive, send)
        else:
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"okay"})

    async def lifespan(self, receive: Receive, send: Send) -> None:
        message = await receive()
        assert message["type"] == "lifespan.startup"
        async with self.websocket_server:
            await send({"type": "lifespan.startup.complete"})
            message = await receive()
            assert message["type"] == "lifespan.shutdown"
        await send({"type": "lifespan.shutdown.complete"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ws", default="websockets-sansio", help="uvicorn --ws implementation")
    parser.add_argument("--loop", default="uvloop", help="uvicorn --loop implementation")
    parser.add_argument(
        "--no-deflate", action="store_true", help="refuse permessage-deflate (uvicorn offers it)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    # The same websocket implementation and loop as pairbook's uvicorn mode (and uvicorn's
    # "auto" choice when websockets and uvloop are installed), so the app is what differs.
    uvicorn.run(
        App(),
        host=args.host,
        port=args.port,
        loop=args.loop,
        ws=args.ws,
        lifespan="on",
        log_level="warning",
        ws_per_message_deflate=not args.no_deflate,
    )


if __name__ == "__main__":
    main()
