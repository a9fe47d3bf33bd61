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


async def test_a_loop_that_swallowed_its_cancel_is_cancelled_again() -> None:
    # redis-py, cancelled in the middle of a command, can swallow the cancel: the loop went
    # back to waiting for work, and the stop waited for it for ever.
    swallowed = asyncio.Event()

    async def stubborn() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            swallowed.set()
        await asyncio.Event().wait()  # waits for work that never comes

    loops = Loops(logging.getLogger("pairbook.test.loops"), pause=0.01)
    loops.start("stubborn", stubborn)
    await asyncio.sleep(0)
    stopping = asyncio.ensure_future(loops.stop())
    done, _ = await asyncio.wait([stopping], timeout=10)  # a bound on a hang
    assert stopping in done, "the stop waits for a loop that swallowed its cancel"
    assert swallowed.is_set()
