"""A stock y-websocket client alone in a room keeps hearing from it.

y-websocket's provider closes and reopens a socket it has heard nothing on for 30 s (its
`messageReconnectTimeout`), failing whatever it was waiting for (a completion, a command's
reply). The stock server echoes each client's own awareness back to it every 15 s; pairbook
relays awareness to the others only, so a person alone in a room heard nothing and
reconnected every ~33 s (seen in a browser test whose completion reply was lost that way).
The server now sends a peer it said nothing to for a keepalive period an awareness update of
no entries (`--keepalive`, 10 s by default; 0.5 s here)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.nodepeer import node_peer
from support.notebooks import write_notebook
from support.server import ServerProcess

pytestmark = pytest.mark.interop


@pytest.fixture
def quick_keepalive(tmp_path: Path) -> Iterator[ServerProcess]:
    root = tmp_path / "notebooks"
    write_notebook(root / "demo.ipynb")
    store = str(tmp_path / "store.sqlite")
    with ServerProcess(root, store=store, args=("--keepalive", "0.5")) as running:
        yield running


async def test_a_stock_client_alone_in_a_room_keeps_hearing_from_it(
    quick_keepalive: ServerProcess,
) -> None:
    heard = await node_peer(quick_keepalive.port, "listen", "4")
    # Nobody else is in the room: only keepalives can reach it, one per silent period
    # (8 in 4 s; 2 leaves room for a loaded machine).
    assert heard["heard"] >= 2, heard
    assert heard["connected"], heard
