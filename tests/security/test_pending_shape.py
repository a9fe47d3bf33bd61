"""Structs a room holds pending (an update with a skip: what they build on comes later) are
integrated by the update that fills the gap: the shape trial and the structure index must
count them, or a two-step update leaves what no notebook client can read, the room reloads
and every peer reconnects (1011), as often as an editor likes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pycrdt import Array, Doc, Map, Text, merge_updates

from pairbook.protocol.messages import encode_sync_update
from support.client import RawPeer, YClient
from support.server import ServerProcess

ROOM = "demo.ipynb"
Change = Callable[[Doc[Any]], None]


def transaction(doc: Doc[Any], change: Change) -> bytes:
    updates: list[bytes] = []
    subscription = doc.observe(lambda event: updates.append(event.update))
    with doc.transaction():
        change(doc)
    doc.unobserve(subscription)
    return updates[0]


def full_cell(cell_id: str) -> Map[Any]:
    return Map({"id": cell_id, "cell_type": "code", "source": Text("ok = 1"),
                "metadata": Map(), "outputs": Array(), "execution_count": None})  # fmt: skip


def cells(doc: Doc[Any]) -> Array[Any]:
    ycells: Array[Any] = doc.get("cells", type=Array)
    return ycells


def pending_number(eve: Doc[Any]) -> tuple[list[bytes], list[str]]:
    """A number held pending after a new cell, then that cell: the cell brings the number."""
    typed = transaction(eve, lambda doc: cells(doc)[2]["source"].insert(0, "#"))
    gap = transaction(eve, lambda doc: cells(doc).append(full_cell("new")))
    number = transaction(eve, lambda doc: cells(doc).append(42))
    return [merge_updates(typed, number), gap], ["intro", "code-0", "code-1"]


def spoiled_later(spoil: Change) -> Callable[[Doc[Any]], tuple[list[bytes], list[str]]]:
    """A valid cell held pending, the gap filled, then the cell that waited spoiled: every
    step but the last leaves a valid notebook."""

    def frames(eve: Doc[Any]) -> tuple[list[bytes], list[str]]:
        typed = transaction(eve, lambda doc: cells(doc)[2]["source"].insert(0, "#"))
        gap = transaction(eve, lambda doc: cells(doc).append(full_cell("new")))
        pending = transaction(eve, lambda doc: cells(doc).append(full_cell("later")))
        spoiled = transaction(eve, spoil)
        return [merge_updates(typed, pending), gap, spoiled], [
            "intro", "code-0", "code-1", "new", "later"
        ]  # fmt: skip

    return frames


def plain_source(doc: Doc[Any]) -> None:
    cells(doc)[-1]["source"] = "print('plain')"


def number_after(doc: Doc[Any]) -> None:
    cells(doc).append(42)


def pending_deletion(eve: Doc[Any]) -> tuple[list[bytes], list[str]]:
    """The outputs of a new cell deleted before the cell arrives (a deletion in a skip's
    gap), then the cell: the document would hold the deletion pending, and the cell would
    bring it, unseen by the cell's trial."""
    typed = transaction(eve, lambda doc: cells(doc)[2]["source"].insert(0, "#"))
    gap = transaction(eve, lambda doc: cells(doc).append(full_cell("new")))
    gone = transaction(eve, lambda doc: cells(doc)[-1].__delitem__("outputs"))
    later = transaction(eve, lambda doc: cells(doc)[2]["source"].insert(0, "#"))
    return [merge_updates(typed, gone, later), gap], ["intro", "code-0", "code-1"]


STEPS = {
    "a deletion held pending": pending_deletion,
    "a number held pending": pending_number,
    "a source set plain on a cell that waited": spoiled_later(plain_source),
    "a number after a cell that waited": spoiled_later(number_after),
}


@pytest.mark.parametrize("name", sorted(STEPS))
async def test_a_misshapen_cell_built_on_structs_held_pending_is_refused(
    server: ServerProcess, name: str
) -> None:
    url = server.ws_url(ROOM)
    editor = server.join("editor", "Eve")[0]
    async with YClient(url) as ana:
        relayed: list[bytes] = []
        ana.doc.observe(lambda event: relayed.append(event.update))
        eve: Doc[Any] = Doc()
        eve.apply_update(ana.doc.get_update())
        frames, ids = STEPS[name](eve)
        async with RawPeer(server.ws_url(ROOM, editor)) as rogue:
            for frame in frames:
                await rogue.send(encode_sync_update(frame))
            code, _ = await rogue.closed_with()
        # Refused (4403), or, for a deletion in a skip's gap, told to reload (4409): the
        # room does not hold what it deletes.
        assert code == (4409 if name == "a deletion held pending" else 4403)
        # Nobody else was disturbed: Ana is still connected, her next edit reaches others,
        # and every item of the cells is a cell.
        await ana.edit(lambda doc: cells(doc)[1]["source"].insert(0, "# on\n"))
        async with YClient(url) as later:
            await later.wait_until(lambda: later.source(1).startswith("# on"))
            assert [cell["id"] for cell in later.cells] == ids
