"""Loops: a background loop that fails unexpectedly is logged, started again and stopped
with the others; none dies silently."""

from __future__ import annotations

import asyncio
import logging

import pytest

from pairbook.broker.loops import Loop, Loops

log = logging.getLogger("pairbook.test.loops")


async def test_a_failed_loop_is_logged_and_started_again(caplog: pytest.LogCaptureFixture) -> None:
    loops = Loops(log, pause=0)
    runs: list[int] = []
    restarts: list[int] = []
    again = asyncio.Event()

    async def reader() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            raise KeyError("a bug in the loop")
        again.set()
        await asyncio.Event().wait()  # runs until stopped

    with caplog.at_level(logging.ERROR, logger=log.name):
        loops.start("reader", reader, restarted=lambda: restarts.append(1))
        async with asyncio.timeout(5):
            await again.wait()
    await loops.stop()
    assert (runs, restarts, loops.failures) == ([0, 1], [1], 1)
    [record] = [r for r in caplog.records if r.name == log.name]
    assert record.getMessage() == "background task failed; starting it again"
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], KeyError)
    assert record.__dict__["task"] == "reader"


async def test_stop_cancels_every_loop_and_waits_for_it() -> None:
    loops = Loops(log)
    ended: list[str] = []
    started = asyncio.Event()

    def forever(name: str) -> Loop:
        async def loop() -> None:
            try:
                started.set()
                await asyncio.Event().wait()
            finally:
                ended.append(name)

        return loop

    loops.start("a", forever("a"))
    loops.start("b", forever("b"))
    await started.wait()
    await loops.stop()
    assert sorted(ended) == ["a", "b"]
    assert loops.failures == 0
