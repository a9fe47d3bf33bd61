"""The server process's collector settings (restored after, for the other tests)."""

from __future__ import annotations

import asyncio
import gc
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from pairbook.app.gcpolicy import GEN0_ALLOCATIONS, tune_gc, young_passes


@pytest.fixture
def passes() -> Iterator[Counter[int]]:
    """The collector tuned as in the server; the passes it starts, by generation."""
    started: Counter[int] = Counter()

    def count(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[info["generation"]] += 1

    before = gc.get_threshold()
    gc.callbacks.append(count)
    try:
        tune_gc()
        started.clear()
        yield started
    finally:
        gc.callbacks.remove(count)
        gc.unfreeze()
        gc.set_threshold(*before)


def test_start_up_objects_are_frozen(passes: Counter[int]) -> None:
    assert gc.get_freeze_count() > 0


def test_a_young_pass_comes_every_few_thousand_new_objects(passes: Counter[int]) -> None:
    # A pass stops the event loop for as long as it takes to scan what is young: at 500
    # rooms a pass over 50,000 young objects took 15-40 ms of CPU, every few seconds.
    kept: list[list[object]] = [[] for _ in range(10_000)]
    assert passes[0] >= 3, passes
    del kept


def test_the_older_generations_wait_for_many_young_passes(passes: Counter[int]) -> None:
    # A pass over an older generation scans every room's long-lived objects: rare.
    kept: list[list[object]] = [[] for _ in range(100 * GEN0_ALLOCATIONS)]
    assert passes[0] >= 50, passes
    assert passes[1] == passes[2] == 0, passes
    del kept


async def test_the_server_loop_makes_a_young_pass_every_few_ms_whatever_the_count(
    passes: Counter[int],
) -> None:
    # Objects a frame leaves that replace the previous frame's do not move the count, so a
    # pass the count started found thousands of objects: 5-10 ms of the loop's CPU at 500 rooms.
    third = asyncio.Event()

    def count(phase: str, info: dict[str, Any]) -> None:
        if phase == "stop" and passes[0] >= 3:
            third.set()

    gc.disable()  # no pass started by the count: only the loop's own
    gc.callbacks.append(count)
    try:
        async with young_passes(0.001), asyncio.timeout(30):  # a hang guard, not a measurement
            await third.wait()
    finally:
        gc.callbacks.remove(count)
        gc.enable()
    assert passes[1] == passes[2] == 0, passes


async def test_no_pass_is_scheduled_where_the_collector_keeps_its_defaults() -> None:
    loop = asyncio.get_running_loop()
    before = len(loop._scheduled)  # type: ignore[attr-defined]
    async with young_passes(0.001):
        assert len(loop._scheduled) == before  # type: ignore[attr-defined]
