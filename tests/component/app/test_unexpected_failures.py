"""A room's websocket, through the real app served by uvicorn in-process: a failure nobody
expected — an exception, or a pycrdt panic (pyo3's PanicException, a BaseException) — is
logged with its room, answered with 1011 and a reason, and counted; never a connection
dropped with no close frame, never a normal closure, never raised to the ASGI server.

The real server's trigger (a notebook holding a lone surrogate escape) is now refused as an
invalid notebook (tests/integration/test_hostile_notebooks.py): these are the 1011 path's tests."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, NoReturn

import pytest
import uvicorn

from pairbook.app import create_app
from pairbook.app.context import AppContext
from pairbook.app.uvicornws import ImmediateWebSocketProtocol
from pairbook.app.websocket import OPEN_FAILED
from pairbook.protocol.messages import encode_command
from pairbook.rooms import OpenRoom
from pairbook.service import Command, CommandTable, Member
from pairbook.types import RoomId
from support.client import RawPeer
from support.inapp import in_memory_settings
from support.notebooks import write_notebook
from support.panics import pycrdt_panic

OWNER = "owner-token-for-the-failure-tests"


def broken() -> NoReturn:
    raise RuntimeError("a bug nobody expected")


FAILURES = pytest.mark.parametrize(
    ("fail", "kind"), [(broken, "RuntimeError"), (pycrdt_panic, "PanicException")]
)


class Served:
    """The app served by uvicorn on a port of its own, and its context."""

    def __init__(self, port: int, context: AppContext) -> None:
        self.url = f"ws://127.0.0.1:{port}/rooms/demo.ipynb?token={OWNER}"
        self.context = context

    async def opened(self) -> OpenRoom:
        return await self.context.rooms.open(RoomId("demo.ipynb"))


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    root = tmp_path / "notebooks"
    write_notebook(root / "demo.ipynb")
    settings = in_memory_settings(root, tmp_path / ".pairbook", OWNER)
    app = create_app(settings)
    config = uvicorn.Config(app, ws=ImmediateWebSocketProtocol, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    listening = socket.create_server(("127.0.0.1", 0))  # connections wait in its backlog
    async with app.router.lifespan_context(app):
        task = asyncio.create_task(server.serve(sockets=[listening]))
        try:
            yield Served(listening.getsockname()[1], app.state.pairbook)
        finally:
            server.should_exit = True
            await task


def failure_logged(caplog: pytest.LogCaptureFixture, msg: str) -> tuple[logging.LogRecord, str]:
    """The one record logged as `msg`, and the name of the exception it has."""
    (record,) = [r for r in caplog.records if r.getMessage() == msg]
    assert record.exc_info is not None
    return record, type(record.exc_info[1]).__name__


@FAILURES
async def test_a_room_that_fails_to_open_closes_with_1011_and_is_logged(
    served: Served,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    fail: Callable[[], NoReturn],
    kind: str,
) -> None:
    async def failing_open(room_id: RoomId) -> OpenRoom:
        fail()

    monkeypatch.setattr(served.context.rooms, "open", failing_open)
    with caplog.at_level(logging.ERROR):
        async with RawPeer(served.url) as peer:
            assert await peer.closed_with() == (1011, OPEN_FAILED)
    record, failed = failure_logged(caplog, "room failed to open")
    assert failed == kind
    assert record.__dict__["room"] == "demo.ipynb"
    assert served.context.rooms.counters.disconnects["internal_error"] == 1


@FAILURES
async def test_a_service_failing_on_a_join_closes_it_with_1011_and_lets_it_leave(
    served: Served, caplog: pytest.LogCaptureFixture, fail: Callable[[], NoReturn], kind: str
) -> None:
    class Greeter:
        commands: CommandTable[Any] = CommandTable("greeter")

        def on_join(self, member: Member) -> None:
            fail()

        async def start(self) -> None: ...

        async def close(self) -> None: ...

    room = (await served.opened()).room
    room.attach([Greeter()])
    with caplog.at_level(logging.ERROR):
        async with RawPeer(served.url) as peer:
            code, reason = await peer.closed_with()
    assert (code, reason) == (1011, "the server failed; reconnect")
    assert failure_logged(caplog, "connection failed")[1] == kind
    assert not room.peers  # not kept in the room it never fully joined
    assert served.context.rooms.counters.disconnects["internal_error"] == 1


async def test_a_command_that_panics_closes_with_1011_not_a_normal_closure(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    class Panicky:
        async def anything(self, member: Member, body: dict[str, Any]) -> dict[str, Any]:
            pycrdt_panic()

        commands = CommandTable.of("panicky", [Command("anything", anything)])

        async def start(self) -> None: ...

        async def close(self) -> None: ...

    service = Panicky()
    service.commands = service.commands.bind(service)
    room = (await served.opened()).room
    room.attach([service])
    with caplog.at_level(logging.ERROR):
        async with RawPeer(served.url) as peer:
            await peer.send(encode_command({"id": 1, "command": "anything"}))
            code, reason = await peer.closed_with()
    assert code == 1011, reason
    assert failure_logged(caplog, "connection failed")[1] == "PanicException"
    assert not room.peers
