"""MobGate: the mob's edit gate in a room whose mob runs on another process.

The owner's `MobService` holds the rotation and writes it into the `mob` map; a process
that does not own the room reads the mode and the driver from that map for each edit of
its own peers, so "only the driver edits in mob mode" holds wherever a member connects.
"""

from __future__ import annotations

from pycrdt import Map

from pairbook.mob.turn import Mode
from pairbook.schema import MOB_MAP
from pairbook.service import CommandTable, Member, RoomHandle

NOBODY = "mob mode: nobody is driving; join the rotation to take the keyboard"
NOT_DRIVER = (
    "mob mode: only the driver edits the notebook; ask for the keyboard or wait for your turn"
)


class MobGate:
    """Refuses a member's edits in mob mode unless the `mob` map names them the driver."""

    def __init__(self, room: RoomHandle) -> None:
        self.room = room
        self.commands: CommandTable[MobGate] = CommandTable.of("mob", [])  # all on the owner

    async def start(self) -> None:
        """Nothing to start: the owner keeps the rotation."""

    async def close(self) -> None:
        """Nothing to close."""

    def on_edit(self, member: Member) -> str | None:
        ymob = self.room.doc.get(MOB_MAP, type=Map)
        if ymob.get("mode") != Mode.MOB.value:
            return None
        driver = ymob.get("driver")
        if driver == member.user.id:
            return None
        return NOT_DRIVER if driver else NOBODY
