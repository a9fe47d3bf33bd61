"""What an editor writes into the shared document: values the document takes but nbformat's
schema refuses never stop the notebook from being saved, downloaded or reopened."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest
from pycrdt import Array, Doc, Map, Text

from pairbook.protocol.messages import encode_sync_update
from support.client import RawPeer, YClient
from support.server import ServerProcess

pytestmark = pytest.mark.security

ROOM = "demo.ipynb"


async def wait_for(predicate: Callable[[], bool], timeout: float = 20) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110 - the server process writes the file
            await asyncio.sleep(0.05)  # polling a file another process writes


def spoil(doc: Doc[Any]) -> None:
    """Values of the right Yjs types in the right places that nbformat's schema refuses."""
    cells = doc.get("cells", type=Array)
    cells[1]["metadata"]["collapsed"] = "yes"  # a boolean in nbformat
    cells[1]["outputs"].append(Map({"output_type": "bogus"}))
    cells[2]["metadata"]["tags"] = "not-a-list"
    doc.get("meta", type=Map)["metadata"]["kernelspec"] = 5  # an object in nbformat


async def test_a_value_nbformat_refuses_never_stops_the_notebook_being_saved(
    server: ServerProcess, workdir: Path
) -> None:
    path = workdir / ROOM
    editor = server.join("editor", "Eve")[0]
    async with YClient(server.ws_url(ROOM, editor)) as eve:
        await eve.edit(spoil)
        eve.type_into(2, 0, "typed after ")
        # The file is saved with the edit, valid, and without what the schema refuses.
        await wait_for(lambda: "typed after " in path.read_text())
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        assert "collapsed" not in notebook.cells[1].metadata
        assert [o["output_type"] for o in notebook.cells[1].outputs] == ["stream"]
        assert "tags" not in notebook.cells[2].metadata
        assert "kernelspec" not in notebook.metadata
        status, body = server.get(f"/api/download/{ROOM}", editor)
        assert status == 200, body
    # The document keeps what the peer wrote (the log has it): nothing is lost.
    async with YClient(server.ws_url(ROOM)) as owner:
        assert owner.cells[1]["metadata"]["collapsed"] == "yes"
    unsaved = [
        json.loads(line)
        for line in server.log().splitlines()
        if line.startswith("{") and "upkeep failed" in line
    ]
    assert unsaved == []


# -- items of `cells` no notebook client can read ---------------------------------------------


def full_cell(cell_id: str) -> Map[Any]:
    return Map(
        {
            "id": cell_id,
            "cell_type": "code",
            "source": Text("ok = 1"),
            "metadata": Map(),
            "outputs": Array(),
            "execution_count": None,
        }
    )


def nest_maps(levels: int) -> Callable[[Doc[Any]], None]:
    """Shared maps nested `levels` deep in the second cell's metadata (stock yjs builds one
    as readily: `new Y.Map()` set into the one before, level after level)."""

    def change(doc: Doc[Any]) -> None:
        ymap = doc.get("cells", type=Array)[1]["metadata"]
        for _ in range(levels):
            inner: Map[Any] = Map()
            ymap["deeper"] = inner
            ymap = inner

    return change


MISSHAPEN: dict[str, Callable[[Doc[Any]], None]] = {
    "a number among the cells": lambda doc: doc.get("cells", type=Array).insert(1, 42),
    "a string among the cells": lambda doc: doc.get("cells", type=Array).insert(1, "text"),
    "a source that is a plain string": lambda doc: doc.get("cells", type=Array)[1].__setitem__(
        "source", "print('plain')"
    ),
    "a code cell without outputs": lambda doc: doc.get("cells", type=Array)[1].__delitem__(
        "outputs"
    ),
    "meta.metadata that is a number": lambda doc: doc.get("meta", type=Map).__setitem__(
        "metadata", 5
    ),
    "shared maps nested 1,000 levels": nest_maps(1000),
}


@pytest.mark.parametrize("name", sorted(MISSHAPEN))
async def test_an_update_leaving_what_no_client_can_read_is_refused_before_the_room_takes_it(
    server: ServerProcess, name: str
) -> None:
    url = server.ws_url(ROOM)
    editor = server.join("editor", "Eve")[0]
    async with YClient(url) as ana:
        relayed: list[bytes] = []
        ana.doc.observe(lambda event: relayed.append(event.update))
        eve: Doc[Any] = Doc()
        eve.apply_update(ana.doc.get_update())
        state = eve.get_state()
        with eve.transaction():
            MISSHAPEN[name](eve)
        # Refused; sent again (her document still holds it), told to reload.
        for expected in (4403, 4409):
            async with RawPeer(server.ws_url(ROOM, editor)) as rogue:
                await rogue.send(encode_sync_update(eve.get_update(state)))
                code, reason = await rogue.closed_with()
            assert code == expected, (code, reason)
        # Nobody else was disturbed: Ana is still connected, her next edit reaches others.
        assert relayed == []
        await ana.edit(lambda doc: doc.get("cells", type=Array)[2]["source"].insert(0, "# on\n"))
        async with YClient(url) as later:
            await later.wait_until(lambda: later.source(2).startswith("# on"))
            assert len(later.cells) == 3
            assert isinstance(later.cells[1]["source"], Text)
            assert "outputs" in later.cells[1]
            assert "deeper" not in later.cells[1]["metadata"]
            assert isinstance(later.doc.get("meta", type=Map)["metadata"], Map)
            # A cell of the right shape is taken.
            await later.edit(lambda doc: doc.get("cells", type=Array).append(full_cell("fine")))
            async with YClient(url) as last:
                await last.wait_until(lambda: len(last.cells) == 4)
                assert str(last.cells[3]["id"]) == "fine"
        assert ana.ws is not None
        assert ana.ws.close_code is None


