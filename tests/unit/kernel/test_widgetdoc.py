"""The `widgets` map as the document keeps it: binary values as bytes beside the JSON state,
one key per trait, the Output widget's outputs as Jupyter's output area keeps them."""

from __future__ import annotations

from typing import Any

from pycrdt import Doc

from pairbook.kernel.widgetdoc import (
    capture_output,
    close_model,
    live_models,
    mark_gone,
    open_model,
    prune_gone,
    split_buffers,
    update_model,
    ywidgets,
)
from pairbook.notebook.outputs import append_output, find_ycell
from pairbook.schema import UserRecord
from support.kernelkit import notebook_doc

BO: UserRecord = {"id": "bo", "name": "Bo", "color": "#336699"}


def model(doc: Doc[Any], model_id: str) -> dict[str, Any]:
    found: dict[str, Any] = ywidgets(doc)[model_id].to_py()
    return found


def test_binary_values_leave_the_state_and_are_kept_as_bytes_by_path() -> None:
    state = {"value": None, "format": "png", "parts": [1, None]}
    clean, buffers = split_buffers(state, [["value"], ["parts", 1], ["nowhere", 3]],
                                   [b"\x89PNG", memoryview(b"\x00\xff"), b"lost"])  # fmt: skip
    assert clean == {"value": None, "format": "png", "parts": [1, None]}
    assert buffers == {'["value"]': b"\x89PNG", '["parts", 1]': b"\x00\xff"}


def test_an_update_writes_only_what_changed_and_says_who() -> None:
    doc: Doc[Any] = Doc()
    open_model(doc, "m", {"value": 3, "max": 10}, {'["image"]': b"\x01"}, 1.0)
    assert model(doc, "m")["buffers"] == {'["image"]': bytearray(b"\x01")}
    assert update_model(doc, "m", {"value": 7, "max": 10}, {}, BO, 2.0)
    assert model(doc, "m")["state"] == {"value": 7, "max": 10}
    assert model(doc, "m")["by"] == BO
    assert model(doc, "m")["at"] == 2.0
    assert update_model(doc, "m", {"image": None}, {}, None, 3.0)
    assert model(doc, "m")["buffers"] == {}  # a new value: its old bytes went
    assert not update_model(doc, "other", {"value": 1}, {}, BO, 3.0)


def test_gone_models_are_not_live_and_closed_models_leave_the_map() -> None:
    doc: Doc[Any] = Doc()
    open_model(doc, "a", {}, {}, 1.0)
    open_model(doc, "b", {}, {}, 1.0)
    close_model(doc, "b")
    assert live_models(doc) == {"a"}
    mark_gone(doc)
    assert live_models(doc) == set()
    assert model(doc, "a")["gone"] is True


def test_the_output_widget_merges_streams_and_clears_at_the_next_output_when_asked_to_wait() -> (
    None
):
    doc: Doc[Any] = Doc()
    open_model(doc, "out", {"_model_name": "OutputModel", "outputs": []}, {}, 1.0)
    assert not capture_output(doc, "out", "stream", {"name": "stdout", "text": "a\n"}, False)
    assert not capture_output(doc, "out", "stream", {"name": "stdout", "text": "b\n"}, False)
    assert model(doc, "out")["state"]["outputs"] == [
        {"output_type": "stream", "name": "stdout", "text": "a\nb\n"}
    ]
    assert capture_output(doc, "out", "clear_output", {"wait": True}, False)
    assert len(model(doc, "out")["state"]["outputs"]) == 1  # still shown until the next output
    data = {"data": {"text/plain": "2"}, "metadata": {}}
    assert not capture_output(doc, "out", "display_data", data, True)
    assert model(doc, "out")["state"]["outputs"] == [
        {"output_type": "display_data", "data": {"text/plain": "2"}, "metadata": {}}
    ]


def test_an_output_widget_past_its_limit_keeps_a_note_until_it_is_cleared() -> None:
    doc: Doc[Any] = Doc()
    open_model(doc, "out", {"_model_name": "OutputModel", "outputs": []}, {}, 1.0)
    big = "x" * 600_000 + "\n"
    capture_output(doc, "out", "stream", {"name": "stdout", "text": big}, False)
    capture_output(doc, "out", "stream", {"name": "stderr", "text": big}, False)
    capture_output(doc, "out", "stream", {"name": "stdout", "text": "more\n"}, False)
    outputs = model(doc, "out")["state"]["outputs"]
    assert len(outputs) == 2
    assert outputs[0]["text"] == big
    assert "passed its 1,000,000-byte limit" in outputs[1]["text"]
    capture_output(doc, "out", "clear_output", {"wait": False}, False)
    capture_output(doc, "out", "stream", {"name": "stdout", "text": "again\n"}, False)
    assert model(doc, "out")["state"]["outputs"][0]["text"] == "again\n"


def test_gone_models_nothing_shows_are_pruned_and_a_shown_box_keeps_its_children() -> None:
    doc = notebook_doc(["box", "cleared"])
    open_model(doc, "box", {"children": ["IPY_MODEL_slider"]}, {}, 1.0)
    open_model(doc, "slider", {"value": 1}, {}, 1.0)
    open_model(doc, "old", {"value": 2}, {}, 1.0)
    open_model(doc, "alive", {}, {}, 1.0)
    ycell = find_ycell(doc, "code-0")
    assert ycell is not None
    view = {"model_id": "box", "version_major": 2, "version_minor": 0}
    append_output(ycell, {"output_type": "display_data", "metadata": {},
                          "data": {"application/vnd.jupyter.widget-view+json": view}})  # fmt: skip
    mark_gone(doc)
    open_model(doc, "alive", {}, {}, 2.0)  # the new kernel's: live, shown or not
    prune_gone(doc)
    assert set(ywidgets(doc).keys()) == {"box", "slider", "alive"}
