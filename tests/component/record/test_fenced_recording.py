"""The recording is the owner's alone: its events, checkpoints and retention carry the
owner lease's token, a write the store refuses (a later owner fenced the room) loses the
room as a refused log append does, and a process whose lease's time ran out writes nothing
(its events wait for a renewal). A real room on a MemoryStore; the ownership is the test's."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pairbook.errors import FencedError
from pairbook.protocol.closecodes import CloseCode
from pairbook.record import Recorder, Replays
from pairbook.record.service import RecordingService
from pairbook.record.timeline import EventKind
from pairbook.rooms.commits import MOVED
from support.servicekit import Kit, service_kit


class Ownership:
    """This process's lease of the room as the test sets it: its token (None: its time ran
    out, or the room moved)."""

    def __init__(self, token: int | None) -> None:
        self.current = token

    def token(self, room: str) -> int | None:
        return self.current

    def owns(self, room: str) -> bool:
        return self.current is not None


@contextlib.asynccontextmanager
async def owned_recording(
    tmp_path: Path, *, retention: float | None = None
) -> AsyncIterator[tuple[Kit, RecordingService, Ownership]]:
    async with service_kit(tmp_path) as kit:
        room, lease = kit.room, Ownership(1)
        room.ownership = lease  # type: ignore[assignment]  # the port's other methods: unused
        recorder = Recorder(
            room.id, room.doc, kit.store, lambda: room.last_seq, clock=kit.clock,
            checkpoint_every=1, owner_write=kit.handle.owner_write,
        )  # fmt: skip
        replayer = Replays(kit.store).get(room.id)
        recording = RecordingService(
            kit.handle, recorder, replayer, retention=retention, clock=kit.clock
        )
        room.attach([recording])
        await kit.store.raise_fence(room.id, 1)  # as the lease keeper does when it is taken
        await recording.start()
        try:
            yield kit, recording, lease
        finally:
            await recording.close()


async def kinds(kit: Kit) -> list[str]:
    return [e.kind for e in await kit.store.events(kit.room.id)]


async def test_the_owners_recording_carries_its_token_and_raises_the_fence(
    tmp_path: Path,
) -> None:
    async with owned_recording(tmp_path) as (kit, recording, lease):
        lease.current = 3
        ana = await kit.join("ana")
        await recording.upkeep(0)
        assert "join" in await kinds(kit)
        assert await kit.store.checkpoint_seqs(kit.room.id) == [kit.room.last_seq]
        assert await kit.store.raise_fence(kit.room.id, 1) == 3
        assert ana.peer.close_request is None


async def test_a_recording_write_refused_by_the_fence_loses_the_room(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with owned_recording(tmp_path) as (kit, recording, _):
        ana = await kit.join("ana")
        await recording.flush()
        before = await kinds(kit)
        # Another process took the room over while this one (paused) still believes it owns it.
        await kit.store.raise_fence(kit.room.id, 2)
        recording.recorder.note(EventKind.COMMAND, "ana", {"command": "late"})
        await recording.upkeep(0)  # events and a checkpoint: refused; no exception escapes
        assert await kinds(kit) == before
        assert kit.room.lost == MOVED
        assert ana.peer.close_request == (CloseCode.GOING_AWAY, f"{MOVED}; reconnect in a moment")
        assert "owner write fenced off" in caplog.messages
        with pytest.raises(FencedError):  # the next write, too: the room is gone here
            await kit.handle.owner_write(
                lambda fence: kit.store.save_checkpoint(kit.room.id, b"c", 1, fence=fence)
            )


async def test_retention_refused_by_the_fence_deletes_nothing_and_loses_the_room(
    tmp_path: Path,
) -> None:
    async with owned_recording(tmp_path, retention=1.0) as (kit, recording, _):
        room, store = kit.room, kit.store
        seq = room.last_seq
        await store.save_snapshot(room.id, room.doc.get_update(), seq)
        await store.save_checkpoint(room.id, b"c", seq)
        kit.clock.now = time.time() + 3600.0  # every record is older than the retention
        records = await store.records(room.id)
        await store.raise_fence(room.id, 2)
        with pytest.raises(FencedError):
            await recording.prune_old(seq)
        assert await store.records(room.id) == records
        assert await store.checkpoint_seqs(room.id) == [seq]
        assert room.lost == MOVED


async def test_a_process_whose_lease_ran_out_writes_no_recording_until_it_owns_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "pairbook.recording")
    async with owned_recording(tmp_path) as (kit, recording, lease):
        ana = await kit.join("ana")
        lease.current = None  # its lease's time ran out on its own clock: no renewal yet
        await recording.upkeep(0)
        await recording.flush()
        assert await kinds(kit) == []
        assert "recording not written" in caplog.messages
        assert kit.room.lost is None
        lease.current = 1  # the next renewal said it still owns the room
        await recording.flush()
        assert await kinds(kit) == ["join"]
        assert ana.peer.close_request is None
