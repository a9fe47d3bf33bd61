"""Where a room's memory and an edit's time go, in one process without a network: the
many-rooms section's shape (rooms x 4 peers on memory channels, the real services, an SQLite
store) opened by `Rooms`, then every peer types one character.

    .venv/bin/python bench/fanout/roomprofile.py --rooms 500 [--edits 5] [--top 25] [--together 32]
        [--idle 20]

Prints RSS and traced Python memory per room (rooms opened, peers synced), the traced memory
grouped by the file that allocated it, the live objects per room by type, and the time per
applied update, wall and CPU of every thread (cProfile's top functions with --profile).
`--peers 50 --rooms 1 --writers 1 --rate 100` is the fan-out section's shape: one typist,
49 readers, 100 edits a second (`--rate`: idle between rounds, so appends are lone).
`--together K` receives K frames at once, as K connections would: their commits are grouped
as in the server (one at a time, every append is a commit of its own).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import gc
import inspect
import pstats
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

from pycrdt import Array, Doc, Text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from notebooks import typing_notebook, write_notebook

from pairbook.auth import Role, User
from pairbook.protocol.messages import encode_sync_step1, encode_sync_update
from pairbook.rooms import Peer, Room, RoomPolicy, Rooms, TokenBucket, memory_channel_pair
from pairbook.store import open_store
from pairbook.types import RoomId, UserId

PER_ROOM = 4  # --peers


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def open_rooms(rooms: Rooms, names: list[str]) -> list[Any]:
    """Open every room and join PER_ROOM peers to each (synced, live)."""
    joined = []
    for index, name in enumerate(names):
        entry = await rooms.open(RoomId(name))
        room = entry.room
        for k in range(PER_ROOM):
            ours, theirs = memory_channel_pair()
            user = User(UserId(f"u{index}-{k}"), f"U {k}", "#336699")
            peer = Peer(f"p{index}-{k}", user, Role.EDITOR, ours, queue_limit=1024,
                        limiter=TokenBucket(1e9, 1 << 30))  # fmt: skip
            room.join(peer)
            peer.send_on_demand(lambda: None)  # as the server's connections do
            await room.receive(peer, encode_sync_step1(b"\x00"))
            joined.append((room, peer, theirs))
        await settle()
        for _, _, theirs in joined[-PER_ROOM:]:
            theirs.unread()
    return joined


def by_file(snapshot: tracemalloc.Snapshot, rooms: int, top: int, key: str = "filename") -> None:
    stats = snapshot.statistics(key)
    total = sum(s.size for s in stats)
    print(f"  traced: {total / rooms / 1024:.1f} KB/room")
    for stat in stats[:top]:
        frame = stat.traceback[0]
        short = frame.filename.split("site-packages/")[-1].split("server/")[-1]
        short += f":{frame.lineno}" if key == "lineno" else ""
        print(
            f"  {stat.size / rooms / 1024:8.2f} KB/room {stat.count / rooms:7.1f} blocks  {short}"
        )


def objects_per_room(before: Counter[str], rooms: int, top: int) -> None:
    gc.collect()
    after = Counter(type(o).__name__ for o in gc.get_objects())
    grown = {k: (after[k] - before.get(k, 0)) / rooms for k in after}
    print("  gc-tracked objects per room (by type):")
    for name, count in sorted(grown.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {count:8.1f}  {name}")
    print(f"  total {sum(grown.values()):.1f} per room")
    # (typeshed's Coroutine does not declare the __qualname__ every coroutine has)
    names = Counter(
        str(getattr(task.get_coro(), "__qualname__", "?")) for task in asyncio.all_tasks()
    )
    print("  tasks per room: " + ", ".join(f"{n}: {c / rooms:.1f}" for n, c in names.most_common()))


def client_updates(joined: list[Any], docs: dict[str, Doc[Any]]) -> list[tuple[Any, Any, bytes]]:
    """One typed character per peer, made by its client document (synced with the room)."""
    edits = []
    for room, peer, _ in joined:
        doc = docs.get(peer.key)
        if doc is None:
            doc = docs[peer.key] = Doc()
            doc.apply_update(room.doc.get_update())
        before = doc.get_state()
        ytext = doc.get("cells", type=Array)[0]["source"]
        assert isinstance(ytext, Text)
        ytext.insert(len(ytext), "x")
        edits.append((room, peer, encode_sync_update(doc.get_update(before))))
    return edits


def writers(joined: list[Any], count: int) -> list[Any]:
    """The first `count` peers of each room: those that type (the others only read)."""
    return [entry for at, entry in enumerate(joined) if at % PER_ROOM < count]


@functools.cache
def receive_options() -> dict[str, bool]:
    """As the server's connections receive (pipelined: a frame's handling ends once its
    commit is started; older trees, through PYTHONPATH, await it). Looked up once: inside
    the timed window it cost ~50 µs an edit."""
    pipelined = "pipelined" in inspect.signature(Room.receive).parameters
    return {"pipelined": True} if pipelined else {}


async def type_once(
    edits: list[tuple[Any, Any, bytes]], together: int
) -> tuple[float, float, float]:
    """Every edit received and settled, `together` at a time (as that many connections'
    frames arriving at once): seconds of wall time, of CPU (the process), of the loop's."""
    options = receive_options()
    started, cpu, loop = time.perf_counter(), time.process_time(), time.thread_time()
    for at in range(0, len(edits), together):
        batch = edits[at : at + together]
        await asyncio.gather(*(room.receive(peer, frame, **options) for room, peer, frame in batch))
    for room in {id(r): r for r, _, _ in edits}.values():
        await room.settle()
    ended = time.perf_counter(), time.process_time(), time.thread_time()
    return ended[0] - started, ended[1] - cpu, ended[2] - loop


