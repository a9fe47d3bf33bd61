"""Coalescing a lagging peer's queued document updates into one frame.

A peer that falls behind (a busy machine, a slow link) has several update frames waiting;
sending them as one merged update (`pycrdt.merge_updates`) costs one send instead of many,
and Yjs applies the merged update exactly as it would the sequence. Peers of a room tend to
lag together and then hold the same run of frames, so the merged frame is kept in a small
cache keyed by those frames and computed once for all of them.
"""

from __future__ import annotations

import logging
from collections import deque

from pycrdt import merge_updates

from pairbook.errors import is_failure
from pairbook.protocol.messages import MessageType, SyncType, SyncUpdate, decode_message
from pairbook.protocol.messages import encode_sync_update as _encode

log = logging.getLogger("pairbook.room")

SYNC = int(MessageType.SYNC)
UPDATE = int(SyncType.UPDATE)
CACHE_SIZE = 32
"""Merged runs kept: a room's lagging peers ask for the same few runs."""
CACHE_BYTES = 256 * 1024
"""...and at most this many bytes of them (runs and merged frames): what the cache keeps
alive is memory no peer's send bound counts."""
MAX_RUN_BYTES = 64 * 1024
"""Runs are cut here. A run and its merged frame are both in memory while it is sent, and
only the run is counted in the peer's bound: kept small, the difference stays small (a
typist's updates are tens of bytes, so a run still merges a thousand of them)."""


def is_update(frame: bytes) -> bool:
    return len(frame) > 2 and frame[0] == SYNC and frame[1] == UPDATE


class Coalescer:
    """Takes runs of update frames off the front of peers' queues and merges them."""

    def __init__(self, cache_size: int = CACHE_SIZE) -> None:
        self._cache: dict[tuple[bytes, ...], bytes] = {}
        self._cache_size = cache_size
        self._cache_bytes = 0
        self.merged_frames = 0
        """Frames that went out merged into others (for the metrics)."""

    def take(self, queue: deque[bytes]) -> tuple[bytes, int]:
        """The next frame to send from a non-empty queue, and how many queued bytes it
        stands for: the first frame as it is, or a run of update frames merged into one."""
        frame = queue.popleft()
        if not queue or not is_update(frame) or not is_update(queue[0]):
            return frame, len(frame)
        run = [frame]
        size = len(frame)
        while queue and is_update(queue[0]) and size + len(queue[0]) <= MAX_RUN_BYTES:
            frame = queue.popleft()
            run.append(frame)
            size += len(frame)
        if len(run) == 1:
            return run[0], size
        merged = self._merged(tuple(run), size)
        if merged is None:  # sent one by one instead
            queue.extendleft(reversed(run[1:]))
            return run[0], len(run[0])
        return merged, size

    def _merged(self, run: tuple[bytes, ...], size: int) -> bytes | None:
        cached = self._cache.get(run)
        if cached is not None:
            self.merged_frames += len(run) - 1
            return cached
        try:
            updates = []
            for frame in run:
                message = decode_message(frame)
                if not isinstance(message, SyncUpdate):
                    raise TypeError(f"expected a sync update, got {type(message).__name__}")
                updates.append(message.update)
            merged = _encode(merge_updates(*updates))
        except BaseException as exc:
            # The room applied each of them, so this is a bug (or a pycrdt panic): logged, and
            # nothing is lost.
            if not is_failure(exc):
                raise
            log.error("cannot merge queued updates; sending them one by one", exc_info=exc)
            return None
        kept = size + len(merged)
        if len(self._cache) >= self._cache_size or self._cache_bytes + kept > CACHE_BYTES:
            self._cache.clear()
            self._cache_bytes = 0
        if kept <= CACHE_BYTES:
            self._cache[run] = merged
            self._cache_bytes += kept
        self.merged_frames += len(run) - 1
        return merged


SHARED = Coalescer()
"""One for the process: rooms' frames never collide (a run is keyed by its own frames)."""
