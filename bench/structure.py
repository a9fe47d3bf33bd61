"""What the room's structure index (`rooms.structure`) costs: building it from a document,
reading a typing update (the hot path: must stay ~0), and the copy an update touching the
structure is tried on (`rooms.trial`), for notebooks of 30, 300 and 1,000 cells.
Run: .venv/bin/python bench/structure.py
"""

from __future__ import annotations

import timeit
from typing import Any

from pycrdt import Array, Doc, Map, Text

from pairbook.protocol.update import decode_update
from pairbook.rooms.structure import CellStructure
from pairbook.rooms.trial import trial_fault


def notebook(size: int) -> Doc[Any]:
    doc: Doc[Any] = Doc()
    cells = doc.get("cells", type=Array)
    with doc.transaction():
        doc.get("meta", type=Map)["metadata"] = Map({"language": "python"})
        for index in range(size):
            source = Text(f"x_{index} = {index}\n" * 5)
            cell = {"id": f"c{index}", "cell_type": "code", "source": source}
            cells.append(Map({**cell, "metadata": Map(), "outputs": Array()}))
    return doc


def transaction_update(doc: Doc[Any], change: Any) -> bytes:
    updates: list[bytes] = []
    subscription = doc.observe(lambda event: updates.append(event.update))
    with doc.transaction():
        change(doc)
    doc.unobserve(subscription)
    return updates[0]


def main() -> None:
    for size in (30, 300, 1000):
        measure(size)


def measure(size: int) -> None:
    doc = notebook(size)
    cells = doc.get("cells", type=Array)
    build = min(timeit.repeat(lambda: CellStructure.of_update(doc.get_update()), number=1))
    structure = CellStructure.of_update(doc.get_update())
    typing = decode_update(
        transaction_update(doc, lambda d: cells[size // 2]["source"].insert(7, "y"))
    )
    assert not structure.read(typing).touches
    runs = 20_000
    read = min(timeit.repeat(lambda: structure.read(typing), number=runs, repeat=5)) / runs
    new_cell = transaction_update(doc, lambda d: cells.append(Map({"id": "n"})))
    trial = min(timeit.repeat(lambda: trial_fault(doc, new_cell), number=3, repeat=3)) / 3
    print(
        f"{size:5} cells: index built {build * 1e3:6.1f} ms, typing update read "
        f"{read * 1e6:4.2f} us, a structural update tried on a copy {trial * 1e3:6.1f} ms"
    )


if __name__ == "__main__":
    main()
