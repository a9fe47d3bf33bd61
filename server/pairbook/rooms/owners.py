"""RoomOwners: what a server's rooms do when ownership moves, and the commands other
processes forward to the rooms this process owns."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from pairbook.auth import TokenBook
from pairbook.errors import AuthError
from pairbook.protocol.closecodes import CloseCode
from pairbook.rooms.fileresolve import resolve_forwarded
from pairbook.rooms.ownership import MOVING, RESOLVE_FILE, Ownership, Reply, answer_command
from pairbook.service import Member
from pairbook.service.commands import Args
from pairbook.types import RoomId

if TYPE_CHECKING:
    from pairbook.rooms.registry import Rooms

log = logging.getLogger("pairbook.rooms")


class RoomOwners:
    """Binds an `Ownership` to a server's `Rooms` (call `bind()` once both are open).
    With `tokens`, a forwarded member is who the owner's token book says, with the role it
    says, or refused (revoked on any process, or not the person the forwarder named)."""

    def __init__(self, rooms: Rooms, ownership: Ownership, tokens: TokenBook | None = None):
        self.rooms = rooms
        self.ownership = ownership
        self.tokens = tokens

    def bind(self) -> None:
        self.ownership.bind(self.run_forwarded, self.moved)
        if self.tokens is not None:
            self.rooms.vouch = self.vouch

    def vouch(self, member: Member) -> Member:
        """A member another process vouches for, as this process's token book has it: its
        user and role are the book's; AuthError when its grant was revoked on any process
        or is not the person named."""
        assert self.tokens is not None
        grant = self.tokens.grant_of(member.grant, member.user.id)
        assert grant.user is not None  # grant_of checked it is this member's
        return Member(member.key, grant.user, grant.role, member.clients, grant.id)

    async def run_forwarded(self, room: str, member: Member, body: Args) -> Reply:
        """A command from a member on another process, for a room owned here: dispatched
        as for a member connected here (role, mob rules, arguments). A file conflict's
        resolution comes to the process keeping the file, which need not own the room."""
        entry = self.rooms.get(RoomId(room))
        resolving = body.get("command") == RESOLVE_FILE
        if not resolving and (entry is None or not entry.owned or not self.ownership.owns(room)):
            return {"id": body.get("id"), "ok": False, "error": MOVING}
        if self.tokens is not None:
            try:
                member = self.vouch(member)
            except AuthError as exc:
                log.warning("forwarded member refused", extra={"room": room, "reason": str(exc)})
                return {"id": body.get("id"), "ok": False, "error": str(exc)}
        if resolving:
            return await resolve_forwarded(self.rooms, RoomId(room), member, body)
        assert entry is not None
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
