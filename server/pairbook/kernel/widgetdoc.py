"""The `widgets` map: the kernel's widget models as the document keeps them. Pure editing.

A model is a `Map` under its id (the comm id) holding `state` (a `Map` of its JSON state,
one key per trait, so a moved slider changes one key), `buffers` (a `Map` of its binary
values as bytes, keyed by the JSON of their path in the state, where the state holds null),
and the `WidgetRecord` keys (`by`, `at`, `gone`). The Output widget's captured outputs are
its `outputs` state key, nbformat outputs as Jupyter's own widget manager keeps them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from pycrdt import Array, Doc, Map

from pairbook.notebook.outputs import output_from_message, output_size
from pairbook.schema import CELLS, WIDGETS_MAP, UserRecord

Buffers = dict[str, bytes]  # JSON of a path in the state -> its bytes

MAX_OUTPUT_BYTES = 1_000_000
"""What an Output widget keeps (as a run's cell does, by default): past it, a note."""

TRUNCATED = ("[pairbook: this Output widget passed its {limit:,}-byte limit; later output is "
             "not shown until it is cleared]\n")  # fmt: skip


def ywidgets(doc: Doc[Any]) -> Map[Any]:
    ymap: Map[Any] = doc.get(WIDGETS_MAP, type=Map)
    return ymap


def split_buffers(
    state: dict[str, Any], paths: list[list[str | int]], buffers: Sequence[bytes | memoryview]
) -> tuple[dict[str, Any], Buffers]:
    """The state without its binary values (null where they were) and those values by
    path. A path that does not lead into the state is ignored."""
    found: Buffers = {}
    state = json.loads(json.dumps(state, default=str))  # a copy to write nulls into
    for path, buffer in zip(paths, buffers, strict=False):
        if not path or not _set_path(state, path, None):
            continue
        found[json.dumps(path)] = bytes(buffer)
    return state, found


MAX_VALUE_BYTES = 8_000_000
"""One value of a model's state the room shares (its JSON, or a binary value's bytes): the
map goes to every peer and into the log, as a cell's outputs do within their limit."""


def drop_oversized(state: dict[str, Any], buffers: Buffers, limit: int) -> list[str]:
    """Leave out each value past `limit` bytes (null in the state, empty bytes for a binary
    one, so it replaces the value before); the keys left out. The model keeps the rest: an
    Image too large to share shows empty, not broken."""
    dropped = []
    for key, value in state.items():
        if value is not None and len(json.dumps(value, default=str)) > limit:
            state[key] = None
            dropped.append(key)
    for path in [p for p, data in buffers.items() if len(data) > limit]:
        buffers[path] = b""
        dropped.append(path)
    return dropped


def _set_path(state: Any, path: list[str | int], value: Any) -> bool:
    target = state
    for step in path[:-1]:
        try:
            target = target[step]
        except (KeyError, IndexError, TypeError):
            return False
    last = path[-1]
    if isinstance(target, dict) and isinstance(last, str):
        target[last] = value
        return True
    if isinstance(target, list) and isinstance(last, int) and 0 <= last < len(target):
        target[last] = value
        return True
    return False


def open_model(
    doc: Doc[Any], model_id: str, state: dict[str, Any], buffers: Buffers, at: float
) -> None:
    """A model the kernel opened (its `comm_open`)."""
    ywidgets(doc)[model_id] = Map(
        {"state": Map(state), "buffers": Map(buffers), "by": None, "at": at, "gone": False}
    )


def update_model(
    doc: Doc[Any],
    model_id: str,
    state: dict[str, Any],
    buffers: Buffers,
    by: UserRecord | None,
    at: float,
) -> bool:
    """The kernel's update (or echo) of a model's state: only the keys that changed are
    written. False when the map has no such model."""
    ymodel = ywidgets(doc).get(model_id)
    if not isinstance(ymodel, Map):
        return False
    ystate, ybuffers = ymodel["state"], ymodel["buffers"]
    changed = False
    for key, value in state.items():
        binary = [path for path in buffers if json.loads(path)[0] == key]
        if key in ystate and _same(ystate[key], value) and not binary:
            continue
        ystate[key] = value
        changed = True
        for path in list(ybuffers.keys()):  # the value is new: its old binary parts go
            if json.loads(path)[0] == key and path not in buffers:
                del ybuffers[path]
    for path, buffer in buffers.items():
        ybuffers[path] = buffer
    if changed or buffers:
        ymodel["by"], ymodel["at"] = by, at
    return True


def _same(old: Any, new: Any) -> bool:
    """Whether a stored value equals a new one (Yjs keeps numbers as floats)."""
    if isinstance(old, Map):
        return False
    return bool(json.dumps(old, sort_keys=True) == json.dumps(new, sort_keys=True, default=str))


def close_model(doc: Doc[Any], model_id: str) -> None:
    """The kernel closed the model (`w.close()`): it leaves the map."""
    ymodels = ywidgets(doc)
    if model_id in ymodels:
        del ymodels[model_id]


def mark_gone(doc: Doc[Any]) -> None:
    """The kernel that made every model in the map is gone (restarted or stopped)."""
    for ymodel in ywidgets(doc).values():
        if isinstance(ymodel, Map) and not ymodel.get("gone"):
            ymodel["gone"] = True


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# How one model names another: a box's children ("IPY_MODEL_<id>"), a view in an output.
REFERENCE = re.compile(r'IPY_MODEL_([\w-]+)|"model_id": "([^"]+)"')


def prune_gone(doc: Doc[Any]) -> None:
    """Forget the models of kernels that are gone which nothing shows any more: neither a
    cell's outputs nor a model they show (directly or through its children)."""
    ymodels = ywidgets(doc)
    shown = [_view_of(output) for ycell in doc.get(CELLS, type=Array)
             for output in _outputs_of(ycell)]  # fmt: skip
    reachable: set[str] = set()
    pending = [model for model in shown if model]
    while pending:
        model_id = pending.pop()
        if model_id in reachable or model_id not in ymodels:
            continue
        reachable.add(model_id)
        state = json.dumps(model_state(doc, model_id), default=str)
        pending += [a or b for a, b in REFERENCE.findall(state)]
    for model_id, ymodel in list(ymodels.items()):
        if isinstance(ymodel, Map) and ymodel.get("gone") and model_id not in reachable:
            del ymodels[model_id]


def _outputs_of(ycell: Any) -> list[Any]:
    youtputs = ycell.get("outputs") if isinstance(ycell, Map) else None
    outputs = youtputs.to_py() if isinstance(youtputs, Array) else None
    return list(outputs or [])


def _view_of(output: Any) -> str | None:
    data = output.get("data") if isinstance(output, dict) else None
    view = data.get(WIDGET_VIEW) if isinstance(data, dict) else None
    return str(view["model_id"]) if isinstance(view, dict) and "model_id" in view else None


def is_live(doc: Doc[Any], model_id: str) -> bool:
    ymodel = ywidgets(doc).get(model_id)
    return isinstance(ymodel, Map) and not ymodel.get("gone")


def live_models(doc: Doc[Any]) -> set[str]:
    return {key for key, ymodel in ywidgets(doc).items() if isinstance(ymodel, Map)
            and not ymodel.get("gone")}  # fmt: skip


def output_models(doc: Doc[Any], models: set[str]) -> dict[str, str]:
    """Of these models, the Output widgets and the msg_id each captures."""
    found = {}
    for model_id in models:
        state = model_state(doc, model_id) or {}
        if state.get("_model_name") == "OutputModel":
            found[model_id] = str(state.get("msg_id") or "")
    return found


def model_state(doc: Doc[Any], model_id: str) -> dict[str, Any] | None:
    """A model's JSON state (without its binary values), or None."""
    ymodel = ywidgets(doc).get(model_id)
    if not isinstance(ymodel, Map):
        return None
    state: dict[str, Any] = ymodel["state"].to_py()
    return state


def capture_output(
    doc: Doc[Any], model_id: str, kind: str, content: dict[str, Any], clear_pending: bool
) -> bool:
    """A kernel message an Output widget captures, appended to its `outputs` the way
    Jupyter's output area does it (streams of one name merge; `clear_output(wait=True)`
    clears at the next output). Returns whether a wait-clear is still pending."""
    ymodel = ywidgets(doc).get(model_id)
    if not isinstance(ymodel, Map):
        return False
    ystate = ymodel["state"]
    outputs = list(ystate.get("outputs") or [])
    if kind == "clear_output":
        if content.get("wait"):
            return True
        ystate["outputs"] = []
        return False
    output = output_from_message(kind, content)
    if output is None:
        return clear_pending
    if clear_pending:
        outputs = []
    last = outputs[-1] if outputs else None
    if isinstance(last, dict) and last.get("pairbook_truncated"):
        return False  # past its limit: nothing more until a clear
    if (
        output["output_type"] == "stream"
        and isinstance(last, dict)
        and (last.get("output_type") == "stream" and last.get("name") == output["name"])
    ):
        outputs[-1] = {**last, "text": str(last.get("text", "")) + str(output["text"])}
    else:
        outputs.append(output)
    if output_size({"outputs": outputs}) > MAX_OUTPUT_BYTES:
        outputs[-1] = {"output_type": "stream", "name": "stderr", "pairbook_truncated": True,
                       "text": TRUNCATED.format(limit=MAX_OUTPUT_BYTES)}  # fmt: skip
    ystate["outputs"] = outputs
    return False
