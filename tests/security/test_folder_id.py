"""The notebooks folder's id (`.pairbook-folder`), which every process of a broker checks as
it starts, is out of reach of a cell: the kernel works in the notebooks folder, writable to
it, and an editor's code that rewrote or removed the id made every process that started
after it (a restart, a rolling update, a crashed one coming back) refuse to start."""

from __future__ import annotations

from pathlib import Path

import pytest

from pairbook.app.sharedfolder import FOLDER_ID
from security.test_kernel import run_cell
from support.client import YClient
from support.redis import fresh_prefix
from support.server import ServerProcess

pytestmark = pytest.mark.security

PROBE = (
    "import os\n"
    "def attempt(what, act):\n"
    "    try:\n"
    "        act()\n"
    "        print(what, 'DONE')\n"
    "    except OSError:\n"
    "        print(what, 'refused')\n"
    "def write():\n"
    f"    with open({FOLDER_ID!r}, 'w') as f:\n"
    "        f.write('not the folder id')\n"
    "attempt('write', write)\n"
    f"attempt('remove', lambda: os.remove({FOLDER_ID!r}))\n"
    f"attempt('rename', lambda: os.rename({FOLDER_ID!r}, 'moved'))\n"
)


async def test_a_cell_cannot_change_the_folder_id_and_the_next_process_still_starts(
    workdir: Path, store_path: str
) -> None:
    with fresh_prefix() as broker:
        args = ("--broker", broker)
        with ServerProcess(workdir, store=store_path, args=args) as server:
            made = (workdir / FOLDER_ID).read_text()
            async with YClient(server.ws_url("demo.ipynb")) as ana:
                out = await run_cell(ana, PROBE)
            assert "DONE" not in out, out
            assert (workdir / FOLDER_ID).read_text() == made
            # Another process of the deployment, started now, serves the same folder.
            ServerProcess(workdir, args=args).start().stop()