async def idle(seconds: float, rooms: int) -> None:
    """The open rooms left alone for `seconds`: what their ticks, upkeep and periodic looks
    at their files (notebook and .py twin) cost, every thread included."""
    cpu, loop, started = time.process_time(), time.thread_time(), time.perf_counter()
    await asyncio.sleep(seconds)
    wall = time.perf_counter() - started
    cpu, loop = time.process_time() - cpu, time.thread_time() - loop
    print(
        f"idle {wall:.1f} s: {cpu / wall * 100:.1f} % of a core (all threads), "
        f"{loop / wall * 100:.1f} % in the event loop's thread; "
        f"{cpu / wall / rooms * 1e6:.1f} us of CPU per room per second"
    )


async def main(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="roomprofile-"))
    names = [f"many-{i:03d}.ipynb" for i in range(args.rooms)]
    for name in names:
        write_notebook(workdir / name, typing_notebook())
    store = open_store(str(workdir / "log.sqlite"))
    from pairbook.rooms.services import ROOM_SERVICES

    services = [spec for spec in ROOM_SERVICES if spec.name in args.services.split(",")]
    policy = RoomPolicy(unload_delay=3600)
    async with store, Rooms(workdir, store, policy, services=services) as rooms:
        # Warm up: the first room pays for lazy imports and caches.
        write_notebook(workdir / "warm.ipynb", typing_notebook())
        await open_rooms(rooms, ["warm.ipynb"])
        gc.collect()
        types_before = Counter(type(o).__name__ for o in gc.get_objects())
        rss0 = rss_kb()
        if args.trace:  # its own bookkeeping takes memory: RSS is measured without it
            tracemalloc.start(args.frames)
        joined = await open_rooms(rooms, names)
        await asyncio.sleep(1.0)  # the rooms' first ticks
        gc.collect()
        rss1 = rss_kb()
        print(
            f"{args.rooms} rooms x {PER_ROOM} peers: RSS {(rss1 - rss0) / args.rooms:.1f} KB/room"
            + (" (tracing)" if args.trace else "")
        )
        if args.trace:
            snapshot = tracemalloc.take_snapshot()
            tracemalloc.stop()
            by_file(snapshot, args.rooms, args.top, args.key)
        objects_per_room(types_before, args.rooms, args.top)
        if args.idle:
            await idle(args.idle, args.rooms)
        profile = cProfile.Profile() if args.profile else None
        total = cpu = loop = 0.0
        docs: dict[str, Doc[Any]] = {}
        typists = joined if args.writers is None else writers(joined, args.writers)
        for _ in range(args.edits):
            edits = client_updates(typists, docs)
            if profile is not None:
                profile.enable()
            wall, used, looped = await type_once(edits, args.together)
            total, cpu, loop = total + wall, cpu + used, loop + looped
            if profile is not None:
                profile.disable()
            if args.rate:  # idle between keystrokes, as typing is (appends come lone then)
                await asyncio.sleep(1 / args.rate)
        count = args.edits * len(typists)
        print(
            f"updates: {count}, {total / count * 1e6:.1f} us per update (applied, logged, "
            f"relayed to {PER_ROOM - 1}), {cpu / count * 1e6:.1f} us of CPU "
            f"(all threads), {loop / count * 1e6:.1f} us in the event loop's thread"
        )
        if profile is not None:
            pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rooms", type=int, default=500)
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--frames", type=int, default=1)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--trace", action="store_true")
    parser.add_argument("--key", default="filename", help="group traced memory by filename|lineno")
    parser.add_argument("--peers", type=int, default=PER_ROOM)
    parser.add_argument(
        "--together", type=int, default=1, help="frames received at once (1: one at a time)"
    )
    parser.add_argument(
        "--services",
        default="kernel,mob,record,check",
        help="the room services to attach (none: the room alone)",
    )
    parser.add_argument(
        "--writers", type=int, default=None, help="peers per room that type (default: all)"
    )
    parser.add_argument(
        "--rate", type=float, default=0.0, help="rounds of edits per second (0: back to back)"
    )
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--idle", type=float, default=0.0, help="seconds idle, measured")
    parsed = parser.parse_args()
    PER_ROOM = parsed.peers
    asyncio.run(main(parsed))
