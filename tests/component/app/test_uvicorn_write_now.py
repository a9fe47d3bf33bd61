"""pairbook's immediate frame writes on a real uvicorn (app/uvicornws.py reads uvicorn's own
attributes, not an API): on the uvicorn installed, a frame written at once reaches the client
in order with the ordinary ASGI sends; an upgrade that renamed what it reads fails here, and
the server then falls back to the ASGI send with one logged error."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
import uvloop
import websockets

from pairbook.app.uvicornws import WRITE_NOW, ImmediateWebSocketProtocol, ReceiveQueue
from pairbook.flag import Flag


class Written(list[bool]):
    """What the app's immediate writes returned; `done` once the connection closed."""

    def __init__(self) -> None:
        super().__init__()
        self.done = asyncio.Event()


def websocket_app(written: Written, second: bytes = b"second") -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "websocket"
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "bytes": b"first"})
        write = scope["extensions"][WRITE_NOW]["write"]
        written.append(write(second))
        await send({"type": "websocket.send", "bytes": b"third"})
        while (await receive())["type"] != "websocket.disconnect":
            pass
        written.append(write(b"after the close"))
        written.done.set()

    return app


@contextlib.asynccontextmanager
async def serving(
    written: Written,
    servers: list[uvicorn.Server] | None = None,
    second: bytes = b"second",
    *,
    deflate: bool = False,
) -> AsyncIterator[int]:
    config = uvicorn.Config(
        websocket_app(written, second),
        ws=ImmediateWebSocketProtocol,
        ws_per_message_deflate=deflate,  # False as pairbook serve runs it (cli/supervisor.py)
        lifespan="off",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    if servers is not None:
        servers.append(server)
    listening = socket.create_server(("127.0.0.1", 0))  # connections wait in its backlog
    task = asyncio.create_task(server.serve(sockets=[listening]))
    try:
        yield listening.getsockname()[1]
    finally:
        server.should_exit = True
        await task


async def test_a_frame_written_at_once_reaches_the_client_in_order() -> None:
    written = Written()
    async with serving(written) as port:
        async with websockets.connect(f"ws://127.0.0.1:{port}/") as client:
            got = [await client.recv() for _ in range(3)]
        async with asyncio.timeout(10):
            await written.done.wait()
    assert got == [b"first", b"second", b"third"]
    assert written == [True, False]  # written at once while open; refused once closed


async def _large_frame_round() -> None:
    large = bytes(range(256)) * 4096 + b"end"  # 1 MiB and 3 bytes
    written = Written()
    async with serving(written, second=large) as port:
        async with websockets.connect(f"ws://127.0.0.1:{port}/", max_size=None) as client:
            got = [await client.recv() for _ in range(3)]
        async with asyncio.timeout(10):
            await written.done.wait()
    assert got == [b"first", large, b"third"]
    assert written == [True, False]


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_a_large_frame_written_at_once_arrives_whole_and_in_order(loop: str) -> None:
    # Larger than a kept frame, it is written as its header and payload (transport
    # writelines), not joined first: on asyncio's loop and on uvloop, which serves.
    factory = uvloop.new_event_loop if loop == "uvloop" else asyncio.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(_large_frame_round())


async def test_a_connection_that_negotiated_deflate_gets_no_frame_written_at_once() -> None:
    # Its frames are compressed per connection: the one encoding written to every peer
    # would not be what this client expects, so every frame takes the ASGI send.
    written = Written()
    async with serving(written, deflate=True) as port:
        async with websockets.connect(f"ws://127.0.0.1:{port}/", compression="deflate") as client:
            got = [await client.recv() for _ in range(2)]
        async with asyncio.timeout(10):
            await written.done.wait()
    assert got == [b"first", b"third"]
    assert written == [False, False]


async def test_an_open_connection_keeps_no_handshake_and_light_receive_state() -> None:
    written, servers = Written(), list[uvicorn.Server]()
    async with serving(written, servers) as port:
        async with websockets.connect(f"ws://127.0.0.1:{port}/") as client:
            assert [await client.recv() for _ in range(3)] == [b"first", b"second", b"third"]
            (connection,) = servers[0].server_state.connections
            assert isinstance(connection, ImmediateWebSocketProtocol)
            assert connection.request is None
            assert connection.response is None
            assert isinstance(connection.queue, ReceiveQueue)
            assert isinstance(connection.writable, Flag)
        async with asyncio.timeout(10):
            await written.done.wait()


def test_a_protocol_without_what_it_reads_falls_back_with_one_error(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ImmediateWebSocketProtocol, "usable", True)
    renamed = object.__new__(ImmediateWebSocketProtocol)  # none of uvicorn's attributes
    with caplog.at_level(logging.ERROR, logger="pairbook.websocket"):
        assert renamed.write_now(b"frame") is False
        assert renamed.write_now(b"frame") is False
    assert ImmediateWebSocketProtocol.usable is False
    assert [r.message for r in caplog.records].count(
        "uvicorn's websocket protocol changed: frames take the ASGI send"
    ) == 1
