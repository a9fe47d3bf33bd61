"""Blame from the checkpoints the recorder keeps matches a replay of the whole log, on
random histories of three people typing, deleting, adding, moving and deleting cells."""

from __future__ import annotations

import random
from typing import Any

import pytest
from pycrdt import Array, Doc, Map, Text

from pairbook.record import Recorder, Replayer
from pairbook.record.blame import Blame, LineBlame
from pairbook.record.checkpoints import unpack_blame
from pairbook.store import MemoryStore

ROOM = "random.ipynb"
PEOPLE = ("ana", "bo", "cy")


def new_cell(cell_id: str, text: str) -> Map[Any]:
    return Map({"id": cell_id, "cell_type": "code", "source": Text(text), "metadata": Map({})})


def random_edit(rng: random.Random, cells: Array[Any], serial: int) -> None:
    """One person's edit: mostly typing, sometimes deleting text, adding, moving (delete
    and re-insert under the same id, as @jupyter/ydoc does) or deleting a cell. ASCII
    only: pycrdt counts text positions in bytes, these picks count characters."""
    roll = rng.random()
    if not len(cells) or roll < 0.05:
        cells.insert(rng.randint(0, len(cells)), new_cell(f"c{serial}", "x = 1\n"))
    elif roll < 0.08 and len(cells) > 1:
        index = rng.randrange(len(cells))
        cell = cells[index].to_py()
        del cells[index]
        cells.insert(rng.randint(0, len(cells)), new_cell(cell["id"], cell["source"]))
    elif roll < 0.10 and len(cells) > 1:
        del cells[rng.randrange(len(cells))]
    else:
        text: Text = cells[rng.randrange(len(cells))]["source"]
        at = rng.randint(0, len(str(text)))
        if roll < 0.25 and len(str(text)) > at:
            del text[at : min(len(str(text)), at + rng.randint(1, 6))]
        else:
            text.insert(at, rng.choice(("a", "bc", " = ", "\n", "print(x)\n")))


async def record_history(store: MemoryStore, seed: int, edits: int, every: int) -> None:
    """`edits` records by three people (their documents kept in sync), with the recorder's
    checkpoints every `every` records over a server document that has them all."""
    rng = random.Random(seed)
    docs: dict[str, Doc[Any]] = {
        user: Doc(client_id=index + 1) for index, user in enumerate(PEOPLE)
    }
    server: Doc[Any] = Doc()
    recorder = Recorder(ROOM, server, store, lambda: 0, checkpoint_every=every)
    for serial in range(edits):
        user = rng.choice(PEOPLE)
        doc = docs[user]
        before = doc.get_state()
        with doc.transaction():
            random_edit(rng, doc.get("cells", type=Array), serial)
        update = doc.get_update(before)
        seq = await store.append(ROOM, update, user, [doc.client_id])
        for other in docs.values():
            if other is not doc:
                other.apply_update(update)
        server.apply_update(update)
        await recorder.checkpoint(seq)


async def linear_blame(store: MemoryStore, seq: int) -> Blame:
    blame = Blame()
    for record in await store.records(ROOM, 0, limit=seq):
        blame.apply(record)
    return blame


def comparable(line: LineBlame) -> tuple[Any, ...]:
    """A line's blame, its time in whole milliseconds, rounded as a checkpoint keeps it
    (round(ts, 3) differs from that now and then, at a float's half-millisecond)."""
    return (line.line, line.text, line.user_id, line.seq, round(line.ts * 1000), line.authors)


@pytest.mark.parametrize("seed", range(6))
async def test_a_cold_blame_from_checkpoints_matches_a_replay_of_the_whole_log(seed: int) -> None:
    async with MemoryStore() as store:
        await check_cold_blames(store, seed)


async def check_cold_blames(store: MemoryStore, seed: int) -> None:
    await record_history(store, seed, edits=400, every=50)
    checkpoints = await store.checkpoint_seqs(ROOM)
    assert checkpoints == list(range(50, 401, 50))
    for at in checkpoints:  # every one carries the blame of its moment
        checkpoint = await store.checkpoint(ROOM, at)
        assert checkpoint is not None
        assert unpack_blame(checkpoint.snapshot) is not None
    rng = random.Random(seed)
    for seq in [400, 399, 50, 51, *rng.sample(range(1, 400), 8)]:
        expected = await linear_blame(store, seq)
        replayer = Replayer(store, ROOM, save_checkpoints=False)  # cold: nothing cached
        for cell_id in expected.cell_ids():
            got = [comparable(line) for line in await replayer.blame(seq, cell_id)]
            assert got == [comparable(line) for line in expected.lines(cell_id)], (seq, cell_id)


async def test_a_blame_kept_with_a_checkpoint_comes_back_the_same() -> None:
    async with MemoryStore() as store:
        await record_history(store, 7, edits=120, every=1000)
        blame = await linear_blame(store, 120)
    again = Blame.restore(blame.doc.get_update(), blame.seq, blame.state())
    assert again.cell_ids() == blame.cell_ids()
    for cell_id in blame.cell_ids():
        expected = [comparable(line) for line in blame.lines(cell_id)]
        assert [comparable(line) for line in again.lines(cell_id)] == expected
