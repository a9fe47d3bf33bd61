"""LatestLine writes the newest progress line and lets the body's own errors through."""

from __future__ import annotations

import asyncio

import pytest

from pairbook.envs.progress import LatestLine
from pairbook.errors import EnvError


async def test_lines_that_come_while_one_is_written_coalesce() -> None:
    written: list[str] = []
    gate, last = asyncio.Event(), asyncio.Event()

    async def write(line: str) -> None:
        written.append(line)
        if line == "three":
            last.set()
        await gate.wait()

    async with LatestLine(write).publishing() as progress:
        progress("one")
        await asyncio.sleep(0)  # the writer takes "one" and waits on the gate
        progress("two")
        progress("three")
        gate.set()
        await last.wait()
    assert written == ["one", "three"]


async def test_an_error_in_the_body_is_raised_as_it_is() -> None:
    async def write(line: str) -> None:
        return None

    async def build() -> None:
        async with LatestLine(write).publishing() as progress:
            progress("working")
            raise EnvError("uv could not build the environment")

    with pytest.raises(EnvError, match="uv could not"):
        await build()
