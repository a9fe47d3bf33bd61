"""uvicorn's sans-I/O websocket protocol, plus a way to write a frame without awaiting.

A room relays every update to every peer: at 200 peers and 100 edits a second that is
20,000 sends a second, and through ASGI each is a message dict, a coroutine and
python-websockets encoding the same frame again for every peer. This protocol adds one ASGI
extension, `WRITE_NOW`: a function that writes a binary message to the socket at once,
the frame encoded once for all peers (as python-websockets' own `broadcast()` does), or
returns False when it cannot (bytes are still waiting in the socket's transport, or the
connection is not open) — the caller then uses the ordinary `websocket.send`, which waits.
The same extension says how many bytes the socket's transport still holds (`backlog`: a
peer's send bound counts them with its own queue) and can drop the connection at once
(`abort`: a peer whose socket stays full never takes even its close frame, and a plain
close would keep its buffer until it did).

It reads and replaces uvicorn's own attributes (not an API): `uvicorn_mismatches` checks the
installed uvicorn at startup (`pairbook serve` refuses to start on one that lacks them).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import re
import socket
import struct
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import Request
from websockets.protocol import State

from pairbook.app.wholeframe import whole_binary_message
from pairbook.flag import Flag

log = logging.getLogger("pairbook.websocket")

WRITE_NOW = "pairbook.websocket.write_now"
"""The ASGI extension's key in `scope["extensions"]`: `{"write": Callable[[bytes], bool],
"backlog": Callable[[], int], "abort": Callable[[], None]}`."""

_OPEN = State.OPEN
_FIN_BINARY = 0x82  # FIN bit + opcode 2 (binary); a server's frames are never masked
_KEPT_BYTES = 64 * 1024  # a larger frame (a join's step 2) is for one peer: not kept


def binary_frame_header(size: int) -> bytes:
    """The header of one unfragmented, unmasked binary websocket frame (RFC 6455 §5.2)
    carrying `size` bytes."""
    if size < 126:
        return struct.pack("!BB", _FIN_BINARY, size)
    if size < 1 << 16:
        return struct.pack("!BBH", _FIN_BINARY, 126, size)
    return struct.pack("!BBQ", _FIN_BINARY, 127, size)


def encode_binary_frame(payload: bytes) -> bytes:
    """One unfragmented, unmasked binary websocket frame (RFC 6455 §5.2) carrying `payload`."""
    return binary_frame_header(len(payload)) + payload


class PreparedFrame:
    """The last payload written and its encoded frame: a room writes the same payload object
    to each of its peers in turn, so it is encoded once per relay, not once per peer. Keyed
    by identity (the payload is held, so its id cannot be reused meanwhile)."""

    __slots__ = ("_frame", "_payload")

    def __init__(self) -> None:
        self._payload = b""
        self._frame = encode_binary_frame(b"")

    def of(self, payload: bytes) -> bytes:
        if payload is not self._payload:
            frame = encode_binary_frame(payload)
            if len(payload) > _KEPT_BYTES:
                return frame
            self._frame = frame
            self._payload = payload
        return self._frame


_PREPARED = PreparedFrame()  # one per process: the event loop runs one write at a time


class ReceiveQueue:
    """What uvicorn's protocol asks of its `asyncio.Queue` of ASGI receive events
    (`put_nowait`, `get`, `empty`), for one reader (the connection's ASGI task): a list read
    from a head index, and one future while someone waits. An `asyncio.Queue` is four deques
    and an event, about 3 KB per connection, idle for most of the connection's life; a deque
    alone is 0.75 KB, a list 56 bytes.

    `get` is O(1) amortized: the list drops what was read once that is half of it (with
    `list.pop(0)` reading a backlog of n events cost O(n^2): 400,000 took 8.8 s)."""

    __slots__ = ("_getter", "_head", "_items")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._head = 0  # the next item to read
        self._getter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        getter = self._getter
        if getter is not None:
            self._getter = None
            if not getter.done():
                getter.set_result(None)

    def empty(self) -> bool:
        return self._head == len(self._items)

    def awaited(self) -> bool:
        """Whether the reader waits for the next item (it takes it on the loop's next turn)."""
        return self._getter is not None

    def qsize(self) -> int:
        return len(self._items) - self._head

    async def get(self) -> Any:
        while self._head == len(self._items):
            getter = self._getter = asyncio.get_running_loop().create_future()
            try:
                await getter
            finally:
                if self._getter is getter:
                    self._getter = None
        items, head = self._items, self._head
        item, items[head] = items[head], None  # not kept alive by the queue
        head += 1
        if head * 2 >= len(items):  # moves at most as many items as were read since
            del items[:head]
            head = 0
        self._head = head
        return item


READ = (
    "transport", "queue", "writable", "request", "response", "scope", "conn",
    "close_sent", "disconnected", "frames", "curr_msg_data_type",
)  # fmt: skip
"""The attributes of uvicorn's protocol that ImmediateWebSocketProtocol reads or replaces."""
OVERRIDDEN = ("handle_connect", "start_keepalive", "data_received", "send_receive_event_to_app")
"""uvicorn's methods that ImmediateWebSocketProtocol overrides or calls."""
STAND_INS: dict[str, type] = {"queue": ReceiveQueue, "writable": Flag}
"""uvicorn's attributes replaced by lighter stand-ins: whatever uvicorn calls on them, they
must have."""


def uvicorn_mismatches(protocol: type = WebSocketsSansIOProtocol) -> list[str]:
    """What `ImmediateWebSocketProtocol` relies on that uvicorn's websocket protocol (its
    classes' source: the attributes are set per connection) does not have; [] when it fits."""
    try:
        source = "\n".join(
            inspect.getsource(kind)
            for kind in protocol.__mro__
            if kind.__module__.split(".")[0] not in ("asyncio", "builtins")
        )
    except (OSError, TypeError):
        return [f"the source of {protocol.__qualname__} (to check it)"]
    assigned = set(re.findall(r"self\.(\w+)\s*(?::[^=\n]+)?=(?!=)", source))
    missing = [f"self.{name}" for name in READ if name not in assigned]
    missing += [f"{name}()" for name in OVERRIDDEN if not callable(getattr(protocol, name, None))]
    for name, stand_in in STAND_INS.items():
        for used in sorted(set(re.findall(rf"self\.{name}\.(\w+)", source))):
            if not hasattr(stand_in, used):
                missing.append(f"self.{name}.{used}() on pairbook's {stand_in.__name__}")
    return missing


class ImmediateWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's `websockets-sansio` protocol with the `WRITE_NOW` extension.

    It reads uvicorn's own attributes (not an API): `pairbook serve` refuses to start on a
    uvicorn without them (`uvicorn_mismatches`); should one still go missing mid-session,
    the extension is withdrawn with one logged error and every frame takes the ordinary
    ASGI send. tests/component/app/test_uvicorn_write_now.py fails on such an upgrade."""

    usable = True
    """False once `write_now` found uvicorn's protocol without what it reads."""
    reads_whole = True
    """False once `data_received` found websockets' protocol without what it reads."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Lighter stand-ins for what uvicorn keeps per connection (bench/fanout's many
        # rooms: 2,000 connections): the same calls, a tenth of the memory.
        self.queue = ReceiveQueue()  # type: ignore[assignment]
        writable = self._writable = Flag()  # uvicorn's flow control sets and clears it
        writable.set()
        self.writable = writable  # type: ignore[assignment]
        self._open = False
        """The handshake's accept is written and no extension was negotiated: frames may
        be written at once (while the connection stays open, `write_now` checks)."""

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        scope: Any = getattr(self, "scope", None)
        if scope is not None and ImmediateWebSocketProtocol.usable:  # None: refused
            scope["extensions"][WRITE_NOW] = {
                "write": self.write_now,
                "backlog": self.backlog,
                "abort": self.abort,
            }

    def data_received(self, data: bytes) -> None:
        # A keystroke is one whole binary frame per read: handed to the app as uvicorn's
        # `handle_bytes` would, without websockets' parser (app/wholeframe.py).
        if self._open and ImmediateWebSocketProtocol.reads_whole:
            try:
                payload = whole_binary_message(self.conn, data)
            except AttributeError:  # websockets changed what it reads: its parser reads all
                payload = None
                ImmediateWebSocketProtocol.reads_whole = False
                log.exception("websockets' protocol changed: frames take its parser")
            if payload is not None:
                self.curr_msg_data_type = "bytes"
                self.frames = [payload]
                self.send_receive_event_to_app()
                return
        super().data_received(data)

    def send_receive_event_to_app(self) -> None:
        # uvicorn pauses reading after every message until the app takes it: per keystroke
        # a pause and a resume, and the loop's two epoll_ctl calls that re-arm the socket.
        # A message the app already waits for is taken on the loop's next turn: reading
        # goes on (the next one, if it comes first, pauses as before).
        queue: ReceiveQueue = self.queue  # type: ignore[assignment]  # set in __init__
        if self.read_paused or not queue.awaited():
            super().send_receive_event_to_app()
            return
        self.read_paused = True  # so uvicorn's method leaves reading as it is
        try:
            super().send_receive_event_to_app()
        finally:
            self.read_paused = False

    def start_keepalive(self) -> None:
        # Called once, when the handshake's accept is written: the request and response
        # (their headers, ~1 KB) are never read again, and the connection may last for
        # hours. What `write_now` needs of the handshake is settled here, not per frame.
        super().start_keepalive()
        self.request = self.response = None  # type: ignore[assignment]
        conn = getattr(self, "conn", None)
        # A negotiated extension (deflate) re-encodes per peer: those frames take the ASGI send.
        self._open = conn is not None and not getattr(conn, "extensions", True)

    def backlog(self) -> int:
        """Bytes written to the transport that the socket has not taken yet."""
        transport = self.transport
        return 0 if transport is None else transport.get_write_buffer_size()

    def abort(self) -> None:
        """Close the connection now, dropping what the transport holds (a close through the
        ASGI send waits for the socket to take it; `transport.close` waits for the buffer to
        drain): the peer reads a dropped connection."""
        transport = self.transport
        if transport is None or (transport.is_closing() and not self.backlog()):
            return
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # Linger 0: the socket is reset, and what the kernel still holds for the peer
            # goes with it (closed plainly, it would wait for the peer for minutes).
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()

    def write_now(self, payload: bytes) -> bool:
        """Write one binary message now; False (nothing written) if that would have to wait
        or the connection is not open for the application's messages.

        A relay calls this once per peer per frame (20,000 times a second at 200 peers):
        the handshake's part of the checks is settled once (`start_keepalive`), and this is
        one Python call with attribute reads and the write."""
        try:
            transport = self.transport
            if (
                not self._open
                or self.close_sent
                or self.disconnected
                or not ImmediateWebSocketProtocol.usable
                or self.conn.state is not _OPEN
                or not self._writable._value  # is_set(), without a method call per peer
                or transport.is_closing()
                # Only onto a socket that took everything so far: one with bytes waiting
                # gets its frames through the ASGI send, which waits for it to drain.
                # Writing on past waiting bytes stalled a room with a stuck peer in
                # bench/fanout's `stuck`.
                or transport.get_write_buffer_size()
            ):
                return False
        except AttributeError:
            if ImmediateWebSocketProtocol.usable:
                ImmediateWebSocketProtocol.usable = False
                log.exception("uvicorn's websocket protocol changed: frames take the ASGI send")
            return False
        if len(payload) > _KEPT_BYTES:
            # A join's step 2 (5 MB for a large notebook): the header and the payload as
            # they are, not copied into one frame first (uvloop writes both with one writev).
            transport.writelines((binary_frame_header(len(payload)), payload))
        else:
            prepared = _PREPARED  # its `of`, without a method call for every peer but the first
            transport.write(
                prepared._frame if payload is prepared._payload else prepared.of(payload)
            )
        return True
