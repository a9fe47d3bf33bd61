"""A client's binary message that arrives as one whole frame, read without websockets' parser.

Every keystroke reaches the server as one small masked binary frame, usually alone in one
read of the socket. websockets' sans-I/O parser reads it through a chain of generators
(`Protocol.parse`, `Frame.parse`, three `read_exact`), a `Frame` and its checks, then an
event list: ~10 µs warm, ~27 µs cold in the server (docs/benchmarks.md, "fan-out N=50,
session 18"), before the room sees the frame. `whole_binary_message` takes the common case
only — the parser idle at a frame boundary with nothing buffered, the read exactly one
final, masked, unextended binary frame within the size limits — and unmasks it as
`Frame.parse` does; anything else (a partial or a second frame, a fragment, a control or
text frame, a closing connection, an extension, websockets' debug log) returns None and
takes the parser. What the parser would do with such a frame besides returning it is
nothing: `Protocol.recv_frame` keeps state for fragments and control frames only.

It reads websockets' own attributes (not an API) and recognises the parser's idle state by
its generators' code objects: on a websockets that changed them the check fails and every
frame takes the parser (slower, never wrong).
"""

from __future__ import annotations

from typing import Any

from websockets.protocol import Protocol, State
from websockets.streams import StreamReader

try:  # as websockets.frames imports it: its C version, else the Python one
    from websockets.speedups import apply_mask
except ImportError:  # pragma: no cover
    from websockets.utils import apply_mask

_FIN_BINARY = 0x82  # FIN, no RSV bit (no extension), opcode 2
_MASKED = 0x80
_AT_EOF = StreamReader.at_eof.__code__
_PARSE = Protocol.parse.__code__


def parser_idle(conn: Protocol) -> bool:
    """Whether the connection's parser waits at a frame boundary for more bytes: suspended
    in `Protocol.parse`'s `reader.at_eof()` with nothing buffered (a parser inside a frame
    waits in `Frame.parse`'s `read_exact`, bytes of it possibly consumed already)."""
    if conn.reader.buffer:
        return False
    outer: Any = None
    inner: Any = conn.parser
    while inner.gi_yieldfrom is not None:  # ServerProtocol.parse -> Protocol.parse -> at_eof
        outer, inner = inner, inner.gi_yieldfrom
    return inner.gi_code is _AT_EOF and outer is not None and outer.gi_code is _PARSE


def whole_binary_message(conn: Protocol, data: bytes) -> bytes | None:
    """The unmasked payload of `data` if it is exactly one whole binary message that
    websockets' parser, idle, would return as it is; else None (the parser must read it).
    The caller has checked that the connection negotiated no extension."""
    if len(data) < 6 or data[0] != _FIN_BINARY:
        return None
    second = data[1]
    if not second & _MASKED:
        return None
    size = second & 0x7F
    start = 6
    if size == 126:
        size, start = int.from_bytes(data[2:4], "big"), 8
    elif size == 127:
        size, start = int.from_bytes(data[2:10], "big"), 14
    if len(data) != start + size:
        return None
    limit, fragment = conn.max_message_size, conn.max_fragment_size
    if (limit is not None and size > limit) or (fragment is not None and size > fragment):
        return None  # the parser refuses it (1009)
    if conn.state is not State.OPEN or conn.current_size is not None or conn.debug:
        return None
    if not parser_idle(conn):
        return None
    return apply_mask(data[start:], data[start - 4 : start])
