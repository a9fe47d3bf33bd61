"""write_outputs and OutputBudget: kernel messages into a cell's outputs, pure."""

from __future__ import annotations

from typing import Any

from pycrdt import Doc

from pairbook.kernel.outputstream import TRAFFIC_FACTOR, OutputBudget, write_outputs
from pairbook.notebook.outputs import find_ycell, output_from_message, output_size
from support.kernelkit import notebook_doc


def outputs(doc: Doc[Any], cell_id: str = "code-0") -> list[dict[str, Any]]:
    ycell = find_ycell(doc, cell_id)
    assert ycell is not None
    result: list[dict[str, Any]] = ycell["outputs"].to_py()
    return result


def stream(text: str, name: str = "stdout") -> tuple[str, dict[str, Any]]:
    return "stream", {"name": name, "text": text}


def display(display_id: str, text: str, kind: str = "display_data") -> tuple[str, dict[str, Any]]:
    content = {
        "data": {"text/plain": text},
        "metadata": {},
        "transient": {"display_id": display_id},
    }
    return kind, content


def test_stream_text_of_one_name_is_merged_into_one_output() -> None:
    doc = notebook_doc(["print(1)"])
    write_outputs(doc, "code-0", [stream("a\n"), stream("b\n")], OutputBudget(1000), {})
    write_outputs(
        doc, "code-0", [stream("c\n"), stream("oops\n", "stderr")], OutputBudget(1000), {}
    )
    assert [(o["name"], o["text"]) for o in outputs(doc)] == [
        ("stdout", "a\nb\nc\n"),
        ("stderr", "oops\n"),
    ]


def test_messages_that_are_not_outputs_are_ignored() -> None:
    doc = notebook_doc(["x"])
    write_outputs(doc, "code-0", [("status", {"execution_state": "busy"})], OutputBudget(100), {})
    assert outputs(doc) == []


def test_a_deleted_cell_gets_nothing_and_nothing_fails() -> None:
    doc = notebook_doc(["x"])
    write_outputs(doc, "gone", [stream("a")], OutputBudget(100), {})
    assert outputs(doc) == []


def test_output_past_the_limit_is_cut_with_one_note() -> None:
    doc = notebook_doc(["x"])
    budget = OutputBudget(200)
    write_outputs(
        doc, "code-0", [stream("x" * 50, "stdout"), stream("y" * 500, "stderr")], budget, {}
    )
    write_outputs(doc, "code-0", [stream("z" * 500, "stderr")], budget, {})
    kept = outputs(doc)
    assert kept[0]["text"] == "x" * 50
    assert len(kept) == 2
    assert kept[1]["text"] == (
        "\n[pairbook: output truncated: 1 line (1,000 bytes) not shown; "
        "this run passed its 200-byte output limit]\n"
    )


def test_the_note_stays_the_last_output_and_counts_everything_dropped_after_it() -> None:
    doc = notebook_doc(["x"])
    budget = OutputBudget(300)
    write_outputs(doc, "code-0", [stream("a\n"), stream("b" * 400 + "\n", "stderr")], budget, {})
    # Later output that would still fit the budget is not shown after the note either: a
    # short stderr line (the note's own stream), a stdout line and a display.
    later = [stream("late err\n", "stderr"), stream("late out\n"), display("d", "x")]
    write_outputs(doc, "code-0", later, budget, {})
    kept = outputs(doc)
    assert [o["text"] for o in kept[:-1]] == ["a\n"]
    assert kept[-1]["name"] == "stderr"
    assert kept[-1]["text"].startswith("\n[pairbook: output truncated: 3 lines and 1 output (")
    assert "late" not in str(kept)


def test_stream_text_that_does_not_fit_keeps_its_whole_lines_and_counts_the_rest() -> None:
    doc = notebook_doc(["x"])
    budget = OutputBudget(300)
    text = "".join(f"line {index:03}\n" for index in range(100))
    write_outputs(doc, "code-0", [stream(text)], budget, {})
    kept, note = outputs(doc)
    assert kept["text"].startswith("line 000\n")
    assert kept["text"].endswith("\n")
    shown = kept["text"].count("\n")
    assert 0 < shown < 100
    assert text.startswith(kept["text"])
    left = len(text) - len(kept["text"])
    assert f"truncated: {100 - shown} lines ({left:,} bytes) not shown" in note["text"]


def test_a_line_that_comes_in_several_chunks_is_counted_once() -> None:
    doc = notebook_doc(["x"])
    budget = OutputBudget(100)
    chunks = [stream("x" * 200 + "\n"), stream("par"), stream("tial\nlast "), stream("words")]
    write_outputs(doc, "code-0", chunks, budget, {})
    assert "truncated: 3 lines (" in outputs(doc)[-1]["text"]


