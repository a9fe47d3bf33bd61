"""The event loop's lag over time in a pairbook server under the bench, with what ran.

Put this folder first on PYTHONPATH and name a file prefix in PAIRBOOK_BENCH_LOOPWATCH; every
`pairbook serve` process the bench starts (and the server process it forks) then appends to
PREFIX.<pid> one JSON line per event, all stamped with time.monotonic() (CLOCK_MONOTONIC, the
clock the Node clients' `process.hrtime` reads):

- `{"lag": ms, "t": s, "cpu": ms}`: a probe scheduled every 2 ms on the loop ran `lag` ms
  late, and the loop thread's CPU since the probe before (near `lag` + 2: the loop was busy;
  far below: it waited for a core or the GIL) (only lags of 2 ms or more are written;
  `{"probes": n, "hist": {...}}` at the end and every 5 s gives every probe's lag, bucketed by ms);
- `{"gc": gen, "t": s, "ms": cpu ms}`: a collector pass (CPU of the thread that ran it);
- `{"ticks": [...]}` every second: how many rooms' life loops woke (`Flag.wait_for` returned)
  in each 10 ms of that second, when PAIRBOOK_BENCH_LOOPWATCH_TICKS=1 (it wraps their wait);
- `{"calls": name, "s": second, "bins": [...]}` every second for each `module:Class.method`
  named in PAIRBOOK_BENCH_LOOPWATCH_COUNT (comma-separated): its calls in each 10 ms;
- `{"stack": [...], "t": s}` with PAIRBOOK_BENCH_LOOPWATCH_STACKS=1: a thread samples the
  loop thread's stack every millisecond and writes the samples taken while a lag of 5 ms or
  more built up (each a few innermost pairbook/asyncio frames). It takes the GIL from the
  loop every switch interval: use it to see what ran, not to compare latencies.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import threading
import time
from collections import Counter
from typing import Any

PERIOD = 0.002
_state: dict[str, Any] = {}


def _writer(prefix: str) -> Any:
    return open(f"{prefix}.{os.getpid()}", "a", buffering=1)


def _start(loop: Any) -> None:
    prefix = os.environ["PAIRBOOK_BENCH_LOOPWATCH"]
    out = _writer(prefix)
    hist: Counter[int] = Counter()
    probes = [0]
    last_dump = [time.monotonic()]
    stall = [0.0]  # monotonic time the current probe was due (for the stack sampler)

    cpu_at = [time.thread_time()]

    def probe(due: float) -> None:
        now = time.monotonic()
        cpu_now = time.thread_time()
        lag = (now - due) * 1000
        probes[0] += 1
        hist[int(lag)] += 1
        if lag >= 2.0:
            # cpu: the loop thread's CPU ms since the previous probe ran (PERIOD + lag ago):
            # near the lag, the loop itself was busy; far below it, it waited for a core or
            # the GIL
            cpu = round((cpu_now - cpu_at[0]) * 1000, 2)
            out.write(json.dumps({"lag": round(lag, 2), "t": round(now, 4), "cpu": cpu}) + "\n")
        cpu_at[0] = cpu_now
        if now - last_dump[0] >= 5.0:
            last_dump[0] = now
            out.write(json.dumps({"probes": probes[0], "hist": dict(sorted(hist.items()))}) + "\n")
        stall[0] = now + PERIOD
        loop.call_later(PERIOD, probe, now + PERIOD)

    stall[0] = time.monotonic() + PERIOD
    loop.call_later(PERIOD, probe, stall[0])

    started = [0.0]

    def on_pass(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[0] = time.thread_time()
            return
        cpu = (time.thread_time() - started[0]) * 1000
        line = {"gc": info["generation"], "t": round(time.monotonic(), 4), "ms": round(cpu, 2)}
        out.write(json.dumps(line) + "\n")

    gc.callbacks.append(on_pass)
    if os.environ.get("PAIRBOOK_BENCH_LOOPWATCH_TICKS") == "1":
        _count_ticks(loop, out)
    for name in filter(None, os.environ.get("PAIRBOOK_BENCH_LOOPWATCH_COUNT", "").split(",")):
        _count_calls(name, out)
    if os.environ.get("PAIRBOOK_BENCH_LOOPWATCH_STACKS") == "1":
        main = threading.get_ident()
        threading.Thread(target=_sample, args=(main, stall, out), daemon=True).start()


def _count_ticks(loop: Any, out: Any) -> None:
    """The rooms' wake-ups per 10 ms, and per loop iteration (uvloop's clock is read once an
    iteration: wake-ups seeing one `loop.time()` ran in one iteration) with the CPU their
    upkeep took in it, when the room's body ran to its next wait without awaiting across
    iterations."""
    from pairbook.flag import Flag

    # The rooms' life loops are its only callers: wait_until, or wait_for before it.
    name = "wait_until" if hasattr(Flag, "wait_until") else "wait_for"
    wait = getattr(Flag, name)
    bins = [0] * 100
    second = [int(time.monotonic())]
    woke: dict[int, tuple[float, float]] = {}  # flag -> (loop time, thread time) at its wake
    group = [0.0, 0, 0.0]  # loop time of the iteration, wake-ups in it, their CPU
    sizes: Counter[int] = Counter()
    heavy: list[list[float]] = []  # [monotonic, wake-ups, CPU ms] of iterations >= 0.25 ms

    def close_group() -> None:
        if group[1]:
            sizes[int(group[1])] += 1
            if group[2] >= 0.00025:
                heavy.append([round(time.monotonic(), 3), group[1], round(group[2] * 1000, 2)])

    async def counted(self: Flag, when: float) -> bool:
        key = id(self)
        started = woke.pop(key, None)
        if started is not None and started[0] == loop.time() == group[0]:
            group[2] += time.thread_time() - started[1]
        result: bool = await wait(self, when)
        now = time.monotonic()
        if int(now) != second[0]:
            out.write(json.dumps({"ticks": bins, "s": second[0]}) + "\n")
            out.write(
                json.dumps({"iterations": dict(sorted(sizes.items())), "heavy": heavy}) + "\n"
            )
            bins[:] = [0] * 100
            sizes.clear()
            heavy.clear()
            second[0] = int(now)
        bins[int((now % 1.0) * 100)] += 1
        at = loop.time()
        if at != group[0]:
            close_group()
            group[:] = [at, 0, 0.0]
        group[1] += 1
        woke[key] = (at, time.thread_time())
        return result

    setattr(Flag, name, counted)


def _count_calls(name: str, out: Any) -> None:
    """Count the calls of `module:Class.function` (or `module:function`) per 10 ms, one
    line a second: `{"calls": name, "s": second, "bins": [...]}`."""
    import importlib
    import inspect

    module_name, _, path = name.partition(":")
    owner: Any = importlib.import_module(module_name)
    *parents, attr = path.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    function = getattr(owner, attr)
    bins = [0] * 100
    second = [int(time.monotonic())]

    def note() -> None:
        now = time.monotonic()
        if int(now) != second[0]:
            out.write(json.dumps({"calls": name, "s": second[0], "bins": bins}) + "\n")
            bins[:] = [0] * 100
            second[0] = int(now)
        bins[int((now % 1.0) * 100)] += 1

    if inspect.iscoroutinefunction(function):

        async def counted_async(*args: Any, **kwargs: Any) -> Any:
            note()
            return await function(*args, **kwargs)

        setattr(owner, attr, counted_async)
    else:

        def counted(*args: Any, **kwargs: Any) -> Any:
            note()
            return function(*args, **kwargs)

        setattr(owner, attr, counted)


def _frames(frame: Any) -> list[str]:
    names: list[str] = []
    while frame is not None and len(names) < 6:
        code = frame.f_code
        file = code.co_filename
        if "pairbook" in file or "asyncio" in file or "uvicorn" in file or "pycrdt" in file:
            names.append(f"{file.rsplit('/', 2)[-2]}/{file.rsplit('/', 1)[-1]}:{code.co_name}")
        frame = frame.f_back
    return names


def _sample(main: int, stall: list[float], out: Any) -> None:
    held: list[tuple[float, list[str]]] = []
    while True:
        time.sleep(0.001)
        now = time.monotonic()
        late = (now - stall[0]) * 1000
        frame = sys._current_frames().get(main)
        if late >= 3.0 and frame is not None:
            held.append((now, _frames(frame)))
        elif held:
            if (held[-1][0] - held[0][0]) * 1000 >= 3.0:
                for t, names in held:
                    out.write(json.dumps({"stack": names, "t": round(t, 4)}) + "\n")
            held = []


def _install() -> None:
    if not os.environ.get("PAIRBOOK_BENCH_LOOPWATCH") or "serve" not in sys.argv:
        return
    try:
        import uvloop
    except ImportError:
        return
    new_event_loop = uvloop.new_event_loop

    def watched_loop() -> Any:
        loop = new_event_loop()
        loop.call_soon(_start, loop)
        return loop

    uvloop.new_event_loop = watched_loop  # uvicorn's loop factory looks it up when called


_install()
