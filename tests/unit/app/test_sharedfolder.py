"""The notebooks folder's id (`.pairbook-folder`): whoever writes the notebooks folder can
put a FIFO or a symlink there, or catch a process half way through making it; none of these
blocks a process's start, redirects its read or hands it an empty id."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from pairbook.app.sharedfolder import FOLDER_ID, MAX_BYTES, folder_id
from pairbook.errors import BrokerError


def test_the_id_is_made_once_and_read_back(tmp_path: Path) -> None:
    made = folder_id(tmp_path)
    assert len(made) == 32
    assert folder_id(tmp_path) == made
    assert (tmp_path / FOLDER_ID).read_text() == made + "\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [FOLDER_ID]  # nothing left beside


def test_a_fifo_in_its_place_is_refused_without_waiting(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / FOLDER_ID)
    outcome: list[BaseException | str] = []

    def read() -> None:
        try:
            outcome.append(folder_id(tmp_path))
        except BaseException as exc:
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)  # a blocked open cannot be undone
    reader.start()
    reader.join(timeout=10)
    assert not reader.is_alive(), "folder_id waits on a FIFO for a writer that never comes"
    (error,) = outcome
    assert isinstance(error, BrokerError)
    assert "not a regular file" in str(error)


def test_a_symlink_in_its_place_is_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("f" * 32 + "\n")
    root = tmp_path / "notebooks"
    root.mkdir()
    (root / FOLDER_ID).symlink_to(elsewhere)
    with pytest.raises(BrokerError, match="cannot be opened as a file"):
        folder_id(root)


@pytest.mark.parametrize(
    "content",
    [b"", b"\n", b"not an id!\n", b"a" * (MAX_BYTES + 1)],
    ids=["empty", "blank", "junk", "large"],
)
def test_a_file_holding_no_id_is_refused(tmp_path: Path, content: bytes) -> None:
    # An empty file is what a reader found while another process, making the id, had
    # created the file and not yet written it: it agreed with the others on "".
    (tmp_path / FOLDER_ID).write_bytes(content)
    with pytest.raises(BrokerError, match="Remove it"):
        folder_id(tmp_path)


def test_processes_making_it_at_once_all_read_the_one_made_whole(tmp_path: Path) -> None:
    for attempt in range(30):
        root = tmp_path / str(attempt)
        root.mkdir()
        start = threading.Barrier(6)
        ids: list[str | BaseException] = []

        def make(
            root: Path = root,
            start: threading.Barrier = start,
            ids: list[str | BaseException] = ids,
        ) -> None:
            start.wait()
            try:
                ids.append(folder_id(root))
            except BaseException as exc:
                ids.append(exc)

        threads = [threading.Thread(target=make) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(set(ids)) == 1, ids
        assert ids[0] == (root / FOLDER_ID).read_text().strip()
        assert [p.name for p in root.iterdir()] == [FOLDER_ID]
