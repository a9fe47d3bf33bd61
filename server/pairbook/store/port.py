"""The `Store` port: the durable, per-room log of Yjs updates that every back end implements."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Protocol, Self

from pairbook.store.records import (
    Checkpoint,
    EventKinds,
    EventRecord,
    RoomLog,
    Stamp,
    StoreStats,
    UpdateRecord,
)


class Store(Protocol):
    """A room's log is the source of truth of its document; a store keeps the logs of all rooms.

    Every method raises `pairbook.errors.StoreError` when the store is not open or the log
    cannot be read or written. `MemoryStore` is the reference for the behaviour.
    """

    async def open(self) -> None:
        """Make the store usable; raises StoreError when it cannot be opened."""

    async def close(self) -> None:
        """Flush every pending write, then release the store. Closing twice is harmless."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def append(
        self,
        room: str,
        update: bytes,
        user_id: str,
        client_ids: Sequence[int],
        *,
        fence: int | None = None,
    ) -> int:
        """Append an update to the room's log and return its seq (1, 2, 3... per room).

        When the awaitable returns, the record is durable. Every client id not yet claimed
        in the room becomes owned by `user_id` (first claim wins, never overwritten).

        `fence` is the token of the room's owner lease an owner's write carries: the append
        is refused with FencedError (nothing stored) when the room's fence is higher — a
        later owner took the room over — and raises the fence to `fence` otherwise, checked
        in the same transaction as the insert. Appends without a fence are never refused so.
        """

    async def raise_fence(self, room: str, token: int) -> int:
        """Refuse appends fenced below `token` from now on (a process became the room's owner
        with that token); returns the room's fence as it was before (0: none). A grant whose
        token is not above it is not the newest: a later owner got there first, or the lease
        counter started again (the fence is then never lowered). A fence outlives
        `drop_room`: tokens only ever grow."""
        ...

    async def load(self, room: str) -> RoomLog | None:
        """The room's newest snapshot and the records after it; None when nothing is stored."""

    async def meta(self, room: str) -> dict[str, str]:
        """The room's meta key/values alone (`RoomLog.meta`; empty when it has none), read
        without its snapshot and records: for a caller that needs no more (taking a room's
        file over reads what pairbook last saved there)."""
        ...

    async def save_snapshot(
        self, room: str, snapshot: bytes, upto_seq: int, *, meta: Mapping[str, str] | None = None
    ) -> None:
        """Keep `snapshot` as the merge of records 1..upto_seq; an older one is ignored.
        `meta`: room key/values that go with the snapshot (what it covers), set in the same
        transaction if the snapshot is kept, and not at all if it is ignored: a late,
        older snapshot never replaces the newer one's."""

    async def prune(self, room: str, upto_seq: int) -> int:
        """Delete records with seq <= upto_seq and return how many; refuses beyond the snapshot."""

    async def set_meta(self, room: str, key: str, value: str) -> None:
        """Set one of the room's key/values (e.g. "history_id")."""

    async def claim(self, room: str, client_id: int, user_id: str) -> None:
        """Give `client_id` to `user_id` in the room unless someone already owns it."""

    async def rooms(self) -> list[str]:
        """Every room with anything stored, sorted."""

    async def drop_room(self, room: str) -> None:
        """Forget a room entirely: records, snapshot, meta and claims; seqs restart at 1."""

    async def records(
        self, room: str, after_seq: int = 0, limit: int | None = None
    ) -> list[UpdateRecord]:
        """Records with seq > after_seq in seq order, at most `limit` of them."""

    # --- the recording: timeline events, replay checkpoints, retention --------------------
    # The recording is written by the room's owner alone: its writes carry the owner's
    # `fence` as `append` does (refused with FencedError, nothing stored, below the room's
    # fence; the fence raised to it otherwise, in the same transaction as the write).

    async def append_events(
        self, room: str, events: Sequence[EventRecord], *, fence: int | None = None
    ) -> None:
        """Append timeline events (in order); durable when the awaitable returns."""

    async def events(
        self,
        room: str,
        first_seq: int = 0,
        last_seq: int | None = None,
        kinds: EventKinds = None,
    ) -> list[EventRecord]:
        """Events with first_seq <= seq <= last_seq (of those kinds), in the order appended."""

    async def save_checkpoint(
        self, room: str, snapshot: bytes, upto_seq: int, *, fence: int | None = None
    ) -> None:
        """Keep a replay checkpoint (the merge of records 1..upto_seq) beside the others."""

    async def checkpoint(self, room: str, at_most_seq: int) -> Checkpoint | None:
        """The newest checkpoint with upto_seq <= at_most_seq, or None."""

    async def checkpoint_seqs(self, room: str) -> list[int]:
        """The upto_seq of every checkpoint of the room, ascending."""

    async def stamps(self, room: str, after_seq: int = 0, limit: int | None = None) -> list[Stamp]:
        """(seq, ts, user) of records with seq > after_seq, in seq order, without their bytes."""

    async def seq_at(self, room: str, ts: float) -> int:
        """The seq of the newest record appended at or before `ts` (0 when none)."""

    async def prune_recording(self, room: str, upto_seq: int, *, fence: int | None = None) -> int:
        """Retention: `prune`, and the recording's checkpoints and events before upto_seq
        too; returns the records deleted."""

    def stats(self) -> StoreStats:
        """Counters for /metrics."""
        ...