def test_a_clear_after_truncation_removes_the_note_and_renews_the_budget() -> None:
    doc = notebook_doc(["x"])
    budget = OutputBudget(100)
    write_outputs(doc, "code-0", [stream("x" * 500)], budget, {})
    assert "truncated" in outputs(doc)[-1]["text"]
    write_outputs(doc, "code-0", [("clear_output", {}), stream("fresh\n")], budget, {})
    assert [o["text"] for o in outputs(doc)] == ["fresh\n"]


def test_clear_output_empties_the_cell_and_renews_the_budget() -> None:
    doc = notebook_doc(["x"])
    budget = OutputBudget(200)
    write_outputs(doc, "code-0", [stream("a" * 120)], budget, {})
    write_outputs(doc, "code-0", [("clear_output", {"wait": False}), stream("b" * 120)], budget, {})
    assert [o["text"] for o in outputs(doc)] == ["b" * 120]


def test_clear_output_with_wait_clears_when_the_next_output_comes() -> None:
    doc = notebook_doc(["x"])
    budget = OutputBudget(1000)
    write_outputs(doc, "code-0", [stream("old"), ("clear_output", {"wait": True})], budget, {})
    assert [o["text"] for o in outputs(doc)] == ["old"]
    write_outputs(doc, "code-0", [stream("new")], budget, {})
    assert [o["text"] for o in outputs(doc)] == ["new"]


def test_a_clear_loop_stops_once_the_run_wrote_its_traffic_allowance() -> None:
    doc = notebook_doc(["x"])
    budget = OutputBudget(100)
    line = stream("t" * 20)
    output = output_from_message(*line)
    assert output is not None
    for _ in range(TRAFFIC_FACTOR * 100 // output_size(output) + 2):
        write_outputs(doc, "code-0", [("clear_output", {}), line], budget, {})
    assert budget.spent
    kept = outputs(doc)
    # The cell stays as the allowance left it: cleared no more, with the note (which counts
    # what it did not show).
    write_outputs(doc, "code-0", [("clear_output", {}), line], budget, {})
    assert outputs(doc)[:-1] == kept[:-1]
    assert "output truncated: 1 line (40 bytes)" in kept[-1]["text"]
    assert "output truncated: 1 line (60 bytes)" in outputs(doc)[-1]["text"]


def test_a_display_update_rewrites_every_cell_showing_that_display() -> None:
    doc = notebook_doc(["a", "b"])
    displays: dict[str, list[tuple[str, int]]] = {}
    write_outputs(doc, "code-0", [display("d1", "v1")], OutputBudget(1000), displays)
    write_outputs(doc, "code-1", [display("d1", "v1")], OutputBudget(1000), displays)
    assert displays == {"d1": [("code-0", 0), ("code-1", 0)]}
    write_outputs(
        doc, "code-1", [display("d1", "v2", "update_display_data")], OutputBudget(1000), displays
    )
    assert outputs(doc, "code-0")[0]["data"] == {"text/plain": "v2"}
    assert outputs(doc, "code-1") == [outputs(doc, "code-0")[0]]


def test_a_display_update_spends_the_budget_once_per_display_it_rewrites() -> None:
    doc = notebook_doc(["a"])
    write_outputs(doc, "code-0", [display("d1", "v")], OutputBudget(1000), {})
    budget = OutputBudget(1000)
    update = display("d1", "w", "update_display_data")
    write_outputs(doc, "code-0", [update], budget, {"d1": [("code-0", 0)] * 3})
    output = output_from_message(*update)
    assert output is not None
    assert budget.used == 3 * output_size(output)


def test_budget_take_refuses_past_the_limit_and_reset_renews_it() -> None:
    budget = OutputBudget(10)
    assert budget.take(6)
    assert not budget.take(6)
    assert not budget.spent
    budget.reset()
    assert budget.take(6)
    assert budget.written == 12


def test_a_display_with_numbers_beyond_64_bits_is_written_as_javascript_reads_them() -> None:
    # `IPython.display.JSON({"n": 10**30})`: pycrdt cannot hold the int (it panicked).
    doc = notebook_doc(["x"])
    bundle = {"data": {"application/json": {"n": 10**30, "f": 1e300, "i": 2.0}},
              "metadata": {"m": -(10**25)}}  # fmt: skip
    write_outputs(doc, "code-0", [("display_data", bundle)], OutputBudget(10_000), {})
    [output] = outputs(doc)
    assert output["data"]["application/json"] == {"n": 1e30, "f": 1e300, "i": 2}
    assert output["metadata"] == {"m": -1e25}
