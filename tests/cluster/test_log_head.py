"""An update a process logged but never published (it was killed between the two) reaches
the other processes from the log within seconds, with no later update to reveal the gap:
a real `pairbook serve` with PostgreSQL and Redis, the dead process's write made straight
into the log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Array, Doc, Map, Text

from pairbook.store.postgres import PostgresStore
from support.client import YClient
from support.notebooks import write_notebook
from support.postgres import fresh_schema
from support.redis import fresh_prefix
from support.server import ServerProcess

pytestmark = [pytest.mark.integration, pytest.mark.cluster]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[ServerProcess, str]]:
    root = tmp_path / "notebooks"
    write_notebook(root / "demo.ipynb")
    with fresh_schema() as store, fresh_prefix() as broker:
        server = ServerProcess(root, store=store, args=("--broker", broker)).start()
        try:
            yield server, store
        finally:
            server.stop()


async def test_an_update_logged_but_never_published_reaches_the_room_from_the_log(
    served: tuple[ServerProcess, str],
) -> None:
    server, url = served
    async with YClient(server.ws_url("demo.ipynb")) as client:
        await client.wait_until(lambda: len(client.cells) > 1)
        # The dead process's copy of the room: the same document, one edit more.
        theirs: Doc[Any] = Doc()
        theirs.apply_update(client.doc.get_update())
        before = theirs.get_state()
        cells = theirs.get("cells", type=Array)
        source = cells[1]["source"]
        assert isinstance(source, Text)
        source.insert(0, "# logged, never published\n")
        update = theirs.get_update(before)
        async with PostgresStore(url) as store:
            await store.append("demo.ipynb", update, "u-gone", [theirs.client_id])
        await client.wait_until(
            lambda: client.source(1).startswith("# logged, never published"), timeout=15
        )
        assert isinstance(cells[1], Map)