async def test_the_first_refusal_names_what_no_client_could_read(server: ServerProcess) -> None:
    editor = server.join("editor", "Eve")[0]
    async with YClient(server.ws_url(ROOM)) as ana:
        eve: Doc[Any] = Doc()
        eve.apply_update(ana.doc.get_update())
        state = eve.get_state()
        with eve.transaction():
            MISSHAPEN["a code cell without outputs"](eve)
        async with RawPeer(server.ws_url(ROOM, editor)) as rogue:
            await rogue.send(encode_sync_update(eve.get_update(state)))
            code, reason = await rogue.closed_with()
        assert code == 4403, (code, reason)
        assert "no notebook client can read: cells[1] outputs is missing" in reason


async def test_shared_types_nested_level_by_level_are_refused_past_the_limit(
    server: ServerProcess,
) -> None:
    # Each update adds a few levels: what counts is how deep the document would then nest.
    editor = server.join("editor", "Eve")[0]
    async with YClient(server.ws_url(ROOM, editor)) as eve:
        await eve.edit(nest_maps(20))
        async with YClient(server.ws_url(ROOM)) as ana:
            await ana.wait_until(lambda: "deeper" in ana.cells[1]["metadata"])

        def deeper(doc: Doc[Any]) -> None:
            ymap = doc.get("cells", type=Array)[1]["metadata"]
            while "deeper" in ymap:
                ymap = ymap["deeper"]
            for _ in range(20):
                inner: Map[Any] = Map()
                ymap["deeper"] = inner
                ymap = inner

        await eve.edit(deeper)
        assert eve.ws is not None
        async with asyncio.timeout(10):
            await eve.ws.wait_closed()
        assert eve.ws.close_code == 4403
        assert "nest more than 32 levels" in (eve.ws.close_reason or "")


async def test_after_a_refused_source_overwrite_the_others_still_delete_text_in_that_cell(
    server: ServerProcess,
) -> None:
    # The refused update deleted the cell's source text (overwritten by a plain string):
    # its deletions name every character of it. Typing over them later is anyone's edit.
    url = server.ws_url(ROOM)
    editor = server.join("editor", "Eve")[0]
    async with YClient(url) as ana:
        original = ana.source(1)
        eve: Doc[Any] = Doc()
        eve.apply_update(ana.doc.get_update())
        state = eve.get_state()
        with eve.transaction():
            MISSHAPEN["a source that is a plain string"](eve)
        async with RawPeer(server.ws_url(ROOM, editor)) as rogue:
            await rogue.send(encode_sync_update(eve.get_update(state)))
            code, _reason = await rogue.closed_with()
        assert code == 4403
    async with YClient(url) as ana:  # the room reloaded without it
        assert ana.source(1) == original
        await ana.edit(lambda doc: doc.get("cells", type=Array)[1]["source"].__delitem__(0))
        async with YClient(url) as later:
            await later.wait_until(lambda: later.source(1) == original[1:])
        # The whole cell can be deleted too.
        await ana.edit(lambda doc: doc.get("cells", type=Array).__delitem__(1))
        async with YClient(url) as later:
            await later.wait_until(lambda: len(later.cells) == 2)


async def test_a_value_nested_thousands_of_levels_deep_is_refused_and_saving_goes_on(
    server: ServerProcess, workdir: Path
) -> None:
    editor = server.join("editor", "Eve")[0]
    deep: object = 1
    for _ in range(3000):
        deep = [deep]
    async with YClient(server.ws_url(ROOM)) as ana:
        eve: Doc[Any] = Doc()
        eve.apply_update(ana.doc.get_update())
        state = eve.get_state()
        eve.get("cells", type=Array)[1]["metadata"]["deep"] = deep
        async with RawPeer(server.ws_url(ROOM, editor)) as rogue:
            await rogue.send(encode_sync_update(eve.get_update(state)))
            code, reason = await rogue.closed_with()
        assert code == 1002, (code, reason)
        assert "levels deep" in reason
        ana.type_into(2, 0, "typed after ")
        await wait_for(lambda: "typed after " in (workdir / ROOM).read_text())
        assert "deep" not in ana.cells[1]["metadata"]
    status, body = server.get(f"/api/download/{ROOM}")
    assert status == 200, body
