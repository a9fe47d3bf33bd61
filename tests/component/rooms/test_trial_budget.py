"""An editor's updates that each make the room try them on a copy of the document cost that
editor's share of the event loop only: past it their next update waits, nobody else's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pycrdt import Array, Map, Text

from component.rooms.test_room import room_kit
from pairbook.protocol.messages import encode_sync_update
from pairbook.rooms.trialbudget import TrialBudget
from unit.rooms.test_sync import own_update


async def test_trial_copies_are_charged_to_their_sender_only(tmp_path: Path) -> None:
    async with room_kit(tmp_path) as kit:
        trials = TrialBudget(rate=1e-9, burst=0.0)  # any copy at all is past the burst
        kit.room._receiver.trials = trials
        ana, bob = await kit.join("ana"), await kit.join("bob")
        ana.messages(), bob.messages()
        ana_cells: Array[Any] = ana.doc.get("cells", type=Array)
        typed = own_update(ana.doc, lambda: ana_cells[0]["metadata"].__setitem__("k", Map()))
        await kit.send(ana, encode_sync_update(typed))
        assert "k" in kit.room.doc.get("cells", type=Array)[0]["metadata"]  # taken
        assert trials.delay("ana") > 0  # her next update waits
        bob.messages()
        source: Text = bob.doc.get("cells", type=Array)[0]["source"]
        await kit.send(bob, encode_sync_update(own_update(bob.doc, lambda: source.insert(0, "#"))))
        assert trials.delay("bob") == 0.0  # a keystroke is never tried on a copy
