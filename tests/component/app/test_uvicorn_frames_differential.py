"""pairbook's websocket protocol against uvicorn's own, fed the same reads: whatever a
client sends (conforming or hostile, whole or split or coalesced), the app must receive
the same messages and the client the same bytes back (pongs, close frames and their
codes), as if app/wholeframe.py's fast path did not exist."""

from __future__ import annotations

import asyncio
import itertools
import random
import struct
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState
from websockets.frames import Opcode

from pairbook.app.uvicornws import ImmediateWebSocketProtocol

MAX = 65536  # the server's --max-frame in these tests
MASK = b"\x01\x02\x03\x04"
HANDSHAKE = (
    b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


def frame(
    opcode: int, payload: bytes, *, fin: bool = True, rsv: int = 0, masked: bool = True,
    length: int | None = None, wide: int = 0,
) -> bytes:  # fmt: skip
    """A client's frame, byte by byte: any header, lawful or not (`wide`: force a 2- or
    8-byte length; `length`: claim another length than the payload's)."""
    size = len(payload) if length is None else length
    head = bytes([(0x80 if fin else 0) | rsv << 4 | opcode])
    bit = 0x80 if masked else 0
    if wide == 8 or size > 0xFFFF:
        head += bytes([bit | 127]) + struct.pack("!Q", size)
    elif wide == 2 or size > 125:
        head += bytes([bit | 126]) + struct.pack("!H", size)
    else:
        head += bytes([bit | size])
    if not masked:
        return head + payload
    return head + MASK + bytes(b ^ MASK[i % 4] for i, b in enumerate(payload))


def binary(payload: bytes, **kwargs: Any) -> bytes:
    return frame(Opcode.BINARY, payload, **kwargs)


LAWFUL = [binary(bytes([n % 251]) * n) for n in (0, 1, 125, 126, 127, 65535, 65536)] + [
    binary(b"short", wide=2),  # a length not in its shortest form: read as any other
    binary(b"shorter", wide=8),
    frame(Opcode.PING, b"p"),
    frame(Opcode.PONG, b"unsolicited"),
    frame(Opcode.TEXT, "héllo".encode()),
    binary(b"frag", fin=False),
    frame(Opcode.PING, b"mid"),
    frame(Opcode.CONT, b"ment"),
]
"""Frames a conforming client may send, each of which leaves the connection open."""

ENDINGS: list[bytes | list[bytes]] = [
    binary(b"x" * (MAX + 1)),  # 1009
    binary(b"unmasked", masked=False),  # 1002
    *(binary(b"rsv", rsv=r) for r in (1, 2, 4, 7)),  # no extension: 1002
    frame(3, b"reserved opcode"),
    frame(Opcode.TEXT, b"\xff\xfe"),  # 1007
    frame(Opcode.CONT, b"nothing to continue"),
    [binary(b"first", fin=False), binary(b"second")],  # a new message inside one
    [binary(b"first", fin=False), frame(Opcode.CONT, b"y" * MAX)],  # over in total
    frame(Opcode.PING, b"z" * 126),  # a control frame over 125 bytes
    frame(Opcode.PING, b"fragmented", fin=False),
    frame(Opcode.CLOSE, struct.pack("!H", 1000) + b"bye"),
    frame(Opcode.CLOSE, b""),
    frame(Opcode.CLOSE, b"\x03"),  # too short
    frame(Opcode.CLOSE, struct.pack("!H", 999)),  # an invalid code
    frame(Opcode.CLOSE, struct.pack("!H", 4000) + b"\xff"),  # a reason not UTF-8
    binary(b"", length=1 << 63) + b"\x00" * 8,  # a length no limit allows
]
"""Frames after which the server closes the connection (or the client did); a list is
frames read one by one in the first reading."""


class Transport(asyncio.Transport):
    """A socket's transport that records what the server writes and whether it closed."""

    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.closed = False

    def write(self, data: Any) -> None:
        self.written += data

    def writelines(self, data: Any) -> None:
        for part in data:
            self.write(part)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 1) if name in ("peername", "sockname") else default


