"""A notebook file's conflict resolved from any process: only the process keeping the file
(the room's files lease) can resolve it, so a request made to another process is forwarded
there, as a command travels to a room's owner (`Ownership.forward_to`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pairbook.auth import Role
from pairbook.errors import BrokerError, ClusterError, ConflictError, NotebookError
from pairbook.rooms.feed import FILES
from pairbook.rooms.ownership import RESOLVE_FILE, Reply
from pairbook.service import Member
from pairbook.service.commands import Args
from pairbook.types import RoomId

if TYPE_CHECKING:
    from pairbook.rooms.registry import Rooms

NO_CONFLICT = "this notebook has no conflict"
Keep = Literal["room", "disk"]


async def resolve_conflict(rooms: Rooms, room_id: RoomId, member: Member, keep: Keep) -> None:
    """Resolve the notebook's conflict by keeping one side, here when this process keeps the
    file, else on the process that does. Raises ConflictError (no conflict, or the keeper
    refused: its reason), ClusterError (the keeper did not answer, or Redis is away)."""
    entry = rooms.get(room_id)
    if entry is not None and entry.filesync.conflict_message is not None:
        await entry.filesync.resolve(keep)
        return
    if rooms.broker is None or rooms.ownership is None:
        raise ConflictError(NO_CONFLICT)
    try:
        keeper = await rooms.broker.holder(room_id, FILES)
    except BrokerError as exc:
        raise ClusterError(str(exc)) from exc
    if keeper is None or keeper == rooms.broker.origin:
        raise ConflictError(NO_CONFLICT)
    body = {"id": None, "command": RESOLVE_FILE, "keep": keep}
    reply = await rooms.ownership.forward_to(keeper, room_id, member, body)
    if reply.get("ok") is not True:
        raise ConflictError(str(reply.get("error") or "refused"))


async def resolve_forwarded(rooms: Rooms, room_id: RoomId, member: Member, body: Args) -> Reply:
    """Another process's request to resolve the conflict of a file kept here, for `member`
    (vouched for by this process's token book): its reply."""
    keep = body.get("keep")
    try:
        if keep not in ("room", "disk"):
            raise ConflictError("keep must be 'room' or 'disk'")
        if member.role not in (Role.OWNER, Role.EDITOR):
            role = member.role.value
            raise ConflictError(f"resolving a conflict needs the editor role; you are {role}")
        entry = rooms.get(room_id)
        if entry is None or entry.filesync.conflict_message is None:
            raise ConflictError(NO_CONFLICT)
        await entry.filesync.resolve(keep)
    except (ConflictError, NotebookError) as exc:
        return {"id": body.get("id"), "ok": False, "error": str(exc)}
    return {"id": body.get("id"), "ok": True, "result": keep}
