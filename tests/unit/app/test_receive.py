"""A connection's receive loop: an exception nobody expected is logged and closes the
connection with 1011, never swallowed (it used to end as a silent 1000)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from pairbook.app.websocket import _pump, _receive
from pairbook.protocol.messages import encode_command
from pairbook.rooms import CloseCode, MemoryChannel, memory_channel_pair
from pairbook.service import Command, CommandTable, Member
from support.notebooks import write_notebook
from unit.rooms.roomkit import RoomKit, editor


def test_an_unexpected_error_is_logged_and_closes_with_1011(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    kit = RoomKit(write_notebook(tmp_path / "demo.ipynb"))
    try:

        class BrokenService:
            async def anything(self, member: Member, body: dict[str, Any]) -> dict[str, Any]:
                raise TypeError("a bug in a room service")

            commands = CommandTable.of("broken", [Command("anything", anything)])

            async def start(self) -> None: ...

            async def close(self) -> None: ...

        service = BrokenService()
        service.commands = service.commands.bind(service)
        kit.room.attach([service])
        peer = editor()
        peer.channel, client = memory_channel_pair()
        kit.run(client.send(encode_command({"id": 1, "command": "anything"})))
        kit.run(client.close(1000, ""))  # the frame is read, then the peer is gone
        with caplog.at_level(logging.ERROR, logger="pairbook"):
            kit.run(_receive(kit.room, peer, 1 << 20))
        assert peer.close_request is not None
        assert peer.close_request[0] == CloseCode.INTERNAL_ERROR
        (record,) = [r for r in caplog.records if r.getMessage() == "connection failed"]
        assert record.exc_info is not None
        assert isinstance(record.exc_info[1], TypeError)
    finally:
        kit.close()


class BrokenReceive(MemoryChannel):
    async def receive(self) -> bytes:
        raise KeyError("bytes")  # not a closed connection: a bug under the channel


def test_an_unexpected_error_receiving_is_logged_and_closes_with_1011(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    kit = RoomKit(write_notebook(tmp_path / "demo.ipynb"))
    try:
        peer = editor()
        channel, _client = memory_channel_pair()
        channel.__class__ = BrokenReceive
        peer.channel = channel
        with caplog.at_level(logging.ERROR, logger="pairbook"):
            kit.run(_pump(kit.room, peer, 1 << 20))  # answered, not raised to the server
        assert peer.close_request is not None
        assert peer.close_request[0] == CloseCode.INTERNAL_ERROR
        (record,) = [r for r in caplog.records if r.getMessage() == "connection failed"]
        assert record.exc_info is not None
        assert isinstance(record.exc_info[1], KeyError)
    finally:
        kit.close()
