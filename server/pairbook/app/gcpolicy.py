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
many-rooms p99). A pass every 2,000 takes a few ms; the older generations keep their
cadence (one pass over generation 1 per 2.5 million net allocations, as before).
"""

from __future__ import annotations

import gc

GEN0_ALLOCATIONS = 2_000
GEN1_PASSES = 1_250
GEN2_PASSES = 1_000


def tune_gc() -> None:
    """For the server process only (tests keep the interpreter's defaults)."""
    gc.freeze()
    gc.set_threshold(GEN0_ALLOCATIONS, GEN1_PASSES, GEN2_PASSES)
