"""`MemoryStore`: the in-process store that defines the behaviour and serves as test double."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

from pairbook.store.records import RoomLog, StoreStats, UpdateRecord
from pairbook.store.rules import (
    StoreState,
    check_client_ids,
    check_closed,
    check_limit,
    check_open,
    check_prune,
    check_snapshot,
    check_update,
)


@dataclass(slots=True)
class _Room:
    records: list[UpdateRecord] = field(default_factory=list)
    last_seq: int = 0
    snapshot: bytes | None = None
    snapshot_seq: int = 0
    meta: dict[str, str] = field(default_factory=dict)
    claims: dict[int, str] = field(default_factory=dict)


class MemoryStore:
    """Keeps every room's log in this process; survives close/open, not the process."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._rooms: dict[str, _Room] = {}
        self._state = StoreState.CLOSED
        self._appends = 0

    async def open(self) -> None:
        check_closed(self._state)
        self._state = StoreState.OPEN

    async def close(self) -> None:
        self._state = StoreState.CLOSED

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def append(
        self, room: str, update: bytes, user_id: str, client_ids: Sequence[int]
    ) -> int:
        check_open(self._state, f"append to room {room!r}")
        update = check_update(update)
        ids = check_client_ids(client_ids)
        log = self._rooms.setdefault(room, _Room())
        log.last_seq += 1
        log.records.append(UpdateRecord(room, log.last_seq, update, user_id, ids, self._clock()))
        for client_id in ids:
            log.claims.setdefault(client_id, user_id)
        self._appends += 1
        return log.last_seq

    async def load(self, room: str) -> RoomLog | None:
        check_open(self._state, f"load room {room!r}")
        log = self._rooms.get(room)
        if log is None:
            return None
        return RoomLog(
            snapshot=log.snapshot,
            snapshot_seq=log.snapshot_seq,
            updates=tuple(r for r in log.records if r.seq > log.snapshot_seq),
            meta=dict(log.meta),
            claims=dict(log.claims),
        )

    async def save_snapshot(self, room: str, snapshot: bytes, upto_seq: int) -> None:
        check_open(self._state, f"save a snapshot of room {room!r}")
        snapshot = check_update(snapshot)
        log = self._rooms.get(room)
        check_snapshot(room, upto_seq, log.last_seq if log else 0)
        assert log is not None  # check_snapshot refuses a room without records
        if upto_seq >= log.snapshot_seq:
            log.snapshot, log.snapshot_seq = snapshot, upto_seq

    async def prune(self, room: str, upto_seq: int) -> int:
        check_open(self._state, f"prune room {room!r}")
        log = self._rooms.get(room)
        check_prune(room, upto_seq, log.snapshot_seq if log else 0)
        if log is None:
            return 0
        kept = [r for r in log.records if r.seq > upto_seq]
        pruned = len(log.records) - len(kept)
        log.records = kept
        return pruned

    async def set_meta(self, room: str, key: str, value: str) -> None:
        check_open(self._state, f"set meta {key!r} of room {room!r}")
        self._rooms.setdefault(room, _Room()).meta[key] = value

    async def claim(self, room: str, client_id: int, user_id: str) -> None:
        check_open(self._state, f"claim client {client_id} in room {room!r}")
        (client_id,) = check_client_ids((client_id,))
        self._rooms.setdefault(room, _Room()).claims.setdefault(client_id, user_id)

    async def rooms(self) -> list[str]:
        check_open(self._state, "list rooms")
        return sorted(self._rooms)

    async def drop_room(self, room: str) -> None:
        check_open(self._state, f"drop room {room!r}")
        self._rooms.pop(room, None)

    async def records(
        self, room: str, after_seq: int = 0, limit: int | None = None
    ) -> list[UpdateRecord]:
        check_open(self._state, f"read records of room {room!r}")
        check_limit(limit)
        log = self._rooms.get(room)
        if log is None:
            return []
        found = [r for r in log.records if r.seq > after_seq]
        return found if limit is None else found[:limit]

    def stats(self) -> StoreStats:
        return StoreStats(appends=self._appends, commits=self._appends)
