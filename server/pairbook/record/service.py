"""RecordingService: a room's recorder and replayer as a room service — its commands
(turning recording on and off, restoring a past state, blame of the live document), the
room's timeline notes (joins, leaves, presence, commands), and the upkeep (events written,
checkpoints, retention)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from pycrdt import Doc

from pairbook.auth import Role
from pairbook.errors import ClusterError, FencedError, StoreError
from pairbook.record.arguments import recorded_arguments
from pairbook.record.recorder import Recorder
from pairbook.record.replayer import Replayer
from pairbook.record.restore import restore_cell, restore_notebook
from pairbook.record.timeline import EventKind, recording_flag, set_recording_flag
from pairbook.schema import SERVER_COLOR
from pairbook.service import Arg, ArgType, Command, CommandTable, Member, RoomHandle
from pairbook.types import UserId

log = logging.getLogger("pairbook.recording")

RETENTION_EVERY = 60.0
"""Seconds between two retention passes of an open room."""
MAX_SEQ = 2**53


class RecordingService:
    """One room's recording: turning it on and off, restoring a past state, blame of the
    live document, the timeline notes, and the upkeep (events written, checkpoints,
    retention)."""

    def __init__(
        self,
        room: RoomHandle,
        recorder: Recorder,
        replayer: Replayer,
        *,
        retention: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.room = room
        self.recorder = recorder
        self.replayer = replayer
        self.retention = retention
        self._clock = clock
        self._next_retention = 0.0
        self.commands = TABLE.bind(self)

    # -- the room's notes ----------------------------------------------------------------

    def note(self, kind: str, user: str, data: dict[str, Any]) -> None:
        self.recorder.note(EventKind(kind), user, data)

    def note_awareness(self, user: str, client: int, state: dict[str, Any] | None) -> None:
        self.recorder.note_awareness(user, client, state)

    def note_command(self, member: Member, body: dict[str, Any]) -> None:
        self.recorder.note(EventKind.COMMAND, member.user.id, recorded_arguments(body))

    # -- commands ------------------------------------------------------------------------

    async def blame(self, member: Member, body: dict[str, Any]) -> dict[str, Any]:
        cell = str(body["cell"])
        seq = body.get("seq")
        at = self.room.last_seq if not isinstance(seq, int) else seq
        await self.room.settle()
        lines = await self.replayer.blame(at, cell)
        return {
            "cell": cell,
            "seq": at,
            "lines": [line.to_json() for line in lines],
            "people": await self.replayer.people(),
            "server_color": SERVER_COLOR,
        }

    async def switch(self, member: Member, body: dict[str, Any]) -> dict[str, Any]:
        on, user = bool(body["on"]), member.user.id
        await self.room.apply_server_edit(
            lambda doc: set_recording_flag(doc, on, user, self._clock()), user, protected=True
        )
        await self.flush()
        return recording_flag(self.room.doc)

    async def restore_command(self, member: Member, body: dict[str, Any]) -> dict[str, Any]:
        return await self.restore(member.user.id, body.get("seq"), body.get("cell"))

    async def restore(self, user_id: str, seq: object, cell: object = None) -> dict[str, Any]:
        """Copy the notebook (or one cell) as it was after record `seq` into the live room,
        as an edit by `user_id`. The caller checks that this person may edit."""
        if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq <= MAX_SEQ:
            raise ValueError("restore needs 'seq': the moment (log position) to restore")
        if cell is not None and not isinstance(cell, str):
            raise ValueError("restore's 'cell' must be a cell id (or absent for the notebook)")
        shown = await self.replayer.visible(seq)
        past = await self.replayer.doc_at(shown)

        def restore(doc: Doc[Any]) -> None:
            if cell is None:
                restore_notebook(doc, past)
            else:
                restore_cell(doc, past, cell)

        # A normal edit by the person who asked: it reaches everyone and can be undone by
        # restoring again; nothing is overwritten behind anyone's back.
        new_seq = await self.room.apply_server_edit(restore, UserId(user_id))
        self.recorder.note(EventKind.RESTORE, user_id, {"from_seq": shown, "cell": cell})
        return {"restored": shown, "cell": cell, "seq": new_seq}

    # -- life ----------------------------------------------------------------------------

    async def flush(self, *, held: bool = False) -> None:
        """Write the events noted so far (`held`: the presence held back, too). Not when
        this process no longer runs the room: they wait (ClusterError: its lease's time ran
        out, the next renewal says whether it still owns the room) or die with the room
        (FencedError: a later owner took it over and records it now)."""
        try:
            await self.recorder.flush(held=held)
        except (ClusterError, FencedError) as exc:
            _not_recorded(self.room.id, exc)

    async def start(self) -> None:
        """When the room opens: the recorder starts, then the first retention pass, before
        anyone sees the replay."""
        await self.recorder.start()
        if self.retention is None:
            return
        self._next_retention = self._clock() + RETENTION_EVERY
        try:
            await self.prune_old(self.room.last_seq)
        except (StoreError, ClusterError) as exc:
            # The stored snapshot is older (the next pass will do), or this process no
            # longer runs the room (a write fenced off lost it: there is no next pass).
            log.info(
                "recording retention postponed", extra={"room": self.room.id, "reason": str(exc)}
            )

    async def close(self) -> None:
        """When the room unloads (after its last flush): stop watching the document."""
        self.recorder.unwatch()

    @property
    def holding(self) -> bool:
        """Whether the next upkeep has events to write (the room's life loop then keeps
        to its tick; see rooms/upkeep.py)."""
        return self.recorder.holding

    async def upkeep(self, snapshot_seq: int) -> None:
        """From the room's own task: write events, checkpoint, apply retention (none of
        it once this process no longer runs the room; see `flush`)."""
        try:
            await self._upkeep(snapshot_seq)
        except (ClusterError, FencedError) as exc:
            _not_recorded(self.room.id, exc)

    async def _upkeep(self, snapshot_seq: int) -> None:
        await self.recorder.flush()
        room = self.room
        if room.last_seq - self.recorder.last_checkpoint >= self.recorder.checkpoint_every:
            await room.settle()
            if not room.inflight:
                await self.recorder.checkpoint(room.last_seq)
        if self.retention is not None and self._clock() >= self._next_retention:
            self._next_retention = self._clock() + RETENTION_EVERY
            await self.prune_old(snapshot_seq)

    async def prune_old(self, snapshot_seq: int) -> int:
        """Retention: drop the recording older than `retention` seconds, up to the newest
        checkpoint before it (the moments after it stay replayable)."""
        assert self.retention is not None
        store, room_id = self.recorder.store, self.room.id
        cutoff = await store.seq_at(room_id, self._clock() - self.retention)
        upto = max(
            (s for s in await store.checkpoint_seqs(room_id) if s <= min(cutoff, snapshot_seq)),
            default=0,
        )
        first, _ = await self.replayer.bounds()
        if upto <= first:
            return 0
        pruned = await self.room.owner_write(
            lambda fence: store.prune_recording(room_id, upto, fence=fence)
        )
        log.info("recording retention", extra={"room": room_id, "upto": upto})
        return pruned


def _not_recorded(room: str, exc: ClusterError | FencedError) -> None:
    # A refused write was logged as it lost the room (RoomHandle.owner_write).
    if isinstance(exc, ClusterError):
        log.info("recording not written", extra={"room": room, "reason": str(exc)})


def _valid_seq(seq: int) -> str | None:
    if 0 <= seq <= MAX_SEQ:
        return None
    return "restore needs 'seq': the moment (log position) to restore"


# Editors and the owner may pause recording: anyone editing may ask not to be recorded, and
# everyone in the room sees that it is off.
EDITS = "viewers cannot change the recording or restore versions"

TABLE = CommandTable.of(
    "record",
    [
        Command("recording", RecordingService.switch, role=Role.EDITOR, refusal=EDITS,
                args=(Arg("on", ArgType.BOOLEAN, doc="true or false"),)),
        Command("restore", RecordingService.restore_command, role=Role.EDITOR, refusal=EDITS,
                driver_only=True,
                args=(Arg("seq", ArgType.INTEGER, validator=_valid_seq,
                          doc="the moment (log position) to restore"),
                      Arg("cell", ArgType.STRING, required=False,
                          doc="a cell id (or absent for the notebook)"))),
        Command("blame", RecordingService.blame, recorded=False,
                args=(Arg("cell", ArgType.STRING, doc="the id of a cell"),
                      Arg("seq", ArgType.INTEGER, required=False, doc="a log position"))),
    ],
)  # fmt: skip
