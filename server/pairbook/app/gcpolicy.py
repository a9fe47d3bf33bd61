"""The server process's garbage-collector settings.

Profiled under bench/fanout's many-rooms section (500 rooms x 4 clients, 2,000 updates a
second), a third of the worker's time went to cyclic garbage collections: each update
allocates a few container objects (pycrdt event and type wrappers, effects), so a
generation-0 pass ran every few dozen updates, and the older generations it promotes into
made full passes over every room's objects frequent. Objects from start-up are frozen (never
scanned again) and the older generations wait for many young passes; reference counting
still frees all acyclic garbage at once, so memory stays bounded by the rare cycles.

A young pass is short, and so comes often. A pass stops the event loop while it scans every
object allocated since the last one that is still alive, and the threshold counts new
objects *minus freed ones*: with 2,000 connections each replacing its waiting coroutines,
futures and callbacks at every frame (the old ones freed), the young generation held
46,000-136,000 objects when a 50,000 threshold was reached, and each pass took 15-70 ms of
the loop's CPU every few seconds, a pause every message arriving meanwhile waited out (the
many-rooms p99). A pass every 2,000 takes a few ms; the older generations wait for many
young passes (below).

The young generation is also collected every `YOUNG_EVERY` seconds by the server's loop
itself (`young_passes`), whatever the count says: in the many-rooms typing the count reached
2,000 only 9-33 times in 10 s, each pass then 2.8-3.5 ms of the loop's CPU (median), up to
9-10 ms, 2-7 passes of 5 ms or more a run; a pass every 20 ms scans what 20 ms of frames left
alive, 0.2 ms (median), at most 3-5 ms, for about 0.4 % of a core more in all
(docs/benchmarks.md, many rooms, tenth pass). Every young pass, the loop's own too, counts
towards generation 1's threshold: at 1,250 passes a generation-1 pass came every 25 s (the
first one after 500 rooms opened took 140 ms of the loop's CPU), so it waits for 30,000: one
every 10 minutes of the loop's passes, no more often than the threshold's passes alone gave
under load.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator

GEN0_ALLOCATIONS = 2_000
GEN1_PASSES = 30_000
GEN2_PASSES = 1_000
YOUNG_EVERY = 0.02


def tune_gc() -> None:
    """For the server process only (tests keep the interpreter's defaults)."""
    gc.freeze()
    gc.set_threshold(GEN0_ALLOCATIONS, GEN1_PASSES, GEN2_PASSES)


@contextlib.asynccontextmanager
async def young_passes(every: float = YOUNG_EVERY) -> AsyncIterator[None]:
    """Collect the young generation every `every` seconds on the running loop, while the
    block runs; only in a process `tune_gc` tuned (tests keep the interpreter's defaults)."""
    if gc.get_threshold()[0] != GEN0_ALLOCATIONS:
        yield
        return
    loop = asyncio.get_running_loop()
    timer: list[asyncio.TimerHandle] = []

    def young() -> None:
        gc.collect(0)
        timer[0] = loop.call_later(every, young)

    timer.append(loop.call_later(every, young))
    try:
        yield
    finally:
        timer[0].cancel()
