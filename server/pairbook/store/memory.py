"""`MemoryStore`: the in-process store that defines the behaviour and serves as test double."""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from pairbook.store.queued import StoreLife
from pairbook.store.records import (
    Checkpoint,
    EventKinds,
    EventRecord,
    RoomLog,
    Stamp,
    StoreStats,
    UpdateRecord,
)
from pairbook.store.rules import (
    check_client_ids,
    check_fence,
    check_limit,
    check_open,
    check_prune,
    check_snapshot,
    check_token,
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
    events: list[EventRecord] = field(default_factory=list)
    checkpoints: dict[int, Checkpoint] = field(default_factory=dict)


class MemoryStore(StoreLife):
    """Keeps every room's log in this process; survives close/open, not the process."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._rooms: dict[str, _Room] = {}
        self._fences: dict[str, int] = {}  # outlive drop_room: tokens only ever grow
        self._appends = 0

    async def _start(self) -> None:
        pass

    async def _stop(self) -> None:
        pass

    async def append(
        self,
        room: str,
        update: bytes,
        user_id: str,
        client_ids: Sequence[int],
        *,
        fence: int | None = None,
    ) -> int:
        check_open(self._state, f"append to room {room!r}")
        update = check_update(update)
        ids = check_client_ids(client_ids)
        fence = self._check_fence(room, fence, "append to")
        self._raise(room, fence)
        log = self._rooms.setdefault(room, _Room())
        log.last_seq += 1
        log.records.append(UpdateRecord(room, log.last_seq, update, user_id, ids, self._clock()))
        for client_id in ids:
            log.claims.setdefault(client_id, user_id)
        self._appends += 1
        return log.last_seq

    async def raise_fence(self, room: str, token: int) -> int:
        check_open(self._state, f"fence room {room!r}")
        before = self._fences.get(room, 0)
        self._fences[room] = max(before, check_token(token) or 0)
        return before

    def _check_fence(self, room: str, fence: int | None, doing: str) -> int | None:
        """The write's token, checked (FencedError below the room's fence); the write
        raises the fence to it (`_raise`) once nothing else can refuse the write."""
        token = check_token(fence)
        if token is not None:
            check_fence(room, token, self._fences.get(room, 0), doing)
        return token

    def _raise(self, room: str, token: int | None) -> None:
        if token is not None:
            self._fences[room] = max(self._fences.get(room, 0), token)

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

    async def meta(self, room: str) -> dict[str, str]:
        check_open(self._state, f"read the meta of room {room!r}")
        log = self._rooms.get(room)
        return {} if log is None else dict(log.meta)

    async def save_snapshot(
        self, room: str, snapshot: bytes, upto_seq: int, *, meta: Mapping[str, str] | None = None
    ) -> None:
        check_open(self._state, f"save a snapshot of room {room!r}")
        snapshot = check_update(snapshot)
        log = self._rooms.get(room)
        check_snapshot(room, upto_seq, log.last_seq if log else 0)
        assert log is not None  # check_snapshot refuses a room without records
        if upto_seq >= log.snapshot_seq:
            log.snapshot, log.snapshot_seq = snapshot, upto_seq
            log.meta.update(meta or {})

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

    async def append_events(
        self, room: str, events: Sequence[EventRecord], *, fence: int | None = None
    ) -> None:
        check_open(self._state, f"append events to room {room!r}")
        # No events, no write (as the back ends with a writer): nothing to refuse either.
        token = self._check_fence(room, fence, "write events of") if events else None
        self._raise(room, token)
        self._rooms.setdefault(room, _Room()).events.extend(events)

    async def events(
        self, room: str, first_seq: int = 0, last_seq: int | None = None, kinds: EventKinds = None
    ) -> list[EventRecord]:
        check_open(self._state, f"read events of room {room!r}")
        log = self._rooms.get(room)
        if log is None:
            return []
        return [
            e
            for e in log.events
            if e.seq >= first_seq
            and (last_seq is None or e.seq <= last_seq)
            and (kinds is None or e.kind in kinds)
        ]

    async def save_checkpoint(
        self, room: str, snapshot: bytes, upto_seq: int, *, fence: int | None = None
    ) -> None:
        check_open(self._state, f"save a checkpoint of room {room!r}")
        snapshot = check_update(snapshot)
        token = self._check_fence(room, fence, "save a checkpoint of")
        log = self._rooms.get(room)
        check_snapshot(room, upto_seq, log.last_seq if log else 0)
        assert log is not None
        self._raise(room, token)
        log.checkpoints[upto_seq] = Checkpoint(room, upto_seq, self._clock(), snapshot)

    async def checkpoint(self, room: str, at_most_seq: int) -> Checkpoint | None:
        check_open(self._state, f"read a checkpoint of room {room!r}")
        log = self._rooms.get(room)
        if log is None:
            return None
        found = [seq for seq in log.checkpoints if seq <= at_most_seq]
        return log.checkpoints[max(found)] if found else None

    async def checkpoint_seqs(self, room: str) -> list[int]:
        check_open(self._state, f"list checkpoints of room {room!r}")
        log = self._rooms.get(room)
        return sorted(log.checkpoints) if log else []

    async def stamps(self, room: str, after_seq: int = 0, limit: int | None = None) -> list[Stamp]:
        return [Stamp(r.seq, r.ts, r.user_id) for r in await self.records(room, after_seq, limit)]

    async def seq_at(self, room: str, ts: float) -> int:
        check_open(self._state, f"find a moment of room {room!r}")
        log = self._rooms.get(room)
        if log is None:
            return 0
        at = bisect.bisect_right([r.ts for r in log.records], ts)
        return log.records[at - 1].seq if at else 0

    async def prune_recording(self, room: str, upto_seq: int, *, fence: int | None = None) -> int:
        check_open(self._state, f"prune the recording of room {room!r}")
        token = self._check_fence(room, fence, "prune the recording of")
        pruned = await self.prune(room, upto_seq)  # checks upto_seq against the snapshot
        self._raise(room, token)
        log = self._rooms.get(room)
        if log is None:
            return pruned
        log.checkpoints = {s: c for s, c in log.checkpoints.items() if s >= upto_seq}
        log.events = [e for e in log.events if e.seq >= upto_seq]
        return pruned

    def stats(self) -> StoreStats:
        return StoreStats(appends=self._appends, commits=self._appends)
