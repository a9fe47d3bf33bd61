"""The process keeping a room's notebook file dies (kill -9); while nobody keeps the file, it is
edited outside pairbook (an editor, a git checkout). The process that takes the file over
takes the edit into the room, where every peer sees it, and never writes over it. Two real
`pairbook serve` processes on one folder, the machine's Redis and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from support.client import YClient
from support.notebooks import read_sources
from support.server import ServerProcess

pytestmark = [pytest.mark.integration, pytest.mark.cluster]

OUTSIDE = "# edited outside while no pairbook process kept the file\n"


async def until(check: Callable[[], bool], within: float = 20.0) -> None:
    """Wait for `check` (a bound on a hang, not a measured time): the file is written by
    another process, there is no event to wait on."""
    async with asyncio.timeout(within):
        while not check():  # noqa: ASYNC110
            await asyncio.sleep(0.05)


def edit_outside(path: Path) -> None:
    notebook = json.loads(path.read_text())
    cell = notebook["cells"][1]
    cell["source"] = OUTSIDE + "".join(cell["source"])
    path.write_text(json.dumps(notebook, indent=1) + "\n")


async def test_an_outside_edit_made_while_the_keeper_was_dead_reaches_the_room(
    servers: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = servers
    path = a.root / "demo.ipynb"
    async with YClient(a.ws_url("demo.ipynb")) as ana:  # A opens the room: A keeps the file
        ana.type_into(1, 0, "typed on A ")
        await until(lambda: read_sources(path)[1].startswith("typed on A "))
    a.kill()
    edit_outside(path)
    expected = OUTSIDE + "typed on A x = 1\nprint(x)"
    # B owns the room within a second or two (its peers are then sent to reconnect) and
    # takes the files lease over once A's has run out (10 s): the edit comes into the room.
    try:
        await seen_on(b, expected, path)
    except TimeoutError:
        raise AssertionError(
            f"the outside edit never reached B's room; the file holds {read_sources(path)[1]!r}"
        ) from None


async def seen_on(b: ServerProcess, expected: str, path: Path) -> None:
    """A peer of B sees the first code cell as `expected`, which is still in the file; what
    it types then reaches the file (B keeps it)."""
    async with asyncio.timeout(60):
        while True:
            async with YClient(b.ws_url("demo.ipynb")) as bob:
                try:
                    await bob.wait_until(lambda: bob.source(1) == expected, timeout=3)
                except TimeoutError:
                    continue  # not yet, or sent to reconnect: B now owns the room
                assert read_sources(path)[1] == expected  # not written over
                bob.type_into(1, 0, "then on B ")
                await until(lambda: read_sources(path)[1] == "then on B " + expected)
                return
