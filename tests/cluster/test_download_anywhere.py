"""A notebook downloaded from a process that does not hold its room, while another process
keeps it open: the download holds the room's latest edits (read from the log), not the file
that process's autosave has not written yet. Two real `pairbook serve` processes on one
folder whose autosave waits a minute, the machine's Redis and PostgreSQL."""

from __future__ import annotations

import pytest

from support.client import YClient
from support.notebooks import read_sources
from support.server import ServerProcess

pytestmark = [pytest.mark.integration, pytest.mark.cluster]

DOWNLOAD = "/api/download/demo.ipynb"


async def test_a_download_from_another_process_holds_the_rooms_latest_edits(
    slow_savers: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = slow_savers
    path = a.root / "demo.ipynb"
    saved = read_sources(path)
    async with YClient(a.ws_url("demo.ipynb")) as ana, YClient(a.ws_url("demo.ipynb")) as amy:
        ana.type_into(1, 0, "# unsaved edit\n")
        await amy.wait_until(lambda: amy.source(1).startswith("# unsaved edit"))  # logged
        assert read_sources(path) == saved  # the autosave waits a minute
        status, notebook = b.get(DOWNLOAD)
        assert status == 200, notebook
        assert isinstance(notebook, dict)
        sources = ["".join(cell["source"]) for cell in notebook["cells"]]
        assert sources[1].startswith("# unsaved edit\n"), sources
        assert sources == [ana.source(n) for n in range(len(ana.cells))]
        status, text = b.get(DOWNLOAD + "?format=py")
        assert status == 200, text
        assert "# unsaved edit" in str(text), text
