"""A real room over the reference MemoryStore, driven without a server: for the state machine
and the fuzzer, which feed it stock-yjs updates (mutated) and check it still loads."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

from pycrdt import Doc

from pairbook.auth import Role, User
from pairbook.errors import PairbookError
from pairbook.notebook.applied import apply_update
from pairbook.protocol.messages import encode_sync_update
from pairbook.protocol.update import decode_state_vector, decode_update
from pairbook.rooms import Peer, Room, TokenBucket, memory_channel_pair
from pairbook.rooms.counters import RoomCounters
from pairbook.rooms.filesync import FileSync
from pairbook.rooms.loader import load_room
from pairbook.store import MemoryStore
from pairbook.types import RoomId, UserId

ROOM = RoomId("demo.ipynb")


def editor(name: str = "ana") -> Peer:
    return Peer(
        name,
        User(UserId(name), name.title(), "#336699"),
        Role.EDITOR,
        memory_channel_pair()[0],  # never driven: the room only queues frames
        queue_limit=1 << 30,
        limiter=TokenBucket(1e9, 1 << 30),
    )


def mutate(data: bytes, rnd: random.Random, edits: int) -> bytes:
    """Flip, replace, drop, insert or duplicate bytes, or cut the tail."""
    out = bytearray(data)
    for _ in range(edits):
        op = rnd.randrange(6)
        at = rnd.randrange(len(out) + 1)
        if op == 0 and out:
            out[min(at, len(out) - 1)] ^= 1 << rnd.randrange(8)
        elif op == 1 and out:
            out[min(at, len(out) - 1)] = rnd.randrange(256)
        elif op == 2 and out:
            del out[min(at, len(out) - 1)]
        elif op == 3:
            out.insert(at, rnd.choice((0, 1, 0x7F, 0x80, 0xFF, rnd.randrange(256))))
        elif op == 4 and out:
            start = rnd.randrange(len(out))
            out[at:at] = out[start : start + rnd.randrange(1, 9)]
        else:
            del out[at:]
    return bytes(out)


def normal_deletes(update: bytes) -> dict[int, list[tuple[int, int]]]:
    """A document's delete set as sorted, merged (start, end) ranges per client."""
    merged: dict[int, list[tuple[int, int]]] = {}
    for client, spans in decode_update(update).delete_set.items():
        ranges: list[tuple[int, int]] = []
        for start, length in sorted(spans):
            if not length:
                continue
            if ranges and start <= ranges[-1][1]:
                ranges[-1] = (ranges[-1][0], max(ranges[-1][1], start + length))
            else:
                ranges.append((start, start + length))
        if ranges:
            merged[client] = ranges
    return merged


def same_document(a: Doc[Any], b: Doc[Any]) -> bool:
    """Same integrated structs (state vector) and same deletions: the same CRDT state."""
    state_a = decode_state_vector(a.get_state())
    state_b = decode_state_vector(b.get_state())
    if {c: n for c, n in state_a.items() if n} != {c: n for c, n in state_b.items() if n}:
        return False
    return normal_deletes(a.get_update()) == normal_deletes(b.get_update())


class RoomKit:
    """One room on a MemoryStore, run on a private event loop (close it when done)."""

    files: FileSync

    def __init__(self, notebook: Path) -> None:
        self.notebook = notebook
        self.loop = asyncio.new_event_loop()
        self.store = MemoryStore()
        self.run(self.store.open())
        self.counters = RoomCounters()
        self.room = self.load()
        self.peer = editor()
        self._replica: Doc[Any] | None = None
        self._replayed = 0

    def run(self, awaitable: Any) -> Any:
        return self.loop.run_until_complete(awaitable)

    def load(self) -> Room:
        room, self.files = self.run(
            load_room(ROOM, self.notebook, self.store, self.counters, sync_timeout=15)
        )
        assert isinstance(room, Room)
        return room

    def restart(self) -> None:
        self.run(self.room.settle())
        self.run(self.files.close())
        self.room = self.load()

    def send(self, update: bytes) -> bool:
        """Send an update as the peer; True if the room took it, False if it refused it
        with one of pairbook's own errors (anything else propagates: a bug)."""
        return self.frame(encode_sync_update(update))

    def frame(self, frame: bytes) -> bool:
        """Send a whole websocket frame as the peer; as `send` otherwise (refused: False)."""
        try:
            self.run(self.room.receive(self.peer, frame))
        except PairbookError:
            return False
        if self.room.lost is not None:
            # Refused after it was applied (a cell no client can read): the room reloads
            # from its log, as Rooms reloads a lost room at the next join.
            self.restart()
            return False
        return True

    def replay_log(self) -> Doc[Any]:
        """The room's log replayed strictly (every record must apply whole): the records
        since the last call are applied to the replica kept from it (the log only grows)."""
        self.run(self.room.settle())
        if self._replica is None:
            roomlog = self.run(self.store.load(ROOM))
            assert roomlog is not None
            self._replica = Doc()
            if roomlog.snapshot is not None:
                self._replica.apply_update(roomlog.snapshot)
            records = roomlog.updates
        else:
            records = self.run(self.store.records(ROOM, self._replayed))
        for record in records:
            applied = apply_update(self._replica, record.update)
            assert applied.error is None, f"record {record.seq} cannot apply: {applied.error}"
            self._replayed = record.seq
        return self._replica

    def check(self) -> None:
        """The room's document is exactly what its log rebuilds, and nothing was lost."""
        assert self.room.lost is None, self.room.lost
        assert same_document(self.replay_log(), self.room.doc)
        assert self.counters.skipped_records == 0

    def close(self) -> None:
        self.run(self.room.settle())
        self.run(self.files.close())  # its saved sha may still be worked out: not left pending
        self.run(self.store.close())
        self.loop.close()
