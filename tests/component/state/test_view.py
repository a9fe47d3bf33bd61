"""StateView over a room double: who edited and deleted cells, the view written after runs
and refreshes, the analysis kept current as people edit, and a reset."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from pycrdt import Array, Doc, Map, Text

from pairbook.auth import color_for
from pairbook.schema import SERVER_COLOR, UserRecord
from pairbook.state.model import Run, source_hash
from pairbook.state.view import StateView
from pairbook.types import SERVER_USER, UserId
from support.kernelkit import DocRoom, notebook_doc, person, running

ANA = person("ana")
BO = person("bo")


def kernel_map(room: DocRoom) -> dict[str, Any]:
    result: dict[str, Any] = room.doc.get("kernel", type=Map).to_py()
    return result


def ycells(doc: Doc[Any]) -> Array[Any]:
    cells: Array[Any] = doc.get("cells", type=Array)
    return cells


def set_source(index: int, source: str) -> Any:
    def edit(doc: Doc[Any]) -> None:
        ysource = ycells(doc)[index]["source"]
        assert isinstance(ysource, Text)
        del ysource[0 : len(ysource)]
        ysource += source

    return edit


def run_of(cell_id: str, source: str, user: str = "ana", number: int = 1) -> Run:
    person: UserRecord = {"id": user, "name": user.title(), "color": "#336699"}
    return Run(f"run-{number}", cell_id, number, person, 1000.0, source, source_hash(source))


def answer(changed: dict[str, Any], *, full: bool = True) -> dict[str, Any]:
    return {"full": full, "changed": changed, "removed": []}


@contextlib.asynccontextmanager
async def view_of(sources: list[str]) -> AsyncIterator[tuple[StateView, DocRoom]]:
    room = DocRoom(notebook_doc(sources), [ANA, BO])
    view = StateView(room, lambda: 1000.0, delay=0)
    try:
        async with running(view.keep_current()):
            yield view, room
    finally:
        view.close()


async def write(room: DocRoom, edit: Any) -> None:
    await room.apply_server_edit(edit, SERVER_USER, protected=True)


async def test_the_view_notes_who_last_edited_each_cells_source() -> None:
    async with view_of(["a = 1", "b = 2"]) as (view, room):
        room.edit_as("ana", set_source(1, "a = 5"))
        room.edit_as("bo", set_source(2, "b = a"))
        assert view.editors["code-0"] == {"id": "ana", "name": "Ana", "color": "#336699"}
        assert view.editors["code-1"]["name"] == "Bo"


async def test_the_view_notes_who_deleted_a_cell() -> None:
    async with view_of(["a = 1"]) as (view, room):
        room.edit_as("bo", lambda doc: ycells(doc).pop())
        assert view.deleters == {"code-0": {"id": "bo", "name": "Bo", "color": "#336699"}}


async def test_an_edit_by_someone_not_in_the_room_is_named_by_id_and_the_server_by_name() -> None:
    async with view_of(["a = 1", "b"]) as (view, room):
        room.edit_as("zed", set_source(1, "a = 2"))
        room.edit_as(SERVER_USER, set_source(2, "c"))
        assert view.editors["code-0"] == {"id": "zed", "name": "zed", "color": color_for("zed")}
        server = {"id": SERVER_USER, "name": "pairbook", "color": SERVER_COLOR}
        assert view.editors["code-1"] == server


async def test_a_run_writes_its_names_with_their_provenance() -> None:
    async with view_of(["x = 1"]) as (view, room):
        info = {"type": "int", "summary": "1", "fingerprint": "f1"}
        await write(room, view.after_run(run_of("code-0", "x = 1"), answer({"x": info})))
        variables = kernel_map(room)["variables"]
        assert variables["x"]["summary"] == "1"
        assert variables["x"]["created"]["cell"] == "code-0"
        assert variables["x"]["created"]["user"]["name"] == "Ana"
        assert kernel_map(room)["analysis"]["count"] == 1


async def test_a_fresh_view_sees_what_an_earlier_kernel_left_in_the_document() -> None:
    async with view_of(["x = 1"]) as (view, room):
        assert not view.has_leftovers()
        info = {"type": "int", "summary": "1", "fingerprint": "f1"}
        await write(room, view.after_run(run_of("code-0", "x = 1"), answer({"x": info})))
        fresh = StateView(room)
        assert fresh.has_leftovers()
        fresh.close()


async def test_a_refresh_between_runs_changes_names_of_unknown_origin() -> None:
    async with view_of(["x = 1"]) as (view, room):
        info = {"type": "int", "summary": "1", "fingerprint": "f1"}
        await write(room, view.after_run(run_of("code-0", "x = 1"), answer({"x": info})))
        changed = {"x": {**info, "summary": "7", "fingerprint": "f2"}}
        await write(room, view.after_refresh(answer(changed)))
        assert kernel_map(room)["variables"]["x"]["summary"] == "7"
        assert kernel_map(room)["variables"]["x"]["changed"] is None


async def test_editing_a_run_cell_warns_that_the_edit_has_not_run() -> None:
    async with view_of(["x = 1"]) as (view, room):
        info = {"type": "int", "summary": "1", "fingerprint": "f1"}
        await write(room, view.after_run(run_of("code-0", "x = 1"), answer({"x": info})))
        room.edit_as("bo", set_source(1, "x = 2"))
        await room.until(lambda: "code-0" in kernel_map(room)["analysis"]["warnings"])
        (warning,) = kernel_map(room)["analysis"]["warnings"]["code-0"]
        assert warning["kind"] == "unrun-edit"
        assert warning["by"]["name"] == "Bo"


async def test_packages_are_written_and_a_reset_clears_the_whole_view() -> None:
    async with view_of(["import json"]) as (view, room):
        info = {"type": "module", "summary": "json", "fingerprint": "m"}
        await write(room, view.after_run(run_of("code-0", "import json"), answer({"json": info})))
        await write(room, view.set_packages([{"name": "json", "version": "stdlib"}]))
        assert kernel_map(room)["packages"] == [{"name": "json", "version": "stdlib"}]
        await write(room, view.reset())
        kernel = kernel_map(room)
        assert kernel["variables"] == {}
        assert kernel["packages"] == []
        assert kernel["analysis"]["count"] == 0


async def test_nothing_is_analysed_while_nothing_has_run() -> None:
    async with view_of(["x = 1"]) as (view, room):
        room.edit_as("ana", set_source(1, "x = 3"))
        for _ in range(3):
            await asyncio.sleep(0)
        assert room.edits == 0
        assert view.editors["code-0"]["id"] == UserId("ana")


async def test_a_name_is_credited_to_who_ran_the_cell_and_to_who_wrote_it() -> None:
    async with view_of(["x = 1"]) as (view, room):
        room.edit_as("ana", set_source(1, "x = 2"))
        info = {"type": "int", "summary": "2", "fingerprint": "f2"}
        await write(room, view.after_run(run_of("code-0", "x = 2", user="bo"), answer({"x": info})))
        defined = kernel_map(room)["variables"]["x"]["defined"]
        assert defined["user"]["name"] == "Bo"
        assert defined["author"]["name"] == "Ana"


async def test_a_cell_edited_while_it_ran_has_no_author_for_that_run() -> None:
    async with view_of(["x = 1"]) as (view, room):
        room.edit_as("ana", set_source(1, "x = 2"))
        room.edit_as("bo", set_source(1, "x = 3"))
        info = {"type": "int", "summary": "2", "fingerprint": "f2"}
        await write(room, view.after_run(run_of("code-0", "x = 2", user="bo"), answer({"x": info})))
        assert "author" not in kernel_map(room)["variables"]["x"]["defined"]


async def test_a_view_after_the_room_reloads_still_knows_who_wrote_the_unchanged_cells() -> None:
    async with view_of(["x = 1", "y = 2"]) as (view, room):
        room.edit_as("ana", set_source(1, "x = 2"))
        room.edit_as("ana", set_source(2, "y = 3"))
        info = {"type": "int", "summary": "2", "fingerprint": "f2"}
        await write(room, view.after_run(run_of("code-0", "x = 2", user="bo"), answer({"x": info})))
        room.edit_as("bo", set_source(2, "y = 4"))  # after the last write: not saved
        fresh = StateView(room)
        try:
            assert fresh.editors == {"code-0": view.editors["code-0"]}
            run = run_of("code-0", "x = 2", user="bo", number=2)
            await write(room, fresh.after_run(run, answer({"x": info})))
            assert kernel_map(room)["variables"]["x"]["defined"]["author"]["name"] == "Ana"
        finally:
            fresh.close()
