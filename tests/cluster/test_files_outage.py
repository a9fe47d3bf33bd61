"""Redis away: nobody keeps a room's notebook file (a files lease that cannot be renewed is
taken as lost), so the file is not written while the room goes on changing, and the room's
status and /api/health say so; once Redis answers again the file is written, without
anyone doing anything. A `Rooms` (its rooms' life tasks running), then a `pairbook serve`
process, on a redis-server of the test's own, stopped and started again (empty: the worst
case), and the machine's PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Array, Doc, Text

from pairbook.broker.redis import RedisBroker
from pairbook.rooms import RoomPolicy, Rooms
from pairbook.rooms.filesync import UNSAVED
from pairbook.rooms.handle import ServiceHandle
from pairbook.store import MemoryStore
from pairbook.types import SERVER_USER, RoomId
from support.client import YClient
from support.notebooks import write_notebook
from support.postgres import fresh_schema
from support.redis import fresh_prefix, own_redis
from support.server import ServerProcess

pytestmark = pytest.mark.cluster

ROOM = RoomId("demo.ipynb")
MARK = "# written while Redis was away"


def mark(doc: Doc[Any]) -> None:
    source = doc.get("cells", type=Array)[1]["source"]
    assert isinstance(source, Text)
    source.insert(0, MARK + "\n")


async def until(check: Callable[[], bool], within: float = 20.0) -> None:
    """Wait for `check` (a bound on a hang, not a measured time): the rooms' own tasks and
    the broker's reader do the work, there is no event to wait on."""
    async with asyncio.timeout(within):
        while not check():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def test_the_file_waits_for_redis_and_is_written_once_it_answers(tmp_path: Path) -> None:
    root = tmp_path / "notebooks"
    path = write_notebook(root / ROOM)
    policy = RoomPolicy(tick=0.05, autosave_delay=0.0, file_poll_interval=0.2, unload_delay=3600)
    with own_redis(tmp_path / "redis") as server, fresh_prefix(server.url) as url:
        async with (
            MemoryStore() as store,
            RedisBroker(url) as broker,
            Rooms(root, store, policy, services=[], broker=broker) as rooms,
        ):
            entry = await rooms.open(ROOM)
            assert entry.room.feed is not None
            assert entry.room.feed.files_held
            assert entry.filesync.unsaved is None
            server.stop()
            await ServiceHandle(entry.room).apply_server_edit(mark, SERVER_USER)
            entry.room.changed.set()
            await until(lambda: entry.filesync.unsaved == UNSAVED and not entry.filesync.active)
            await entry.room.settle()
            assert MARK in str(entry.room.doc.get("cells", type=Array)[1]["source"])
            assert MARK not in path.read_text()  # the room has it, the log too; not the file
            server.start()
            await until(lambda: MARK in path.read_text())
            assert entry.filesync.active
            assert entry.filesync.unsaved is None


def unsaved(server: ServerProcess) -> tuple[Any, Any]:
    """What /api/health and the notebook list say of files not being saved."""
    _, health = server.get("/api/health")
    _, listing = server.get("/api/notebooks")
    assert isinstance(health, dict)
    assert isinstance(listing, dict)
    return health.get("unsaved"), listing["notebooks"][0].get("unsaved")


async def test_a_server_says_its_files_wait_for_redis_then_writes_them(tmp_path: Path) -> None:
    root = tmp_path / "notebooks"
    path = write_notebook(root / ROOM)
    with (
        own_redis(tmp_path / "redis") as redis,
        fresh_prefix(redis.url) as broker,
        fresh_schema() as store,
        ServerProcess(
            root, store=store, args=("--broker", broker, "--autosave-delay", "0.1")
        ) as server,
    ):
        async with YClient(server.ws_url(ROOM)) as ana:
            assert unsaved(server) == (None, None)
            redis.stop()
            ana.type_into(1, 0, MARK + "\n")
            # Polling another process: it says so once its broker connection failed.
            await until(lambda: unsaved(server) == ({"rooms": 1, "why": [UNSAVED]}, UNSAVED))
            assert MARK not in path.read_text()
            redis.start()
            await until(lambda: MARK in path.read_text())
            await until(lambda: unsaved(server) == (None, None))
