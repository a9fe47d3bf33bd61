"""The server process's garbage-collector settings.

Profiled under bench/fanout's many-rooms section (500 rooms x 4 clients, 2,000 updates a
second), a third of the worker's time went to cyclic garbage collections: each update
allocates a few container objects (pycrdt event and type wrappers, effects), so a
generation-0 pass ran every few dozen updates, and the older generations it promotes into
made full passes over every room's objects frequent. Objects from start-up are frozen (never
scanned again) and generation 0 waits for many more allocations; reference counting still
frees all acyclic garbage at once, so memory stays bounded by the rare cycles.
"""

from __future__ import annotations

import gc

GEN0_ALLOCATIONS = 50_000
GEN1_PASSES = 50
GEN2_PASSES = 1_000


def tune_gc() -> None:
    """For the server process only (tests keep the interpreter's defaults)."""
    gc.freeze()
    gc.set_threshold(GEN0_ALLOCATIONS, GEN1_PASSES, GEN2_PASSES)
