"""Saves: how many rooms' autosaves and snapshots run at once in one process.

Rooms that went quiet together (every typist of 500 rooms stopping at once, a server whose
rooms idle together) came due for their autosave in the same tick, and every room of a beat
slot (rooms/beat.py) started its save at once: the notebook turned into its file's bytes on
the loop, the file, its twin's render and the store's writes in threads contending with the
loop for the GIL. The event loop stood still for 250-950 ms at a time
(bench/autosave_burst.py, 500 rooms), and every frame arriving meanwhile waited it out. A
room whose save is due takes one of `at_once` slots, or tries again at its next wake-up (a
tick later), its changes still due: no room's upkeep waits for another's save, and every
change is saved. A room unloading or shutting saves without a slot: that is never put off.
"""

from __future__ import annotations

from pairbook.rooms import unloading
from pairbook.rooms.feed import snapshot_lock
from pairbook.rooms.openroom import OpenRoom
from pairbook.rooms.policy import RoomPolicy
from pairbook.store.port import Store


class Saves:
    """The slots of the autosaves and snapshots running in this process."""

    def __init__(self, at_once: int) -> None:
        if at_once < 1:
            raise ValueError(f"at_once must be 1 or more, got {at_once}")
        self.at_once = at_once
        self.running = 0
        self.put_off = 0  # saves that found every slot taken (and waited a tick)

    def take(self) -> bool:
        """Take a slot if one is free."""
        if self.running >= self.at_once:
            self.put_off += 1
            return False
        self.running += 1
        return True

    def give_back(self) -> None:
        self.running -= 1


async def autosave(entry: OpenRoom, policy: RoomPolicy, saves: Saves, now: float) -> None:
    """Save the room's file once its changes have been quiet for `autosave_delay`."""
    room = entry.room
    # Not while a change is applied but not yet logged: if its log write failed, the file
    # would hold what the log does not (the room then reloads from it).
    quiet = now - room.last_change >= policy.autosave_delay and not room.inflight
    if not (room.last_change and quiet) or not saves.take():
        return
    room.last_change = 0.0  # a change made during the save sets it again
    try:
        await entry.filesync.save()
    finally:
        saves.give_back()


async def snapshot(entry: OpenRoom, policy: RoomPolicy, saves: Saves, store: Store) -> None:
    """Snapshot the room once its log grew by `snapshot_every` records since the last."""
    room = entry.room
    if room.last_seq - entry.snapshot_seq < policy.snapshot_every or not saves.take():
        return
    try:
        async with snapshot_lock(room) as ours:
            if ours:
                await unloading.save_snapshot(entry, store)
    finally:
        saves.give_back()
