"""The records a store keeps and hands back: log entries, a loaded room, counters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UpdateRecord:
    """One Yjs update in a room's log, with who sent it and when."""

    room: str
    seq: int
    """Position in the room's log: 1, 2, 3... with no gaps."""
    update: bytes
    user_id: str
    client_ids: tuple[int, ...]
    """The Yjs client ids whose changes the update carries."""
    ts: float
    """Wall-clock time (seconds since the epoch) at which the update was appended."""


@dataclass(frozen=True, slots=True)
class EventRecord:
    """A timeline event beside the document log: a join, a command, a throttled presence..."""

    room: str
    seq: int
    """The document log position the event follows: it happened when the room was at seq."""
    ts: float
    kind: str
    user_id: str
    data: str
    """The event's details as a JSON object."""


@dataclass(frozen=True, slots=True)
class Stamp:
    """A log record without its bytes: who changed the document, and when."""

    seq: int
    ts: float
    user_id: str


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A replay checkpoint: the merged update of every record with seq <= upto_seq."""

    room: str
    upto_seq: int
    ts: float
    snapshot: bytes


@dataclass(frozen=True, slots=True)
class RoomLog:
    """Everything needed to rebuild a room: the newest snapshot and the records after it."""

    snapshot: bytes | None
    """The merged Yjs update of every record with seq <= snapshot_seq; None without snapshot."""
    snapshot_seq: int
    """The last seq the snapshot covers; 0 when there is no snapshot."""
    updates: tuple[UpdateRecord, ...]
    """Records with seq > snapshot_seq, in seq order."""
    meta: dict[str, str]
    claims: dict[int, str]
    """Yjs client id -> the user id that owns it in this room."""

    @property
    def last_seq(self) -> int:
        """The seq of the newest record (or of the snapshot when no record follows it)."""
        return self.updates[-1].seq if self.updates else self.snapshot_seq


@dataclass(frozen=True, slots=True)
class StoreStats:
    """Counters for /metrics."""

    appends: int = 0
    """Appends acknowledged (committed) since the store was created."""
    commits: int = 0
    """Transactions committed; with group commit, one carries many appends."""
    failed_commits: int = 0
    pending: int = 0
    """Writes queued or in flight, not yet committed."""
    last_commit_seconds: float = 0.0
    """How long the newest commit took, from taking its batch to the end of COMMIT."""


EventKinds = Sequence[str] | None
"""The kinds of timeline event a read asks for (None: every kind)."""
