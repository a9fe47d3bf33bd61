"""Processes of one broker must serve one notebooks folder: a process started on another
folder refuses to start and says why (two real `pairbook serve` processes, real Redis)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pairbook.app.sharedfolder import FOLDER_ID
from support.notebooks import write_notebook
from support.redis import fresh_prefix
from support.server import ServerProcess

pytestmark = [pytest.mark.integration, pytest.mark.cluster]


def test_a_process_serving_another_folder_refuses_to_start(tmp_path: Path) -> None:
    shared, other = tmp_path / "shared", tmp_path / "other"
    write_notebook(shared / "demo.ipynb")
    write_notebook(other / "demo.ipynb")
    with fresh_prefix() as broker:
        args = ("--broker", broker)
        a = ServerProcess(shared, args=args).start()
        try:
            again = ServerProcess(shared, args=args).start()  # the same folder: welcome
            again.stop()
            with pytest.raises(RuntimeError, match="exited early") as refused:
                ServerProcess(other, args=args).start()
            assert "is not the one the other pairbook processes of this broker serve" in str(
                refused.value
            )
            assert (shared / FOLDER_ID).read_text() != (other / FOLDER_ID).read_text()
        finally:
            a.stop()
