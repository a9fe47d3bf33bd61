"""RoomOwners: what a server's rooms do when ownership moves, and the commands other
processes forward to the rooms this process owns."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from pairbook.protocol.closecodes import CloseCode
from pairbook.rooms.ownership import MOVING, Ownership, Reply, answer_command
from pairbook.service import Member
from pairbook.service.commands import Args
from pairbook.types import RoomId

if TYPE_CHECKING:
    from pairbook.rooms.registry import Rooms

log = logging.getLogger("pairbook.rooms")


class RoomOwners:
    """Binds an `Ownership` to a server's `Rooms` (call `bind()` once both are open)."""

    def __init__(self, rooms: Rooms, ownership: Ownership) -> None:
        self.rooms = rooms
        self.ownership = ownership

    def bind(self) -> None:
        self.ownership.bind(self.run_forwarded, self.moved)

    async def run_forwarded(self, room: str, member: Member, body: Args) -> Reply:
        """A command from a member on another process, for a room owned here: dispatched
        as for a member connected here (role, mob rules, arguments)."""
        entry = self.rooms.get(RoomId(room))
        if entry is None or not entry.owned or not self.ownership.owns(room):
            return {"id": body.get("id"), "ok": False, "error": MOVING}
        return await answer_command(entry.room, member, body, forwarded=True)

    async def moved(self, room: str) -> None:
        """This process gained or lost the room: if the room is open the other way, its
        peers are closed with going-away and reconnect; it reopens as it now should (with
        its services on the owner, its core only elsewhere)."""
        entry = self.rooms.get(RoomId(room))
        if entry is None or entry.owned == self.ownership.owns(room):
            return
        reason = "the room moved to another server process; reconnecting"
        log.info("room ownership moved", extra={"room": room, "owned": not entry.owned})
        await self.rooms.close_room(entry.room.id, CloseCode.GOING_AWAY, reason)
