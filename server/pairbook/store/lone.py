"""`LoneAppends`: when the SQLite writer's caller may commit an append itself, at once.

A lone append (a person typing: one keystroke every 100 ms or so) gains nothing from the
writer thread's group commit, and handing it over costs its room's relay two thread hops:
the writer thread woken (a futex), then the event loop woken back (its self-pipe), each a
wait for a core and for the GIL. bench/fanout at N=50 (one writer, 100 edits/s): the hops
and the thread's share were ~160 µs of the ~430 µs from an update's arrival to its first
relayed write, on a busy machine. Committed by the event loop itself, the update is still in
the log before anyone is sent it. A typing append (its client claimed already, no fence) is
one INSERT in SQLite's implicit transaction (`Writer._insert_alone`), not BEGIN, two INSERTs
and COMMIT: 40-120 µs less on the loop (docs/benchmarks.md, fan-out N=50, session 17).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

LONE_QUIET = 0.002
"""Seconds without another write that make an append lone. Under a stream of appends (500
rooms × 4 typists: 2,000 a second, 0.5 ms apart on average; about 2 % of them follow 2 ms
of quiet) the thread's group commit stays cheaper: one commit for many, off the loop."""

LONE_BYTES = 64 * 1024
"""Larger appends (a pasted notebook) are written by the thread: the event loop would
stall for as long as SQLite writes them."""


class LoneAppends:
    """Whether the append being made may be committed now by its caller: the writer thread
    has no write in hand (every write handed to it is settled in its loop, so none queued
    before this one is written, or answered, after it) and no write came for `quiet`
    seconds (None: never — with synchronous=full a commit is an fsync, not for the loop).

    `queued` and `settled` are called on the callers' event loops (a lock: tests run
    several), `take` as an append is made."""

    def __init__(self, quiet: float | None, timer: Callable[[], float]) -> None:
        self._quiet = quiet
        self._timer = timer
        self._lock = threading.Lock()
        self._unsettled = 0
        self._last = -math.inf

    def queued(self) -> None:
        """A write was handed to the writer thread."""
        now = self._timer()
        with self._lock:
            self._unsettled += 1
            self._last = now

    def settled(self, count: int) -> None:
        """`count` writes the thread wrote (or failed) were settled in their loop."""
        with self._lock:
            self._unsettled -= count

    def take(self, size: int) -> bool:
        """Whether an append of `size` bytes, made now, is lone. It counts as a write
        either way: the next one within `quiet` seconds goes to the thread."""
        if self._quiet is None:
            return False
        now = self._timer()
        with self._lock:
            lone = now - self._last >= self._quiet and not self._unsettled
            self._last = now
        return lone and size <= LONE_BYTES
