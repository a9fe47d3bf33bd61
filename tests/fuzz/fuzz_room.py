"""Coverage-guided fuzzing of a real room (atheris / libFuzzer, real pycrdt, MemoryStore).

Each input is one frame a peer sends: its first byte picks how the rest is used (a Yjs update
sent as a sync update, the same followed by a restart, or a whole websocket frame). The seed
corpus holds every update stock yjs encoded for the protocol tests, and a stock client's
edits of the room's notebook, so the mutations reach pycrdt's integration, not only the
decoder. After every input the room's document must be exactly what its log rebuilds
(record by record, each applying whole), and the room must load from its log again; the
room may refuse an input only with one of pairbook's own errors.

    python tests/fuzz/fuzz_room.py -runs=5000              # a bounded run
    python tests/fuzz/fuzz_room.py -max_total_time=600 corpus/   # a long run, corpus kept

libFuzzer flags pass through; `-runs` or `-max_total_time` bound the run.
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import atheris

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent)]  # tests/: support/ and unit/ as the test suite sees them

with atheris.instrument_imports(include=["pairbook"]):
    from pairbook.protocol.messages import decode_message  # noqa: F401 (instrumented)
    from pairbook.rooms.room import Room  # noqa: F401 (instrumented)

from pycrdt import Array, Doc  # noqa: E402

from pairbook.notebook.ynotebook import create_ycell  # noqa: E402
from support.notebooks import write_notebook  # noqa: E402
from unit.protocol.npm import run_make_fixtures  # noqa: E402
from unit.rooms.roomkit import RoomKit  # noqa: E402

UPDATE, UPDATE_THEN_RESTART, FRAME = 0, 1, 2
RESET_EVERY = 500
"""Inputs before the room is rebuilt afresh (its log would otherwise only grow)."""
RESTART_EVERY = 50
REPORT_EVERY = 5000


class Harness:
    def __init__(self) -> None:
        self.folder = tempfile.TemporaryDirectory()
        self.notebook = write_notebook(Path(self.folder.name) / "demo.ipynb")
        self.kit = RoomKit(self.notebook)
        self.inputs = 0
        self.tally: Counter[str] = Counter()

    def seeds(self) -> list[bytes]:
        """Stock-yjs updates and frames, and a stock client's edits of this room."""
        fixtures = run_make_fixtures()
        seeds = [bytes([UPDATE]) + bytes.fromhex(u["update"]) for u in fixtures["updates"]]
        seeds += [bytes([FRAME]) + bytes.fromhex(f["frame"]) for f in fixtures["frames"]]
        seeds += [bytes([FRAME]) + bytes.fromhex(a["frame"]) for a in fixtures["awareness"]]
        client: Doc[Any] = Doc(client_id=424242)
        client.apply_update(self.kit.room.doc.get_update())
        cells = client.get("cells", type=Array)
        edits: list[Callable[[], object]] = [
            lambda: cells[1]["source"].insert(0, "x = 2  # 🐍\n"),
            lambda: cells.insert(1, create_ycell(NEW_CELL)),
            lambda: cells[3]["metadata"].__setitem__("tags", ["a"]),
            lambda: cells[2]["source"].__delitem__(slice(0, 3)),
            lambda: cells.__delitem__(0),
        ]
        for edit in edits:
            before = client.get_state()
            edit()
            seeds.append(bytes([UPDATE]) + client.get_update(before))
        return seeds

    def one_input(self, data: bytes) -> None:
        if not data:
            return
        self.inputs += 1
        if self.inputs % RESET_EVERY == 0:
            self.kit.close()
            self.kit = RoomKit(self.notebook)
        mode, payload = data[0] % 3, data[1:]
        unappliable = self.kit.counters.unappliable_updates
        took = self.kit.frame(payload) if mode == FRAME else self.kit.send(payload)
        self.tally["taken" if took else "refused"] += 1
        self.tally["unappliable"] += self.kit.counters.unappliable_updates - unappliable
        self.kit.check()
        if self.inputs % REPORT_EVERY == 0:
            print(f"harness: {self.inputs} inputs, {dict(self.tally)}", file=sys.stderr)
        if mode == UPDATE_THEN_RESTART or self.inputs % RESTART_EVERY == 0:
            self.kit.restart()
            self.kit.check()


NEW_CELL = {"id": "new", "cell_type": "code", "source": "y", "metadata": {}, "outputs": []}


def main() -> None:
    harness = Harness()
    argv = list(sys.argv)
    corpora = [arg for arg in argv[1:] if not arg.startswith("-")]
    if not corpora:
        corpora = [str(Path(harness.folder.name) / "seeds")]
        argv += corpora
    seeds = Path(corpora[0])
    seeds.mkdir(parents=True, exist_ok=True)
    for index, seed in enumerate(harness.seeds()):
        (seeds / f"seed-{index:03}").write_bytes(seed)
    atheris.Setup(argv, harness.one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
