"""The collector's passes in a pairbook server under the bench, one JSON line each.

Put this folder first on PYTHONPATH and name a file prefix in PAIRBOOK_BENCH_GCWATCH; every
`pairbook serve` process the bench starts (and the server process it forks) then appends to
PREFIX.<pid> one line per collection: its generation, wall and CPU milliseconds (CPU of the
thread that ran it: the event loop's, in the server), the objects it freed, and with
PAIRBOOK_BENCH_GCWATCH_YOUNG=1 how many objects the young generation held as it started
(counting them costs a list of them, so leave it off when comparing CPU).
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

_installed: list[Callable[[str, dict[str, Any]], None]] = []


def _watch() -> None:
    for inherited in _installed:  # the parent's, copied by fork: it writes the parent's file
        gc.callbacks.remove(inherited)
    _installed.clear()
    prefix = os.environ.get("PAIRBOOK_BENCH_GCWATCH")
    if not prefix or "serve" not in sys.argv:
        return
    out = open(f"{prefix}.{os.getpid()}", "a", buffering=1)  # noqa: SIM115 (the process's life)
    count_young = os.environ.get("PAIRBOOK_BENCH_GCWATCH_YOUNG") == "1"
    started: list[float] = [0.0, 0.0, 0]  # wall, CPU, young objects (an int)

    def on_pass(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            objects = len(gc.get_objects(0)) if count_young else -1
            started[:] = [time.perf_counter(), time.thread_time(), objects]
            return
        wall, cpu, young = started
        line = {
            "t": time.monotonic(),
            "gen": info["generation"],
            "wall_ms": round((time.perf_counter() - wall) * 1000, 3),
            "cpu_ms": round((time.thread_time() - cpu) * 1000, 3),
            "freed": info["collected"],
            "young": young,
        }
        out.write(json.dumps(line) + "\n")

    gc.callbacks.append(on_pass)
    _installed.append(on_pass)


_watch()  # `pairbook serve` itself
os.register_at_fork(after_in_child=_watch)  # the server process it forks
