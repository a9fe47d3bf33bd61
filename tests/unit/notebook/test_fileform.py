"""FileForm: the run bookkeeping and, optionally, outputs stay out of the file, and come
back from the room when the file is read again."""

from __future__ import annotations

import copy
from typing import Any

from pairbook.notebook import serialize_notebook
from pairbook.notebook.fileform import FileForm

LAST_RUN = {
    "last_run": {
        "id": "r1",
        "cell_id": "c1",
        "user": {"id": "u1", "name": "Ana", "color": "#123456"},
        "status": "ok",
        "queued_at": 1.0,
        "started_at": 2.0,
        "finished_at": 3.0,
        "execution_count": 7,
        "source_hash": "abc",
        "error": None,
    }
}


def notebook(*, bookkeeping: bool = True) -> dict[str, Any]:
    metadata: dict[str, Any] = {"tags": ["keep"]}
    if bookkeeping:
        metadata["pairbook"] = copy.deepcopy(LAST_RUN)
    return {
        "cells": [
            {
                "cell_type": "code",
                "id": "c1",
                "metadata": metadata,
                "source": "print(1)",
                "execution_count": 7,
                "outputs": [{"output_type": "stream", "name": "stdout", "text": "1\n"}],
            },
            {"cell_type": "markdown", "id": "m1", "metadata": {}, "source": "# Title"},
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def test_the_file_holds_no_run_bookkeeping_and_the_room_keeps_it() -> None:
    room = notebook()
    on_file = FileForm().to_file(room)
    assert on_file["cells"][0]["metadata"] == {"tags": ["keep"]}
    assert on_file["cells"][0]["outputs"] == room["cells"][0]["outputs"]
    assert room["cells"][0]["metadata"]["pairbook"] == LAST_RUN  # not changed in place
    assert b"last_run" not in serialize_notebook(on_file)


def test_running_again_changes_nothing_of_the_file_but_what_jupyter_writes() -> None:
    first, second = notebook(), notebook()
    second["cells"][0]["metadata"]["pairbook"]["last_run"]["finished_at"] = 99.0
    form = FileForm()
    assert serialize_notebook(form.to_file(first)) == serialize_notebook(form.to_file(second))


def test_a_short_attribution_names_who_ran_the_cell_last_and_nothing_that_changes_per_run() -> None:
    on_file = FileForm(attribution="short").to_file(notebook())
    assert on_file["cells"][0]["metadata"]["pairbook"] == {"run_by": "Ana"}


def test_without_outputs_the_file_has_no_outputs_and_no_execution_counts() -> None:
    on_file = FileForm(outputs=False).to_file(notebook())
    assert on_file["cells"][0]["outputs"] == []
    assert on_file["cells"][0]["execution_count"] is None
    assert on_file["cells"][1] == notebook()["cells"][1]


def test_a_notebooks_own_setting_overrides_the_servers() -> None:
    room = notebook()
    room["metadata"]["pairbook"] = {"save_outputs": False}
    assert FileForm().to_file(room)["cells"][0]["outputs"] == []
    room["metadata"]["pairbook"] = {"save_outputs": True}
    assert FileForm(outputs=False).to_file(room)["cells"][0]["outputs"] != []


def test_reading_the_file_back_keeps_the_rooms_bookkeeping_and_outputs() -> None:
    room = notebook()
    form = FileForm(outputs=False)
    disk = form.to_file(room)
    disk["cells"][0]["source"] = "print(2)"  # edited on disk
    restored = form.restore(disk, room)
    cell = restored["cells"][0]
    assert cell["source"] == "print(2)"
    assert cell["metadata"]["pairbook"] == LAST_RUN
    assert cell["outputs"] == room["cells"][0]["outputs"]
    assert cell["execution_count"] == 7


def test_bookkeeping_edited_in_the_file_is_the_files() -> None:
    room = notebook()
    disk = FileForm(attribution="short").to_file(room)
    disk["cells"][0]["metadata"]["pairbook"] = {"run_by": "Someone else"}
    restored = FileForm(attribution="short").restore(disk, room)
    assert restored["cells"][0]["metadata"]["pairbook"] == {"run_by": "Someone else"}


def test_a_cell_new_on_disk_is_taken_as_it_is() -> None:
    disk = FileForm().to_file(notebook(bookkeeping=False))
    disk["cells"][0]["id"] = "new"
    assert FileForm().restore(disk, notebook())["cells"] == disk["cells"]
