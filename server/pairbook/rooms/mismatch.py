"""MismatchBound: a room this process keeps losing because it cannot apply an update another
process logged is not reloaded without end.

With several processes, an update another process logged that this process's pycrdt cannot
apply whole (a newer pycrdt wrote it, mid rolling upgrade) loses the room here: its peers
are closed with 1011 and it reloads from the log (which skips that record). A mismatch that
persists — every new update of the other pycrdt is one — made the room reload again at
every such update, its peers thrown out each time. Past `limit` such losses within `window`
seconds the room is refused here (its joiners closed with 1011, saying why), logged once,
until the window has passed: its peers reconnect through the balancer to another process.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from pairbook.errors import ClusterError

if TYPE_CHECKING:
    from pairbook.rooms.room import Room

log = logging.getLogger("pairbook.rooms")

MAX_RELOADS = 3
"""Reloads after a logged update this process could not apply, within WINDOW."""
WINDOW = 600.0
REFUSAL = (
    "this server process cannot apply this notebook's updates (another pycrdt version?); reconnect"
)


class MismatchBound:
    """The losses to unappliable updates of each room, within the last `window` seconds."""

    def __init__(
        self,
        *,
        limit: int = MAX_RELOADS,
        window: float = WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._losses: dict[str, deque[float]] = {}

    def note(self, room: Room) -> None:
        """A lost room: counted (once) if it was lost to an update it could not apply."""
        if not room.lost_mismatch:
            return
        room.lost_mismatch = False
        losses = self._recent(room.id)
        losses.append(self._clock())
        self._losses[room.id] = losses
        if len(losses) == self.limit + 1:
            log.error(
                "room not reloaded: it keeps receiving logged updates this process cannot "
                "apply (another pycrdt version writes them?); upgrade this process",
                extra={"room": room.id, "losses": len(losses), "window": self.window},
            )

    def check(self, room_id: str) -> None:
        """Raises ClusterError (1011 to the joiner) while the room is refused here."""
        if room_id in self._losses and len(self._recent(room_id)) > self.limit:
            raise ClusterError(REFUSAL)

    def _recent(self, room_id: str) -> deque[float]:
        """The room's losses within the window (a room with none left is forgotten)."""
        losses = self._losses.setdefault(room_id, deque())
        since = self._clock() - self.window
        while losses and losses[0] < since:
            losses.popleft()
        if not losses:
            self._losses.pop(room_id)
        return losses
