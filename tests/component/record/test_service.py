"""The recording service in a real room: the room's notes reach the timeline, recording is
turned off and on, a past moment is restored as an edit, blame of the live document, and
the commands' roles and arguments."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from pairbook.auth import Role
from pairbook.notebook.outputs import find_ycell
from pairbook.record import Recorder, Replays
from pairbook.record.service import RecordingService
from pairbook.types import UserId
from support.servicekit import Kit, service_kit


@contextlib.asynccontextmanager
async def recording_kit(tmp_path: Path) -> AsyncIterator[tuple[Kit, RecordingService]]:
    async with service_kit(tmp_path) as kit:
        room = kit.room
        recorder = Recorder(room.id, room.doc, kit.store, lambda: room.last_seq, clock=kit.clock)
        replayer = Replays(kit.store).get(room.id)
        recording = RecordingService(kit.handle, recorder, replayer, clock=kit.clock)
        room.attach([recording])
        await recording.start()
        try:
            yield kit, recording
        finally:
            await recording.close()


async def events(kit: Kit, recording: RecordingService) -> list[tuple[str, str, Any]]:
    await recording.flush(held=True)
    found = await kit.store.events(kit.room.id)
    return [(e.kind, e.user_id, json.loads(e.data)) for e in found]


def source(kit: Kit, cell: str) -> str:
    ycell = find_ycell(kit.room.doc, cell)
    assert ycell is not None
    return str(ycell["source"])


async def test_joins_commands_and_leaves_reach_the_timeline(tmp_path: Path) -> None:
    async with recording_kit(tmp_path) as (kit, recording):
        ana = await kit.join("ana")
        await ana.ok("whoami")  # read-only: not recorded
        await ana.ok("recording", on=True)
        kit.room.leave(ana.peer)
        kinds = [(kind, user) for kind, user, _ in await events(kit, recording)]
        assert ("join", "ana") in kinds
        assert ("command", "ana") in kinds
        assert ("leave", "ana") in kinds
        commands = [d for kind, _, d in await events(kit, recording) if kind == "command"]
        assert commands == [{"command": "recording", "on": True}]


async def test_recording_is_turned_off_by_an_editor_never_a_viewer(tmp_path: Path) -> None:
    async with recording_kit(tmp_path) as (kit, recording):
        ana = await kit.join("ana")
        vic = await kit.join("vic", Role.VIEWER)
        refusal = "viewers cannot change the recording or restore versions"
        assert await vic.refused("recording", on=False) == refusal
        assert await ana.refused("recording") == "recording needs 'on': true or false"
        state = await ana.ok("recording", on=False)
        assert state["on"] is False
        assert recording.recorder.on is False
        assert (await ana.ok("recording", on=True))["on"] is True


async def test_a_past_moment_is_restored_as_an_edit_by_the_asker(tmp_path: Path) -> None:
    async with recording_kit(tmp_path) as (kit, _):
        ana = await kit.join("ana")
        before, moment = source(kit, "code-0"), kit.room.last_seq

        def rewrite(doc: Any) -> None:
            ycell = find_ycell(doc, "code-0")
            assert ycell is not None
            ycell["source"].insert(0, "# changed\n")

        await kit.handle.apply_server_edit(rewrite, UserId("ana"))
        assert source(kit, "code-0") != before
        assert await ana.refused("restore", seq=-1) == (
            "restore needs 'seq': the moment (log position) to restore"
        )
        assert await ana.refused("restore", seq=moment, cell=3) == (
            "restore's 'cell' must be a cell id (or absent for the notebook)"
        )
        result = await ana.ok("restore", seq=moment, cell="code-0")
        assert result["restored"] <= moment
        assert result["cell"] == "code-0"
        assert source(kit, "code-0") == before


async def test_blame_of_the_live_document(tmp_path: Path) -> None:
    async with recording_kit(tmp_path) as (kit, _):
        vic = await kit.join("vic", Role.VIEWER)  # viewers may read who wrote what
        blame = await vic.ok("blame", cell="code-0")
        assert blame["cell"] == "code-0"
        assert blame["seq"] == kit.room.last_seq
        assert blame["lines"]
        assert await vic.refused("blame") == "blame needs 'cell': the id of a cell"
