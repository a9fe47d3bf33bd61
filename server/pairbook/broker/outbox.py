"""Outbox: the entries a process published that wait for Redis, bounded in number and in
bytes (pure, no I/O)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator

from pairbook.broker.port import DocEntry, Entry

OUTBOX_ENTRIES = 10_000
"""Entries that may wait."""
OUTBOX_BYTES = 64 * 1024 * 1024
"""Bytes of frames and payloads that may wait (an update may be 8 MB: 10,000 of them are
not kept in memory while Redis is slow or away)."""

Waiting = tuple[str, Entry]  # (room, entry)


def size_of(entry: Entry) -> int:
    return len(entry.frame) if isinstance(entry, DocEntry) else len(entry.payload)


class Outbox:
    """Entries in publishing order. Past `limit` entries or `max_bytes` bytes the oldest
    are given up on (`give_up`: an update becomes a marker, the others read it from the log;
    presence and signals are renewed by whoever sent them)."""

    def __init__(
        self,
        give_up: Callable[[str, Entry], None],
        *,
        limit: int = OUTBOX_ENTRIES,
        max_bytes: int = OUTBOX_BYTES,
    ) -> None:
        self._give_up = give_up
        self._limit = limit
        self._max_bytes = max_bytes
        self._entries: deque[Waiting] = deque()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Waiting]:
        return iter(self._entries)

    def append(self, room: str, entry: Entry) -> None:
        self._entries.append((room, entry))
        self.bytes += size_of(entry)
        self._trim()

    def popleft(self) -> Waiting:
        room, entry = self._entries.popleft()
        self.bytes -= size_of(entry)
        return room, entry

    def put_back(self, batch: list[Waiting]) -> None:
        """A batch Redis did not take waits again, first, within the bounds."""
        self._entries.extendleft(reversed(batch))
        self.bytes += sum(size_of(entry) for _, entry in batch)
        self._trim()

    def _trim(self) -> None:
        while self._entries and (len(self._entries) > self._limit or self.bytes > self._max_bytes):
            self._give_up(*self.popleft())
