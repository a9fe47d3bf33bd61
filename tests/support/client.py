"""Test clients: a pycrdt Doc synced through pycrdt's own Provider, and a raw peer."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

import websockets
from pycrdt import Array, Doc, Map, MapEvent, Provider, Text
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from pairbook.protocol.messages import (
    CommandMessage,
    decode_message,
    encode_command,
    encode_sync_update,
)

SYNC_BUDGET = 30.0
"""Seconds a client waits for its first sync before the test fails."""


class _WebsocketChannel:
    """pycrdt's Channel over a `websockets` client connection; command messages (type 100)
    are taken out of the stream into `pairbook` (pycrdt's provider ignores them anyway)."""

    def __init__(self, ws: ClientConnection, path: str) -> None:
        self._ws = ws
        self._path = path
        self.pairbook: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    @property
    def path(self) -> str:
        return self._path

    def __aiter__(self) -> _WebsocketChannel:
        return self

    async def __anext__(self) -> bytes:
        try:
            return await self.recv()
        except ConnectionClosed:
            raise StopAsyncIteration from None

    async def send(self, message: bytes) -> None:
        with contextlib.suppress(ConnectionClosed):
            await self._ws.send(message)

    async def recv(self) -> bytes:
        while True:
            message = await self._ws.recv()
            frame = message if isinstance(message, bytes) else message.encode()
            if frame[:1] == b"\x64":
                decoded = decode_message(frame)
                assert isinstance(decoded, CommandMessage)
                self.pairbook.put_nowait(decoded.body)
                continue
            return frame


async def wait_until(doc: Doc[Any], predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait for the document to satisfy `predicate`, woken by its own change events."""
    changed = asyncio.Event()
    subscription = doc.observe(lambda _event: changed.set())
    try:
        async with asyncio.timeout(timeout):
            while not predicate():
                await changed.wait()
                changed.clear()
    finally:
        doc.unobserve(subscription)


class YClient:
    """A stock pycrdt peer of a room: `async with YClient(url) as client:`."""

    def __init__(self, url: str, doc: Doc[Any] | None = None) -> None:
        self.url = url
        self.doc: Doc[Any] = doc if doc is not None else Doc()
        self.ws: ClientConnection | None = None
        self._provider: Provider | None = None
        self._requests = 0
        self.events: list[dict[str, Any]] = []
        self._observed: list[Map[Any]] = []

    async def __aenter__(self) -> Self:
        self.ws = await websockets.connect(self.url, max_size=None)
        try:
            self._channel = _WebsocketChannel(self.ws, self.url)
            self._provider = Provider(self.doc, self._channel)
            await self._provider.__aenter__()
            # A budget, not a speed check (bench/fanout measures joins): a room's first
            # join builds it from its file, and on a CI machine running four workers, their
            # servers and kernels and a browser on two cores that took over 10 s once (stop
            # 32's CI, test_integrity; 0.2-0.9 s when the machine is not that busy).
            async with asyncio.timeout(SYNC_BUDGET):
                await self._provider.synced.wait()
        except BaseException as error:
            await self.__aexit__(type(error), error, error.__traceback__)
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # The socket is closed however the provider ends: the provider re-raises what failed
        # in the body, and a socket left open was collected during a later test, failing it
        # (PytestUnraisableExceptionWarning: unclosed transport).
        try:
            if self._provider is not None:
                provider, self._provider = self._provider, None
                # pycrdt's Provider leaves __aexit__ unannotated (its __aenter__ is typed).
                await provider.__aexit__(exc_type, exc, tb)  # type: ignore[no-untyped-call]
        finally:
            if self.ws is not None:
                await self.ws.close()

    @property
    def cells(self) -> Array[Any]:
        cells: Array[Any] = self.doc.get("cells", type=Array)
        return cells

    def source(self, index: int) -> str:
        return str(self.cells[index]["source"])

    def type_into(self, index: int, offset: int, text: str) -> None:
        ysource: Text = self.cells[index]["source"]
        ysource.insert(offset, text)

    def add_code_cell(self, cell_id: str, source: str) -> None:
        self.cells.append(
            Map(
                {
                    "id": cell_id,
                    "cell_type": "code",
                    "source": Text(source),
                    "metadata": Map(),
                    "outputs": Array(),
                    "execution_count": None,
                    "execution_state": "idle",
                }
            )
        )

    def sources(self) -> list[str]:
        return [str(cell["source"]) for cell in self.cells]

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        await wait_until(self.doc, predicate, timeout)

    async def edit(self, change: Callable[[Doc[Any]], None]) -> None:
        """Make a change and send it now, ahead of anything sent after (pycrdt's provider
        sends from its own task, so a command could otherwise overtake the edit).

        What is sent is the transaction's own update, as a browser's y-websocket sends: a
        diff against the state before (`get_update(state)`) carries the document's whole
        delete set, which grows with every run's outputs and records, and made the server
        check all of it against its protected maps at every keystroke."""
        assert self.ws is not None
        updates: list[bytes] = []
        subscription = self.doc.observe(lambda event: updates.append(event.update))
        try:
            with self.doc.transaction():
                change(self.doc)
        finally:
            self.doc.unobserve(subscription)
        for update in updates:
            await self.ws.send(encode_sync_update(update))

    async def set_source(self, index: int, source: str) -> None:
        def change(doc: Doc[Any]) -> None:
            text: Text = doc.get("cells", type=Array)[index]["source"]
            del text[0 : len(text)]
            text.insert(0, source)

        await self.edit(change)

    async def command(self, command: str, timeout: float = 30.0, **args: Any) -> dict[str, Any]:
        """Send a pairbook command and return its reply ({"id", "ok", "result"|"error"})."""
        assert self.ws is not None
        self._requests += 1
        request_id = self._requests
        await self.ws.send(encode_command({"id": request_id, "command": command, **args}))
        async with asyncio.timeout(timeout):
            while True:
                body = await self._channel.pairbook.get()
                if body.get("id") == request_id:
                    return body
                self.events.append(body)

    async def event(self, name: str, timeout: float = 30.0) -> dict[str, Any]:
        """The next pairbook event of this name sent to this client."""
        for seen in self.events:
            if seen.get("event") == name:
                self.events.remove(seen)
                return seen
        async with asyncio.timeout(timeout):
            while True:
                body = await self._channel.pairbook.get()
                if body.get("event") == name:
                    return body
                self.events.append(body)

    def map(self, name: str) -> dict[str, Any]:
        value = self.doc.get(name, type=Map).to_py()
        return value if isinstance(value, dict) else {}

    def on_change(self, name: str, callback: Callable[[dict[str, Any]], None]) -> None:
        """Call `callback({key: new value})` with every change of the map `name` as it is
        applied: a value that lasts a moment is seen, where a `wait_until` woken after two
        changes would miss it. (The callback may not read the document.)"""

        def changed(event: MapEvent) -> None:
            # pycrdt's MapEvent sets `keys` through its __slots__ without declaring its type.
            keys: dict[str, dict[str, Any]] = event.keys  # type: ignore[attr-defined]
            callback({key: change.get("newValue") for key, change in keys.items()})

        ymap = self.doc.get(name, type=Map)
        ymap.observe(changed)
        self._observed.append(ymap)  # the observation lasts as long as this Map object


class RawPeer:
    """A bare websocket to a room, for speaking (or mis-speaking) the protocol by hand."""

    def __init__(self, url: str, **connect: Any) -> None:
        self.url = url
        # No keepalive pings unless asked: a peer that stops reading would otherwise fail
        # its own connection once a ping goes unanswered (websockets' 20 s + 20 s), and a
        # test of how the server treats it would see the client's doing on a busy machine.
        connect.setdefault("ping_interval", None)
        self.connect = connect
        self.ws: ClientConnection | None = None

    async def __aenter__(self) -> Self:
        self.ws = await websockets.connect(self.url, max_size=None, **self.connect)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.ws is not None:
            with contextlib.suppress(ConnectionClosed, OSError):
                await self.ws.close()

    async def send(self, frame: bytes) -> None:
        assert self.ws is not None
        await self.ws.send(frame)

    async def recv(self, timeout: float = 10.0) -> bytes:
        assert self.ws is not None
        async with asyncio.timeout(timeout):
            message = await self.ws.recv()
        assert isinstance(message, bytes)
        return message

    async def closed_with(self, timeout: float = 10.0) -> tuple[int | None, str]:
        """Read until the server closes; return its close code and reason."""
        assert self.ws is not None
        try:
            async with asyncio.timeout(timeout):
                while True:
                    await self.ws.recv()
        except ConnectionClosed as closed:
            rcvd = closed.rcvd
            return (rcvd.code, rcvd.reason) if rcvd is not None else (None, "")
