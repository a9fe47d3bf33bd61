"""A state machine over a real room (real pycrdt, the reference MemoryStore): stock-yjs
updates, a peer's own edits and server edits, mutated or not, in any order, with restarts.
After every step the room's document is exactly what its log rebuilds, record by record."""

from __future__ import annotations

import functools
import random
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from pycrdt import Array, Doc, Map, Text

from pairbook.protocol.update import decode_state_vector
from pairbook.types import DISK_USER, SERVER_USER
from support.notebooks import write_notebook
from unit.protocol.npm import run_make_fixtures
from unit.rooms.roomkit import RoomKit, mutate


@functools.cache
def stock_updates() -> tuple[bytes, ...]:
    """Every update stock yjs encoded for the protocol tests (the pycrdt gaps included)."""
    fixtures = run_make_fixtures()
    updates = [bytes.fromhex(case["update"]) for case in fixtures["updates"]]
    updates += [
        bytes.fromhex(frame["input"])
        for frame in fixtures["frames"]
        if frame["kind"] in ("sync_update", "sync_step2")
    ]
    return tuple(updates)


def texts_of(cells: Array[Any]) -> list[Text]:
    """The cells' sources (a mutated update that got in may have added odd cells)."""
    return [
        cell["source"]
        for cell in cells
        if isinstance(cell, Map) and isinstance(cell.get("source"), Text)
    ]


class RoomMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.TemporaryDirectory()
        notebook = write_notebook(Path(self.folder.name) / "demo.ipynb")
        self.kit = RoomKit(notebook)
        self.rnd = random.Random(0)
        self.mirror = self.fresh_mirror()

    def fresh_mirror(self) -> Doc[Any]:
        """A stock client's copy of the room under a new client id (an old one may hold
        edits the room refused: writing on from it would reuse its clocks)."""
        mirror: Doc[Any] = Doc(client_id=self.rnd.randrange(1, 1 << 32))
        mirror.apply_update(self.kit.room.doc.get_update())
        return mirror

    def catch_up(self) -> None:
        self.mirror.apply_update(self.kit.room.doc.get_update(self.mirror.get_state()))

    @rule(index=st.integers(min_value=0), seed=st.integers(0, 2**32), edits=st.integers(0, 4))
    def stock_update(self, index: int, seed: int, edits: int) -> None:
        updates = stock_updates()
        update = updates[index % len(updates)]
        self.kit.send(mutate(update, random.Random(seed), edits))
        self.mirror = self.fresh_mirror()

    @rule(
        kind=st.sampled_from(["type", "cell", "delete", "metadata"]),
        text=st.text(st.characters(codec="utf-8"), min_size=1, max_size=8),
        seed=st.integers(0, 2**32),
        edits=st.sampled_from([0, 0, 1, 2, 3]),
    )
    def peer_edit(self, kind: str, text: str, seed: int, edits: int) -> None:
        self.catch_up()
        rnd = random.Random(seed)
        before = self.mirror.get_state()
        cells = self.mirror.get("cells", type=Array)
        sources = texts_of(cells)
        if kind == "type" and sources:
            source = rnd.choice(sources)
            source.insert(rnd.randrange(len(source) + 1), text)
        elif kind == "cell" or not len(cells):
            cells.insert(
                rnd.randrange(len(cells) + 1),
                Map(
                    {
                        "id": f"c{seed}",
                        "cell_type": "code",
                        "source": Text(text),
                        "metadata": Map(),
                        "outputs": Array(),
                    }
                ),
            )
        elif kind == "delete" and len(cells) > 1:
            del cells[rnd.randrange(len(cells))]
        else:
            cell = cells[rnd.randrange(len(cells))]
            if isinstance(cell, Map):
                cell["metadata"] = Map({"tag": text})
        update = mutate(self.mirror.get_update(before), rnd, edits)
        took = self.kit.send(update)
        if edits or not took:
            self.mirror = self.fresh_mirror()

    @rule(text=st.text(min_size=1, max_size=8), protected=st.booleans(), fail=st.booleans())
    def server_edit(self, text: str, protected: bool, fail: bool) -> None:
        def edit(doc: Doc[Any]) -> None:
            if protected:
                doc.get("kernel", type=Map)["status"] = text
            else:
                sources = texts_of(doc.get("cells", type=Array))
                if sources:
                    sources[0].insert(0, text)
            if fail:
                raise RuntimeError("an edit that fails half-way")

        author = SERVER_USER if protected else DISK_USER
        try:
            self.kit.run(self.kit.room.apply_server_edit(edit, author, protected=protected))
        except RuntimeError:
            assert fail

    @rule()
    def restart(self) -> None:
        self.kit.restart()
        self.mirror = self.fresh_mirror()

    @invariant()
    def document_is_its_log(self) -> None:
        self.kit.check()

    @invariant()
    def the_room_knows_what_its_document_holds(self) -> None:
        room = self.kit.room
        assert room.sync.state_vector == decode_state_vector(room.doc.get_state())

    def teardown(self) -> None:
        self.kit.close()
        self.folder.cleanup()


RoomMachine.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_room_machine = RoomMachine.TestCase
