"""A peer's backspace while others edit: what the sync machine spends on it, by how many
deleted ranges the document already holds.

A backspace is an update with a delete set and no struct: the sync machine asks whether
those deletions are news. Until session 17 it answered by reading the document's whole
delete set again whenever the document had changed since the last question (in a live
session: at every backspace), so a backspace cost in proportion to every deletion the
session ever made. Printed side by side for each size: the machine's time per backspace
(`RoomSync.update`, each after a server edit changed the document), and one read of the
whole delete set (pycrdt's update at the document's state, decoded), the old cost per
backspace.

Run: .venv/bin/python bench/backspace.py [--sizes 1000,5000,20000] [--backspaces 200]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from pycrdt import Doc, Text

from pairbook.auth import Role, User
from pairbook.protocol.messages import SyncUpdate, encode_sync_update
from pairbook.protocol.update import decode_state_vector, decode_update
from pairbook.rooms import Peer, TokenBucket, memory_channel_pair
from pairbook.rooms.commits import capture_edit
from pairbook.rooms.counters import RoomCounters
from pairbook.rooms.effects import Apply
from pairbook.rooms.protected import ProtectedRanges
from pairbook.rooms.sync import DeleteSet, RoomSync, Shared
from pairbook.types import UserId

SERVER = 1


def own_update(doc: Doc[Any], change: Any) -> bytes:
    """The update of one transaction, as y-websocket sends it (the room's own capture)."""
    update, _ = capture_edit(doc, lambda _doc: change())
    assert update is not None
    return update


def measure(ranges: int, backspaces: int) -> tuple[list[float], list[float]]:
    room: Doc[Any] = Doc(client_id=SERVER)
    room["source"] = text = Text("x" * (2 * ranges + 2 * backspaces + 10))
    for i in range(ranges):  # every other character deleted: `ranges` ranges
        del text[i : i + 1]

    def deletions() -> DeleteSet:
        return decode_update(room.get_update(room.get_state())).delete_set

    shared = Shared({SERVER: "pairbook:server"}, ProtectedRanges(), RoomCounters(), deletions)
    sync = RoomSync(decode_state_vector(room.get_state()), shared, marker_client=7, sync_timeout=15)
    user = User(UserId("ana"), "Ana", "#336699")
    channel = memory_channel_pair()[0]
    limiter = TokenBucket(1e9, 1 << 30)
    ana = Peer("ana", user, Role.EDITOR, channel, queue_limit=64, limiter=limiter)
    mine: Doc[Any] = Doc(client_id=10)
    mine.apply_update(room.get_update())
    source = mine.get("source", type=Text)
    machine, reads = [], []
    for k in range(backspaces):
        typed = own_update(room, lambda: text.insert(len(text), "y"))  # someone else types
        sync.server_edit(SERVER, decode_state_vector(room.get_state())[SERVER], typed)
        mine.apply_update(typed)
        end = len(source) - 1 - 2 * k
        update = own_update(mine, lambda end=end: source.__delitem__(slice(end - 1, end)))
        start = time.perf_counter()
        (apply,) = sync.update(
            ana, SyncUpdate(update), decode_update(update), frame=encode_sync_update(update),
            refusal=None,
        )  # fmt: skip
        machine.append(time.perf_counter() - start)
        assert isinstance(apply, Apply)
        room.apply_update(update)
        sync.applied(apply)
        start = time.perf_counter()
        deletions()
        reads.append(time.perf_counter() - start)
    return machine, reads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,5000,20000")
    parser.add_argument("--backspaces", type=int, default=200)
    args = parser.parse_args()
    print("deleted ranges   backspace in the sync machine (p50 / p99 ms)", end="")
    print("   one read of the delete set (p50 ms)")
    for size in (int(s) for s in args.sizes.split(",")):
        machine, reads = measure(size, args.backspaces)
        machine.sort()
        p99 = machine[min(len(machine) - 1, int(0.99 * len(machine)))]
        print(f"{size:>14,}   {statistics.median(machine) * 1000:>10.3f} / {p99 * 1000:.3f}"
              f"{statistics.median(reads) * 1000:>38.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
