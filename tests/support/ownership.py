"""The room core's Ownership port in memory, for the component tests of rooms whose
services run on another "process"."""

from __future__ import annotations

from typing import Any

from pairbook.errors import ClusterError
from pairbook.rooms import Room
from pairbook.rooms.ownership import ForwardedRunner, Moved, answer_command
from pairbook.service import Member


class MemoryOwnership:
    """The Ownership port in memory: `owner` is the room on the owning 'process' (None:
    nobody owns it now); this side owns nothing."""

    def __init__(self, owner: Room | None) -> None:
        self.owner = owner
        self.forwarded: list[tuple[Member, dict[str, Any]]] = []

    def bind(self, runner: ForwardedRunner, moved: Moved) -> None:
        return None

    async def claim(self, room: str) -> bool:
        return False

    def owns(self, room: str) -> bool:
        return False

    def holds(self, room: str) -> bool:
        return False

    def token(self, room: str) -> int | None:
        return None

    async def drop(self, room: str) -> None:
        return None

    async def forward(self, room: str, member: Member, body: dict[str, Any]) -> dict[str, Any]:
        if self.owner is None:
            raise ClusterError(f"room {room!r} has no owning process right now; try again")
        self.forwarded.append((member, body))
        reply = await answer_command(self.owner, member, body, forwarded=True)
        return {**reply, "id": "the owner's own id", "extra": "dropped"}

    async def forward_to(
        self, process: str, room: str, member: Member, body: dict[str, Any]
    ) -> dict[str, Any]:
        return await self.forward(room, member, body)
