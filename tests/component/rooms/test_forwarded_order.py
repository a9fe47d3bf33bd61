"""A command forwarded to the room's owner sees every change its sender's document held
when it was sent: the owner's document reaches the sender's log position first (from the
broker, or read from the log if the entry is late or lost). Two room cores on one
MemoryStore with a MemoryBroker each stand for two processes; the websocket pump's
pipelined receive sends the edit, then the command, as a page does (the run of a cell
just typed)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Text

from pairbook.auth import Role
from pairbook.broker import Broker, MemoryBroker, MemoryHub
from pairbook.protocol.messages import CommandMessage, encode_command, encode_sync_update
from pairbook.rooms import Room
from pairbook.service import Command, CommandTable, Member
from support.brokerkit import ROOM, Client, ana_and_bob
from support.ownership import MemoryOwnership
from support.replica import receive_frames


class Peek:
    """A service on the owner: answers the scratch text its document holds (as a run
    reads the cell's source)."""

    def __init__(self, room: Room) -> None:
        self.room = room
        self.commands = TABLE.bind(self)

    async def peek(self, member: Member, body: dict[str, Any]) -> dict[str, Any]:
        return {"scratch": str(self.room.doc.get("scratch", type=Text))}

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None


TABLE = CommandTable.of("peek", [Command("peek", Peek.peek, role=Role.EDITOR)])


@pytest.fixture
def brokers() -> Callable[[], Broker]:
    hub = MemoryHub()
    return lambda: MemoryBroker(hub)


async def reply_to(client: Client) -> dict[str, Any]:
    """The command reply the client was sent."""
    for _ in range(50):
        frames = client.end.unread()
        client.frames += frames
        for message in receive_frames(client.doc, frames):
            if isinstance(message, CommandMessage):
                return message.body
        await asyncio.sleep(0)
    raise AssertionError("no reply")


@pytest.mark.parametrize("entry", ["heard", "lost"])
async def test_a_command_forwarded_right_after_an_edit_runs_on_the_owner_with_the_edit(
    tmp_path: Path, brokers: Callable[[], Broker], entry: str
) -> None:
    """The owner hears the edit's entry from the broker, or (lost) hears nothing and reads
    the edit from the log."""
    async with ana_and_bob(tmp_path, brokers) as (a, _ana, b, bob, _store):
        a.room.attach([Peek(a.room)])
        b.room.ownership = MemoryOwnership(a.room)
        if entry == "lost":
            a.feed.broker.unsubscribe(ROOM, a.feed)  # the owner hears nothing from the broker
        await b.room.receive(bob.peer, encode_sync_update(bob.edit("typed")), pipelined=True)
        await b.room.receive(bob.peer, encode_command({"id": 1, "command": "peek"}), pipelined=True)
        assert await reply_to(bob) == {"id": 1, "ok": True, "result": {"scratch": "typed"}}
        assert a.room.last_seq == b.room.last_seq
