"""The room core's own service: who am I, who is here. Attached to every room first."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pairbook.service import Command, CommandTable, Member

if TYPE_CHECKING:
    from pairbook.rooms.room import Room


class CoreService:
    """Answers `whoami` and `presence` from the room itself."""

    def __init__(self, room: Room) -> None:
        self.room = room
        self.commands = TABLE.bind(self)

    async def start(self) -> None:
        """Nothing to start: the room is the state."""

    async def close(self) -> None:
        """Nothing to close."""

    async def whoami(self, member: Member, body: dict[str, Any]) -> dict[str, Any]:
        room = self.room
        return {
            "user": member.user.to_json(),
            "role": member.role.value,
            "room": room.id,
            "history": room.history_id,
        }

    async def presence(self, member: Member, body: dict[str, Any]) -> dict[str, Any]:
        return {"users": self.room.presence.users()}


TABLE = CommandTable.of(
    "room",
    [
        Command("whoami", CoreService.whoami, recorded=False),
        Command("presence", CoreService.presence, recorded=False),
    ],
)
