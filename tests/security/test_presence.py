"""Presence: what a peer puts in its awareness state reaches the others' pages only in the
shape their editors read (a viewer's state once crashed every page's remote cursors)."""

from __future__ import annotations

from typing import Any

import pytest

from pairbook.protocol.awareness import AwarenessEntry, encode_awareness_update
from pairbook.protocol.messages import AwarenessMessage, encode_awareness
from security.test_stalls import next_message
from support.client import RawPeer
from support.server import ServerProcess

pytestmark = pytest.mark.security

ROOM = "demo.ipynb"

# y-codemirror's cursor: two Yjs relative positions, as JSON.stringify writes them.
POSITION = {
    "type": {"client": 7, "clock": 3},
    "tname": None,
    "item": {"client": 7, "clock": 4},
    "assoc": 0,
}
CURSOR = {"anchor": POSITION, "head": {**POSITION, "assoc": -1}}

BROKEN: dict[str, Any] = {
    "an item that is a string": {"anchor": {**POSITION, "item": "x"}, "head": POSITION},
    "a client that is a string": {
        "anchor": POSITION,
        "head": {**POSITION, "item": {"client": "a", "clock": 1}},
    },
    "a negative clock": {
        "anchor": {**POSITION, "type": {"client": 1, "clock": -1}},
        "head": POSITION,
    },
    "no head": {"anchor": POSITION},
    "a number": 5,
}


async def relayed_state(server: ServerProcess, state: dict[str, Any]) -> dict[str, Any]:
    viewer = server.join("viewer", "Vi")[0]
    async with (
        RawPeer(server.ws_url(ROOM)) as watcher,
        RawPeer(server.ws_url(ROOM, viewer)) as peer,
    ):
        await peer.send(encode_awareness(encode_awareness_update([AwarenessEntry(9, 1, state)])))
        message: AwarenessMessage = await next_message(watcher, AwarenessMessage)
    (entry,) = message.entries
    assert entry.state is not None
    return entry.state


@pytest.mark.parametrize("name", sorted(BROKEN))
async def test_a_cursor_no_editor_can_read_never_reaches_another_page(
    server: ServerProcess, name: str
) -> None:
    state = await relayed_state(server, {"cursor": BROKEN[name], "cell": "code-0"})
    assert "cursor" not in state
    assert state["cell"] == "code-0"  # the rest of the state is shown


async def test_a_cursor_as_y_codemirror_writes_it_is_relayed_as_it_is(
    server: ServerProcess,
) -> None:
    state = await relayed_state(server, {"cursor": CURSOR})
    assert state["cursor"] == CURSOR
