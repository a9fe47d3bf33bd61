"""The server process's collector settings (restored after, for the other tests)."""

from __future__ import annotations

import gc

from pairbook.app.gcpolicy import GEN0_ALLOCATIONS, tune_gc


def test_start_up_objects_are_frozen_and_generation_0_waits_longer() -> None:
    before = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == GEN0_ALLOCATIONS > before[0]
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
