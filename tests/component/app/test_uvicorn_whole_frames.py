"""A client's whole binary frames on a real uvicorn with pairbook's protocol: read without
websockets' parser (app/wholeframe.py), and every other kind of traffic still through it,
in order, as the app sends them back."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
import websockets
from websockets.frames import Frame, Opcode

from pairbook.app.uvicornws import ImmediateWebSocketProtocol


async def echo(scope: Any, receive: Any, send: Any) -> None:
    assert scope["type"] == "websocket"
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    while (message := await receive())["type"] != "websocket.disconnect":
        if message.get("bytes") is not None:
            await send({"type": "websocket.send", "bytes": message["bytes"]})
        else:
            await send({"type": "websocket.send", "text": message["text"]})


@contextlib.asynccontextmanager
async def serving(
    app: Any = echo, servers: list[uvicorn.Server] | None = None
) -> AsyncIterator[int]:
    config = uvicorn.Config(
        app, ws=ImmediateWebSocketProtocol, ws_per_message_deflate=False,
        lifespan="off", log_level="warning", ws_max_size=1 << 20,
    )  # fmt: skip
    server = uvicorn.Server(config)
    if servers is not None:
        servers.append(server)
    listening = socket.create_server(("127.0.0.1", 0))
    task = asyncio.create_task(server.serve(sockets=[listening]))
    try:
        yield listening.getsockname()[1]
    finally:
        server.should_exit = True
        await task


async def test_whole_binary_frames_skip_websockets_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[int] = []
    parse = Frame.parse.__func__  # type: ignore[attr-defined]

    def counted(cls: type[Frame], *args: Any, **kwargs: Any) -> Any:
        frame = yield from parse(cls, *args, **kwargs)
        if kwargs["mask"]:  # the server's parser (the client, in this process, reads too)
            parsed.append(frame.opcode)
        return frame

    monkeypatch.setattr(Frame, "parse", classmethod(counted))
    url = "ws://127.0.0.1:{}/"
    async with serving() as port, websockets.connect(url.format(port), compression=None) as client:
        for i in range(20):  # each alone in its read: sent once the last came back
            payload = bytes([i]) * (i * 10)
            await client.send(payload)
            assert await client.recv() == payload
        assert parsed == []


async def test_every_other_kind_of_frame_still_arrives_in_order() -> None:
    big = bytes(range(256)) * 1024
    async with (
        serving() as port,
        websockets.connect(f"ws://127.0.0.1:{port}/", compression=None, max_size=None) as client,
    ):
        await client.send([b"frag", b"mented", b"message"])  # a fragmented message
        await client.send(b"whole")
        await client.ping(b"ping")
        await client.send("text")
        await client.send(big)
        await client.send([b"again", b""])
        got = [await client.recv() for _ in range(5)]
    assert got == [b"fragmentedmessage", b"whole", "text", big, b"again"]


async def test_frames_sent_in_one_write_are_each_read() -> None:
    # Two frames in one read, and a frame split over reads: the parser reads them.
    async with serving() as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        key = "dGhlIHNhbXBsZSBub25jZQ=="
        writer.write(
            f"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        await reader.readuntil(b"\r\n\r\n")
        frames = [
            Frame(Opcode.BINARY, p).serialize(mask=True, extensions=[])
            for p in (b"a", b"bb", b"ccc")
        ]
        writer.write(frames[0] + frames[1] + frames[2][:3])
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(frames[2][3:])
        got = [await reader.readexactly(2 + n) for n in (1, 2, 3)]
        writer.close()
    assert [g[2:] for g in got] == [b"a", b"bb", b"ccc"]


async def until(condition: Any) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("never happened")


class CountedPauses:
    """A transport that counts `pause_reading` calls and passes everything on."""

    def __init__(self, transport: Any) -> None:
        self._transport = transport
        self.pauses = 0

    def pause_reading(self) -> None:
        self.pauses += 1
        self._transport.pause_reading()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


async def test_a_message_the_app_waits_for_leaves_reading_on() -> None:
    # uvicorn paused reading after every message and resumed once the app took it: a
    # pause, a resume and the loop re-arming the socket per keystroke.
    servers: list[uvicorn.Server] = []
    url = "ws://127.0.0.1:{}/"
    async with serving(echo, servers) as port, websockets.connect(url.format(port)) as client:
        await client.send(b"hello")
        assert await client.recv() == b"hello"
        (connection,) = servers[0].server_state.connections
        assert isinstance(connection, ImmediateWebSocketProtocol)
        counted = CountedPauses(connection.transport)
        connection.transport = counted  # type: ignore[assignment]
        for i in range(10):
            await client.send(bytes([i]))
            assert await client.recv() == bytes([i])
        assert counted.pauses == 0


async def test_a_message_the_app_is_not_waiting_for_pauses_reading() -> None:
    go, received = asyncio.Event(), list[bytes]()

    async def slow(scope: Any, receive: Any, send: Any) -> None:
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        await go.wait()
        while (message := await receive())["type"] != "websocket.disconnect":
            received.append(message["bytes"])

    servers: list[uvicorn.Server] = []
    url = "ws://127.0.0.1:{}/"
    async with serving(slow, servers) as port, websockets.connect(url.format(port)) as client:
        await client.send(b"first")
        (connection,) = servers[0].server_state.connections
        assert isinstance(connection, ImmediateWebSocketProtocol)
        await until(lambda: connection.read_paused)  # backpressure: the app reads nothing yet
        await client.send(b"second")
        go.set()
        await until(lambda: len(received) == 2)
    assert received == [b"first", b"second"]
