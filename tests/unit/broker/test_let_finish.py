"""let_finish: a blocking read is never cancelled half way, and its failure after the caller
gave up (cancelled twice) is never reported as a task exception nobody retrieved."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest

from pairbook.broker.loops import let_finish


async def test_a_cancelled_caller_waits_for_the_read_and_its_late_failure_is_seen() -> None:
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    release = asyncio.Event()
    finished = asyncio.Event()

    async def read() -> int:
        await release.wait()
        finished.set()
        raise ConnectionError("connection closed by server")

    caller = asyncio.create_task(let_finish(read()))
    await asyncio.sleep(0)
    caller.cancel()
    await asyncio.sleep(0)
    assert not caller.done()  # waiting for the read to end, not cancelling it
    caller.cancel()  # cancelled again while it waits: it gives up
    with pytest.raises(asyncio.CancelledError):
        await caller
    release.set()
    await finished.wait()
    await asyncio.sleep(0)
    gc.collect()
    assert [c for c in reported if "never retrieved" in str(c.get("message"))] == []


async def test_the_reads_answer_and_failure_reach_the_caller() -> None:
    async def answer() -> int:
        return 7

    async def fail() -> int:
        raise ConnectionError("down")

    assert await let_finish(answer()) == 7
    with pytest.raises(ConnectionError):
        await let_finish(fail())
