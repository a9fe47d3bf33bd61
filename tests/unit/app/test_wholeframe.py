"""A whole binary frame read without websockets' parser (app/wholeframe.py): only when the
parser, idle at a frame boundary, would return exactly that message; else None."""

from __future__ import annotations

import os

import pytest
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.server import ServerProtocol

from pairbook.app.wholeframe import parser_idle, whole_binary_message


def open_conn(max_size: int | None = 1 << 20) -> ServerProtocol:
    conn = ServerProtocol(max_size=max_size)
    conn.state = State.OPEN  # as after the handshake: the parser now reads frames
    conn.parser = conn.parse()
    next(conn.parser)
    return conn


def client_frame(payload: bytes, opcode: Opcode = Opcode.BINARY, *, fin: bool = True) -> bytes:
    return Frame(opcode, payload, fin=fin).serialize(mask=True, extensions=[])


def parsed(conn: ServerProtocol, data: bytes) -> list[bytes]:
    conn.receive_data(data)
    return [bytes(e.data) for e in conn.events_received() if isinstance(e, Frame)]


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 200_000])
def test_a_whole_binary_frame_is_read_as_the_parser_reads_it(size: int) -> None:
    payload = os.urandom(size)
    data = client_frame(payload)
    assert whole_binary_message(open_conn(), data) == payload
    assert parsed(open_conn(), data) == [payload]


def test_what_is_not_one_whole_binary_message_is_left_to_the_parser() -> None:
    conn = open_conn(max_size=100)
    whole = client_frame(b"x" * 10)
    for data in (
        whole[:-1],  # a part of a frame
        whole + whole,  # two frames
        client_frame(b"x" * 10, Opcode.TEXT),
        client_frame(b"x" * 10, fin=False),  # the first fragment of a message
        client_frame(b"", Opcode.PING),
        client_frame(b"x" * 101),  # over max_size: the parser answers 1009
        Frame(Opcode.BINARY, b"x" * 10).serialize(mask=False, extensions=[]),
        bytes([whole[0] | 0x40]) + whole[1:],  # RSV1: an extension's frame
    ):
        assert whole_binary_message(conn, data) is None
    assert whole_binary_message(conn, whole) == b"x" * 10


def test_inside_a_frame_the_rest_is_never_taken_for_a_frame() -> None:
    # The parser has read a frame's header and waits for its payload with nothing
    # buffered; the payload looks like a whole frame itself: it is payload.
    conn = open_conn()
    inner = client_frame(b"forged")
    outer = client_frame(inner)
    header = len(outer) - len(inner)
    assert parsed(conn, outer[:header]) == []
    assert not conn.reader.buffer
    assert not parser_idle(conn)
    masked_rest = outer[header:]
    assert whole_binary_message(conn, masked_rest) is None
    assert parsed(conn, masked_rest) == [inner]
    assert parser_idle(conn)


def test_nothing_during_a_fragmented_message_or_once_closing() -> None:
    conn = open_conn()
    assert parsed(conn, client_frame(b"first part", fin=False)) == [b"first part"]
    assert parser_idle(conn)
    assert whole_binary_message(conn, client_frame(b"x")) is None  # a continuation is due
    conn = open_conn()
    conn.state = State.CLOSING
    assert whole_binary_message(conn, client_frame(b"x")) is None
