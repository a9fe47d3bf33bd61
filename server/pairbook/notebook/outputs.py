"""Cell outputs in the shared document: the kernel's messages as nbformat outputs."""

from __future__ import annotations

import json
from typing import Any

from pycrdt import Array, Doc, Map, Text

from pairbook.notebook.cellshape import is_readable_cell
from pairbook.notebook.normal_form import as_yjs_numbers
from pairbook.notebook.ynotebook import create_youtput
from pairbook.schema import CELLS, META


def find_ycell(doc: Doc[Any], cell_id: str) -> Map[Any] | None:
    """The cell with this id, or None if nobody has it any more."""
    ycells: Array[Any] = doc.get(CELLS, type=Array)
    for ycell in ycells:
        if isinstance(ycell, Map) and ycell.get("id") == cell_id:
            return ycell
    return None


def cell_ids(doc: Doc[Any]) -> list[str]:
    """The ids of the cells, in order. An item of `cells` no notebook client can read (a
    number, a string, a cell with a numeric id: a log from before the room refused them) is
    skipped, as blame skips it: run-all refused the whole notebook over one."""
    ycells: Array[Any] = doc.get(CELLS, type=Array)
    return [str(ycell.get("id")) for ycell in ycells if is_readable_cell(ycell)]


def code_cell_source(ycell: Map[Any]) -> str | None:
    """A code cell's source, or None for markdown and raw cells."""
    if ycell.get("cell_type") != "code":
        return None
    return str(ycell.get("source", ""))


def output_from_message(kind: str, content: dict[str, Any]) -> dict[str, Any] | None:
    """The nbformat output for a kernel IOPub message (None for non-output messages)."""
    if kind == "stream":
        return {"output_type": "stream", "name": content.get("name", "stdout"),
                "text": content.get("text", "")}  # fmt: skip
    # A bundle's JSON (`application/json`, metadata) is the kernel's: numbers as Yjs holds them.
    if kind in ("display_data", "update_display_data"):
        return {"output_type": "display_data", "data": as_yjs_numbers(content.get("data", {})),
                "metadata": as_yjs_numbers(content.get("metadata", {}))}  # fmt: skip
    if kind == "execute_result":
        return {"output_type": "execute_result", "data": as_yjs_numbers(content.get("data", {})),
                "metadata": as_yjs_numbers(content.get("metadata", {})),
                "execution_count": content.get("execution_count")}  # fmt: skip
    if kind == "error":
        return {"output_type": "error", "ename": content.get("ename", ""),
                "evalue": content.get("evalue", ""),
                "traceback": list(content.get("traceback", []))}  # fmt: skip
    return None


def output_size(output: dict[str, Any]) -> int:
    return len(json.dumps(output, default=str))


def append_output(ycell: Map[Any], output: dict[str, Any]) -> int:
    """Append an output to a cell; consecutive stream text of one name is merged into the
    last output's Text. Returns the index of the output written."""
    youtputs: Array[Any] = ycell["outputs"]
    if output["output_type"] == "stream" and len(youtputs):
        last = youtputs[len(youtputs) - 1]
        if last.get("output_type") == "stream" and last.get("name") == output["name"]:
            ytext = last.get("text")
            if isinstance(ytext, Text):
                ytext += output["text"]
                return len(youtputs) - 1
    youtputs.append(create_youtput(output))
    return len(youtputs) - 1


def replace_output(ycell: Map[Any], index: int, output: dict[str, Any]) -> bool:
    """Replace a display's data in place (update_display_data); False if it is gone."""
    youtputs: Array[Any] = ycell["outputs"]
    if not 0 <= index < len(youtputs):
        return False
    current = youtputs[index]
    if current.get("output_type") not in ("display_data", "execute_result"):
        return False
    current["data"] = output["data"]
    current["metadata"] = output["metadata"]
    return True


def clear_outputs(ycell: Map[Any]) -> None:
    youtputs: Array[Any] = ycell["outputs"]
    if len(youtputs):
        youtputs.clear()


def kernel_name_of(doc: Doc[Any], default: str = "python3") -> str:
    """The kernelspec name the notebook asks for."""
    ymeta: Map[Any] = doc.get(META, type=Map)
    metadata = ymeta.get("metadata")
    raw = metadata.to_py() if isinstance(metadata, Map) else metadata
    if isinstance(raw, dict):
        spec = raw.get("kernelspec")
        if isinstance(spec, dict) and isinstance(spec.get("name"), str) and spec["name"]:
            return str(spec["name"])
    return default
