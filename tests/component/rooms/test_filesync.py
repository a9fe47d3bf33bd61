"""FileSync with real files and a MemoryStore: the run bookkeeping stays out of the file, a
reload from disk keeps it in the room, and a .py twin found beside the notebook is treated as
jupytext does (an older one is stale, a newer one is merged). With several processes, a save
that waited for the file lock writes only while its files lease has time left."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Array, Doc, Map

from pairbook.errors import ConflictError
from pairbook.notebook import read_notebook, ydoc_to_notebook
from pairbook.notebook.file import NotebookFile
from pairbook.notebook.fileform import FileForm
from pairbook.notebook.twin import notebook_to_twin
from pairbook.rooms.counters import RoomCounters
from pairbook.rooms.feed import FILES_TTL
from pairbook.rooms.filesync import FilePolicy, FileSync
from pairbook.rooms.loader import load_room
from pairbook.schema import CELLS
from pairbook.store import MemoryStore
from pairbook.types import DISK_USER, RoomId, UserId
from support.notebooks import read_sources, write_notebook

RUN = {"last_run": {"user": {"id": "u1", "name": "Ana", "color": "#000"}, "finished_at": 5.0}}


def mark_run(doc: Doc[Any]) -> None:
    ycell = doc.get(CELLS, type=Array)[1]
    ymeta = ycell["metadata"]
    assert isinstance(ymeta, Map)
    ymeta["pairbook"] = RUN
    ycell["execution_count"] = 2


async def test_a_run_reaches_the_file_without_bookkeeping_and_a_reload_keeps_it(
    tmp_path: Path,
) -> None:
    path = write_notebook(tmp_path / "demo.ipynb")
    store = MemoryStore()
    await store.open()
    room, filesync = await load_room(
        RoomId("demo.ipynb"),
        path,
        store,
        RoomCounters(),
        sync_timeout=15.0,
        files=FilePolicy(FileForm()),
    )
    await room.apply_server_edit(mark_run, UserId("pairbook:server"))
    assert await filesync.save()
    assert '"execution_count": 2' in path.read_text()
    assert "last_run" not in path.read_text()

    text = path.read_text().replace('"y = x + 1', '"z = 3 # from disk\\ny = x + 1')
    path.write_text(text)
    await filesync.poll()

    assert read_sources(path)[2].startswith("z = 3")
    cell = ydoc_to_notebook(room.doc)["cells"][2]
    assert cell["source"].startswith("z = 3")
    assert ydoc_to_notebook(room.doc)["cells"][1]["metadata"]["pairbook"] == RUN
    assert (await store.records(RoomId("demo.ipynb"), 0))[-1].user_id == DISK_USER
    await room.settle()
    await store.close()


async def open_room(path: Path, store: MemoryStore) -> Any:
    return await load_room(
        RoomId("demo.ipynb"), path, store, RoomCounters(), sync_timeout=15.0,
        files=FilePolicy(FileForm()),
    )  # fmt: skip


async def test_a_room_reopened_over_its_unchanged_file_does_not_parse_it_again(
    tmp_path: Path, monkeypatch: Any
) -> None:
    path = write_notebook(tmp_path / "demo.ipynb")
    loads: list[Path] = []
    load = NotebookFile.load

    def counted(self: NotebookFile) -> Any:
        loads.append(self.path)
        return load(self)

    monkeypatch.setattr(NotebookFile, "load", counted)
    async with MemoryStore() as store:
        room, filesync = await open_room(path, store)
        await room.apply_server_edit(mark_run, UserId("pairbook:server"))
        assert await filesync.save()
        await room.settle()
        loads.clear()
        room, filesync = await open_room(path, store)  # the server restarted, say
        assert loads == []  # the file's bytes are what the room saved: nothing to read
        assert not await asyncio.to_thread(filesync.file.changed_on_disk)
        assert ydoc_to_notebook(room.doc)["cells"][1]["execution_count"] == 2

        path.write_text(path.read_text().replace('"y = x + 1', '"z = 3 # from disk\\ny = x + 1'))
        room, filesync = await open_room(path, store)  # edited while the server was down
        assert loads == [path, path]  # read, and reconciled
        assert ydoc_to_notebook(room.doc)["cells"][2]["source"].startswith("z = 3")
        await room.settle()


def set_jupytext(doc: Doc[Any], options: dict[str, Any]) -> None:
    ymeta = doc.get("meta", type=Map)["metadata"]
    assert isinstance(ymeta, Map)
    ymeta["jupytext"] = {"formats": "ipynb,py:percent", **options}


async def test_metadata_jupytext_cannot_write_stops_the_twin_not_the_rooms_upkeep(
    tmp_path: Path,
) -> None:
    """Any editor can write jupytext's options into the notebook's metadata: options it
    cannot write with (a filter that is a number) leave the twin as it was, say why, and
    neither the save nor the poll raises (that skipped the room's snapshots and recording
    upkeep on every poll); once fixed, the twin is written again."""
    path = write_notebook(tmp_path / "demo.ipynb")
    twin = tmp_path / "demo.py"
    store = MemoryStore()
    await store.open()
    room, filesync = await load_room(
        RoomId("demo.ipynb"), path, store, RoomCounters(), sync_timeout=15.0,
        files=FilePolicy(FileForm()), root=tmp_path,
    )  # fmt: skip
    assert filesync.twin is not None
    await filesync.save()
    written = twin.read_text()
    await room.apply_server_edit(
        lambda doc: set_jupytext(doc, {"notebook_metadata_filter": 5}), UserId("u1")
    )
    await filesync.save()  # the notebook file is still saved
    assert '"notebook_metadata_filter": 5' in path.read_text()
    await filesync.poll()
    assert twin.read_text() == written
    assert "jupytext cannot write the .py twin" in (filesync.twin.status or "")
    await room.apply_server_edit(lambda doc: set_jupytext(doc, {}), UserId("u1"))
    await filesync.save()
    assert twin.read_text() != written
    assert filesync.twin.status is None


async def open_with_twin(tmp_path: Path, twin_text: str, twin_age: int) -> tuple[Any, Any, Path]:
    """A room over a notebook with a jupytext .py beside it, `twin_age` seconds older than
    the notebook (negative: newer), as pairbook first finds it."""
    path = write_notebook(tmp_path / "demo.ipynb")
    twin = tmp_path / "demo.py"
    twin.write_text(twin_text)
    stamp = path.stat().st_mtime_ns - twin_age * 1_000_000_000
    os.utime(twin, ns=(stamp, stamp))
    store = MemoryStore()
    await store.open()
    room, filesync = await load_room(
        RoomId("demo.ipynb"), path, store, RoomCounters(), sync_timeout=15.0, root=tmp_path
    )
    await filesync.poll()
    return room, store, twin


STALE = "# ---\n# jupyter:\n#   jupytext: {}\n# ---\n\n# %%\nold = 'stale'\n"


async def test_a_twin_older_than_its_notebook_is_written_anew_not_merged(tmp_path: Path) -> None:
    room, store, twin = await open_with_twin(tmp_path, STALE, twin_age=60)
    assert "old = 'stale'" not in twin.read_text()
    assert "y = x + 1" in twin.read_text()
    assert len(ydoc_to_notebook(room.doc)["cells"]) == 3
    await room.settle()
    await store.close()


async def test_a_twin_newer_than_its_notebook_is_merged_into_the_room(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "demo.ipynb")
    text = notebook_to_twin(read_notebook(path).nb, "py:percent").replace(
        "y = x + 1", "y = 'from the py'"
    )
    room, store, twin = await open_with_twin(tmp_path, text, twin_age=-60)
    sources = [c["source"] for c in ydoc_to_notebook(room.doc)["cells"]]
    assert sources[2] == "y = 'from the py'\ny"
    assert "y = 'from the py'" in twin.read_text()
    await room.settle()
    await store.close()


async def test_a_pairing_into_another_folder_writes_the_twin_there(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "notebooks" / "demo.ipynb")
    nb = read_notebook(path).nb
    nb["metadata"]["jupytext"] = {"formats": "notebooks///ipynb,scripts///py:percent"}
    NotebookFile(path).save(nb)
    store = MemoryStore()
    await store.open()
    room, filesync = await load_room(
        RoomId("notebooks/demo.ipynb"), path, store, RoomCounters(), sync_timeout=15.0,
        root=tmp_path,
    )  # fmt: skip
    await filesync.poll()
    twin = tmp_path / "scripts" / "demo.py"
    assert "y = x + 1" in twin.read_text()
    assert not (tmp_path / "notebooks" / "demo.py").exists()
    await room.settle()
    await store.close()


class LeaseClock:
    """The monotonic clock the files lease's time is counted on; the test moves it."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("waited", "renewal", "written"),
    [
        (5.0, True, True),  # 5 s of the lease left: time enough for a save
        (FILES_TTL - 1.0, True, False),  # 1 s left: the lease could run out while it writes
        (0.0, False, False),  # a renewal while it waited said another process keeps the file
    ],
)
async def test_a_save_that_waited_inside_the_lock_writes_only_while_its_lease_has_time_left(
    tmp_path: Path, waited: float, renewal: bool, written: bool
) -> None:
    path = write_notebook(tmp_path / "demo.ipynb")
    async with MemoryStore() as store:
        room, loaded = await open_room(path, store)
        clock, sha = LeaseClock(), asyncio.get_running_loop().create_future()
        files = FileSync(room, loaded.file, "", saved_sha_later=sha, clock=clock)
        answers = [True, renewal]

        async def still_kept() -> bool:  # the files lease, renewed in Redis
            return answers.pop(0)

        files.still_kept = still_kept
        await room.apply_server_edit(mark_run, UserId("pairbook:server"))
        before = path.read_bytes()
        # The save renews the lease, takes the lock and waits there (for the saved sha, as
        # for a slow store or another save before it) ...
        save = asyncio.create_task(files.save())
        await asyncio.sleep(0)
        assert files._lock.locked()
        # ... while time passes and, maybe, a poll's renewal finds the lease gone.
        clock.now += waited
        if not renewal:
            await files.poll()  # renews first: the lease is gone, it stays off the file
        sha.set_result(loaded.saved_sha)
        assert await save is written
        assert (path.read_bytes() != before) is written
        await room.settle()


async def test_a_conflict_is_not_resolved_into_a_file_another_process_keeps_now(
    tmp_path: Path,
) -> None:
    path = write_notebook(tmp_path / "demo.ipynb")
    async with MemoryStore() as store:
        room, files = await open_room(path, store)
        kept = [True]

        async def still_kept() -> bool:  # the files lease, renewed in Redis
            return kept[0]

        files.still_kept = still_kept
        await room.apply_server_edit(mark_run, UserId("pairbook:server"))  # not saved yet
        path.write_text(path.read_text().replace('"y = x + 1', '"z = 3\\ny = x + 1'))
        await files.poll()
        assert files.conflict is not None
        edited = path.read_bytes()
        kept[0] = False  # another process took the file over
        with pytest.raises(ConflictError, match="another server process keeps"):
            await files.resolve("room")
        assert path.read_bytes() == edited
        assert files.conflict is not None
        await room.settle()
