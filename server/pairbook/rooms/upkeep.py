"""A room's upkeep each time its life loop wakes, and how many beats it may then rest.

Every open room woke every tick (0.25 s) for its upkeep: 2,000 wake-ups a second at 500
rooms, as many as the updates of bench/fanout's many rooms, and almost all of them found
nothing to do (py-spy on the server under that bench, session 17: the rooms' life loops
were 8 % of the event loop's busy samples, about 15 µs of the loop's CPU per update). A
room whose upkeep has nothing that comes due by a clock of its own now rests up to `REST`
beats: it has peers (an empty room counts down to its unload), no broker feed, no peer's
sync pending, no file look marked, no recorded events waiting, and its autosave and
keep-alive fall due later. A change does not wake it (a wake-up per update cost more):
it wakes in time for the change's autosave anyway, since it rests no longer than that.
What rests may be late by up to `REST` beats: a new snapshot, a recording checkpoint, a
file look the disk watch marks while the room rests. An autosave put off for want of a slot
(rooms/saving.py) is still due: the room does not rest then.
"""

from __future__ import annotations

import logging
from typing import Protocol

from pairbook.errors import is_failure
from pairbook.protocol.closecodes import CloseCode
from pairbook.rooms.diskwatch import poll_if_marked
from pairbook.rooms.openroom import OpenRoom
from pairbook.rooms.policy import RoomPolicy
from pairbook.rooms.saving import Saves, autosave, snapshot
from pairbook.store.port import Store

log = logging.getLogger("pairbook.rooms")

REST = 4
"""Beats a room with nothing due may sleep through (a second at the default tick)."""

INDEX_AT_REST_BYTES = 64 * 1024
"""A room with peers whose document encodes to at most this many bytes has its structure
indexed by its upkeep (`Room.index_at_rest`), not by its first peer's update."""


class Recording(Protocol):
    """What the upkeep asks of the room's recording service."""

    @property
    def holding(self) -> bool: ...

    async def upkeep(self, snapshot_seq: int) -> None: ...


async def upkeep(
    entry: OpenRoom,
    store: Store,
    policy: RoomPolicy,
    recording: Recording | None,
    now: float,
    *,
    keepalive: bool,
    saves: Saves,
) -> None:
    """One wake-up's upkeep of a room (`now`: `time.monotonic()`): keep-alives (if
    `keepalive`), sync timeouts, autosave, marked file looks, the broker feed, snapshots
    (those two a few rooms at a time: `saves`), the recording. A failure is logged."""
    room = entry.room
    try:
        if room.peers:
            room.index_at_rest(INDEX_AT_REST_BYTES)
        if keepalive:
            for peer in room.peers:
                peer.keep_alive()
        for peer in room.expired_syncs():
            peer.request_close(
                CloseCode.SYNC_TIMEOUT,
                "your client did not send its document state in time; reconnect",
            )
        await autosave(entry, policy, saves, now)
        if entry.looks.found is not None:  # marked by the disk watch
            await poll_if_marked(entry.looks, entry.filesync)
        if room.feed is not None:
            await room.feed.upkeep(now)
        await snapshot(entry, policy, saves, store)
        if recording is not None:
            await recording.upkeep(entry.snapshot_seq)
    except BaseException as exc:
        if not is_failure(exc):
            raise
        log.error("room upkeep failed", exc_info=exc, extra={"room": room.id})


def rest(
    entry: OpenRoom, recording: Recording | None, policy: RoomPolicy, now: float, keepalive: float
) -> float:
    """Seconds from `now` the room may sleep before its next upkeep (0: its next beat):
    up to `REST` ticks, no later than its autosave or its keep-alives (`keepalive`: when
    they are due), and not at all while anything else may come due sooner."""
    room = entry.room
    if (
        not room.peers
        or room.feed is not None
        or entry.looks.found is not None
        or (recording is not None and recording.holding)
        or any(room.sync.pending(peer) is not None for peer in room.peers)
    ):
        return 0.0
    seconds = min(REST * policy.tick, keepalive - now)
    if room.last_change:
        seconds = min(seconds, room.last_change + policy.autosave_delay - now)
    return max(seconds, 0.0)
