from __future__ import annotations

from typing import Any

import nbformat
from pycrdt import Array, Doc, Map, Text

from pairbook.notebook.cellshape import cell_faults
from pairbook.notebook.ynotebook import notebook_to_ydoc
from pairbook.rooms.cellwatch import CellsWatch
from support.notebooks import write_notebook


def notebook_doc(tmp_path: Any) -> Doc[Any]:
    doc: Doc[Any] = Doc()
    notebook_to_ydoc(dict(nbformat.read(write_notebook(tmp_path / "n.ipynb"), 4)), doc)
    return doc


def test_the_cells_of_a_notebook_built_from_a_file_have_no_fault(tmp_path: Any) -> None:
    doc = notebook_doc(tmp_path)
    assert cell_faults(doc.get("cells", type=Array)) == []


def test_each_unreadable_item_is_named(tmp_path: Any) -> None:
    doc = notebook_doc(tmp_path)
    cells = doc.get("cells", type=Array)
    with doc.transaction():
        cells.append(42)
        cells.append(Map({"id": "s", "cell_type": "code", "source": "x", "metadata": Map()}))
        cells.append(Map({"id": "k", "cell_type": "sql", "source": Text(), "metadata": Map()}))
        cells.append(Map({"cell_type": "raw", "source": Text(), "metadata": Map()}))
        cells.append(Map({"id": "m", "cell_type": "markdown", "source": Text()}))
    assert cell_faults(cells) == [
        "cells[3] is a float, not a cell map",
        "cells[4] source is a str, not a shared Text",
        "cells[5] has cell_type 'sql': expected one of code, markdown, raw",
        "cells[6] has no string id",
        "cells[7] metadata is missing, not a shared Map",
    ]


def test_the_watch_looks_only_at_cells_a_change_inserted_or_set_keys_of(tmp_path: Any) -> None:
    doc = notebook_doc(tmp_path)
    cells = doc.get("cells", type=Array)
    cells.append("left from before")  # not looked at again: no change reaches it
    watch = CellsWatch(doc, "n.ipynb")
    watch.check_shapes()
    cells[1]["source"].insert(0, "typed ")
    cells[2]["metadata"]["tags"] = ["a"]
    assert watch.faults == []
    cells.insert(1, "text")
    del cells[2]["outputs"]
    assert watch.faults == [
        "cells[1] is a str, not a cell map",
        "cells[2] outputs is missing, not a shared Array",
    ]
