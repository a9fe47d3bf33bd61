"""The room core's side of room ownership across processes: the `Ownership` port, and the
one path every command takes — run here when this process runs the room's services, or
forwarded to the process that does.

One process at a time runs a room's services (the kernel, its run queue and probe, the mob
timer, the recorder): the room's owner. A room opened on any other process has its core
only; a command for a service goes to the owner with the member who sent it, and the
owner's reply comes back. The owner decides as for its own members: role, mob rules,
arguments. `pairbook.cluster` implements the port on Redis; without it (one process) every
room is owned here and nothing is forwarded.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from pairbook.errors import PairbookError, StoreError
from pairbook.service import Member
from pairbook.service.commands import Args

if TYPE_CHECKING:
    from pairbook.rooms.room import Room

Reply = dict[str, Any]
ForwardedRunner = Callable[[str, Member, Args], Awaitable[Reply]]
"""Runs a command forwarded from another process: (room, member, body) -> the reply."""
Moved = Callable[[str], Awaitable[None]]
"""Told when this process gained or lost a room's ownership."""

log = logging.getLogger("pairbook.ownership")

MOVING = "this room is moving to another server process; try again in a moment"
LOG_FAILED = "the server could not read this notebook's log (it is logged); try again"
"""A command's answer when the log failed: never the store's own message, which names the
database's host and user or the log file's path (logged)."""
AFTER = "after_seq"
"""Set in a forwarded command's body by the process it comes from: the log position its
document held once the changes it had were logged (`Room.logged_to`). The owner's document
reaches it before the command runs, so a command sees every change its sender had: the
run of a cell just typed runs what was typed (the edit's broker entry may come after the
command, or be lost)."""
RESOLVE_FILE = "resolve-file"
"""The forwarded request to resolve a file's conflict (`rooms.fileresolve`): not a room
command. Only the processes of one broker send it to each other; a member's websocket that
sends it is answered as for any unknown command, never forwarded (the owner would run it)."""


class Ownership(Protocol):
    """Which process runs each room's services, and the way to it."""

    def bind(self, runner: ForwardedRunner, moved: Moved) -> None:
        """Who runs the commands forwarded here, and who hears of ownership changes."""

    async def claim(self, room: str) -> bool:
        """Compete for the room from now on; whether this process owns it now. Raises
        ClusterError when the coordinator cannot be reached."""
        ...

    def owns(self, room: str) -> bool:
        """Whether this process owns the room: its last renewal succeeded and the lease it
        renewed cannot have run out since (the services' writes are refused otherwise)."""
        ...

    def holds(self, room: str) -> bool:
        """Whether this process holds the room's lease as its keeper last knew it (taken,
        and not lost since: the state `moved` is told the changes of), even while a renewal
        is late and `owns()` reads False."""
        ...

    def token(self, room: str) -> int | None:
        """The fencing token of this process's lease of the room while `owns(room)`, else
        None: the services' writes carry it, and the store refuses them once a later owner
        raised the room's fence."""
        ...

    async def drop(self, room: str) -> None:
        """Stop competing for the room (it unloads here); hand it over if owned."""

    async def forward(self, room: str, member: Member, body: Args) -> Reply:
        """The owner's reply to `member`'s command. Raises ClusterError (no owner now, or
        it did not answer in time)."""
        ...

    async def forward_to(self, process: str, room: str, member: Member, body: Args) -> Reply:
        """The reply of `process` (a broker origin: the one holding a lease other than the
        owner's, say the room's files lease) to `member`'s command. Raises ClusterError
        when it did not answer in time."""
        ...


async def claim_room(ownership: Ownership | None, room: Room) -> bool:
    """Whether this process runs the room's services (always, without an `ownership`)."""
    if ownership is None:
        return True
    room.ownership = ownership
    return await ownership.claim(room.id)


async def answer_command(
    room: Room, member: Member, body: Args, *, forwarded: bool = False
) -> Reply:
    """A command's reply: dispatched here when the room has the command (its core's, or
    every command on the owner), else forwarded to the owner. A forwarded command is never
    forwarded again."""
    request_id = body.get("id")
    ownership = room.ownership
    try:
        command = body.get("command")
        if ownership is not None and command not in room.services.commands:
            if command == RESOLVE_FILE:
                raise LookupError(f"unknown command {command!r}")
            if forwarded:
                raise LookupError(MOVING)
            body = {**body, AFTER: await room.logged_to()}
            return reply_of(request_id, await ownership.forward(room.id, member, body))
        if forwarded:
            body = dict(body)
            after = body.pop(AFTER, None)
            if isinstance(after, int) and not isinstance(after, bool):
                await room.reach(after)
        result = await room.services.dispatch(member, body)
    except StoreError as exc:  # its text names the database's host or the log's file
        log.error("command failed on the log", extra={"room": room.id, "error": str(exc)})
        return {"id": request_id, "ok": False, "error": LOG_FAILED}
    except (PermissionError, ValueError, LookupError, PairbookError) as exc:
        return {"id": request_id, "ok": False, "error": str(exc)}
    return {"id": request_id, "ok": True, "result": result}


def reply_of(request_id: Any, reply: Reply) -> Reply:
    """The owner's reply as this member's: its request id, and nothing but ok and the
    result or the error."""
    if reply.get("ok") is True:
        return {"id": request_id, "ok": True, "result": reply.get("result")}
    return {"id": request_id, "ok": False, "error": str(reply.get("error") or "refused")}