async def turns(n: int = 5) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


async def fed(protocol_class: type, reads: list[bytes]) -> tuple[list[Any], bytes, bool]:
    """What the app received, what the server wrote after its handshake and whether it
    closed the connection, given the client's reads one by one."""
    received: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        while (message := await receive())["type"] != "websocket.disconnect":
            received.append(message.get("bytes", message.get("text")))
        received.append(("disconnect", message.get("code")))

    config = uvicorn.Config(
        app, ws_per_message_deflate=False, lifespan="off", ws_max_size=MAX,
        ws_ping_interval=None, log_level="critical",
    )  # fmt: skip
    config.load()
    protocol = protocol_class(config, ServerState(), {})
    transport = Transport()
    protocol.connection_made(transport)
    protocol.data_received(HANDSHAKE)
    await turns()
    assert transport.written.startswith(b"HTTP/1.1 101")
    accepted = len(transport.written)
    for data in reads:
        if transport.closed:  # a closed transport reads nothing more
            break
        protocol.data_received(data)
        await turns()
    if not transport.closed:
        protocol.connection_lost(None)
        await turns()
    if protocol.close_timer is not None:
        protocol.close_timer.cancel()
    for task in protocol.tasks:
        task.cancel()
    return received, bytes(transport.written[accepted:]), transport.closed


def splits(stream: bytes, cuts: list[int]) -> list[bytes]:
    edges = [0, *sorted(set(cuts)), len(stream)]
    return [stream[a:b] for a, b in itertools.pairwise(edges) if b > a]


def readings(frames: list[bytes], rng: random.Random) -> list[list[bytes]]:
    """The same frames read as a client's socket may deliver them: one per read, two per
    read, each split after its first byte, header or before its last byte, and at random."""
    stream = b"".join(frames)
    ends = [sum(map(len, frames[: i + 1])) for i in range(len(frames))]
    starts = [0, *ends[:-1]]
    ways = [
        list(frames),
        [b"".join(frames[i : i + 2]) for i in range(0, len(frames), 2)],
        [stream],
        splits(stream, ends + [s + 1 for s in starts]),
        splits(stream, ends + [e - 1 for e in ends]),
        splits(stream, ends + [s + 6 for s in starts]),  # inside a header or a mask
    ]
    ways += [splits(stream, rng.sample(range(1, len(stream)), 3)) for _ in range(4)]
    return ways


@pytest.mark.parametrize("ending", [None, *ENDINGS])
async def test_every_reading_of_every_frame_is_handled_as_uvicorn_handles_it(
    ending: bytes | list[bytes] | None,
) -> None:
    rng = random.Random(0)
    last = [] if ending is None else ending if isinstance(ending, list) else [ending]
    frames = [*LAWFUL, binary(b"after"), *last] + ([binary(b"never")] if last else [])
    for reads in readings(frames, rng):
        expected = await fed(WebSocketsSansIOProtocol, reads)
        got = await fed(ImmediateWebSocketProtocol, reads)
        assert got == expected, [len(r) for r in reads]
    if ending is None:
        sizes = (0, 1, 125, 126, 127, 65535, 65536)
        assert expected[0] == [
            *(bytes([n % 251]) * n for n in sizes), b"short", b"shorter", "héllo",
            b"fragment", b"after", ("disconnect", 1005),
        ]  # fmt: skip


async def test_a_frame_whose_rest_looks_like_a_frame_is_one_message() -> None:
    # The payload is masked so that on the wire the rest of the frame is a frame itself.
    inner = binary(b"forged")
    outer = binary(bytes(b ^ MASK[i % 4] for i, b in enumerate(inner)))
    header = len(outer) - len(inner)
    assert outer[header:] == inner
    for reads in ([outer[:header], outer[header:]], [outer[: header - 4], outer[header - 4 :]]):
        expected = await fed(WebSocketsSansIOProtocol, reads)
        assert await fed(ImmediateWebSocketProtocol, reads) == expected
        assert expected[0][0] != b"forged"
