"""Two processes opening a new room at the same moment build it from its notebook file
once: one builds under the broker's lock, the other finds it in the log (real Redis and
PostgreSQL, two brokers and two stores standing for two processes)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Array, Doc

from cluster.conftest import REDIS_URL
from pairbook.broker.lockwait import waited_lock
from pairbook.broker.redis import RedisBroker
from pairbook.protocol.messages import SyncStep2, decode_message, encode_sync_step1
from pairbook.rooms.counters import RoomCounters
from pairbook.rooms.loader import load_room
from pairbook.store.postgres import PostgresStore
from pairbook.types import SERVER_USER
from support.client import RawPeer
from support.notebooks import write_notebook
from support.postgres import fresh_schema
from support.server import ServerProcess
from support.servicekit import ROOM

pytestmark = pytest.mark.cluster


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with fresh_schema() as url:
        yield url


async def test_a_room_opened_by_two_processes_at_once_is_built_once(
    prefix: str, postgres_url: str, tmp_path: Path
) -> None:
    notebook = write_notebook(tmp_path / "demo.ipynb")
    url = f"{REDIS_URL}?prefix={prefix}"
    async with (
        RedisBroker(url) as broker_a,
        RedisBroker(url) as broker_b,
        PostgresStore(postgres_url) as store_a,
        PostgresStore(postgres_url) as store_b,
    ):
        opened = await asyncio.gather(
            *(
                load_room(
                    ROOM,
                    notebook,
                    store,
                    RoomCounters(),
                    sync_timeout=15.0,
                    building=partial(waited_lock, broker, ROOM, "build"),
                )
                for store, broker in ((store_a, broker_a), (store_b, broker_b))
            )
        )
        (room_a, _), (room_b, _) = opened
        assert room_a.history_id == room_b.history_id
        assert room_a.doc.get_state() != b""
        records = await store_a.records(ROOM)
        assert [r.user_id for r in records] == [SERVER_USER]  # one base, not two
        assert room_a.last_seq == room_b.last_seq == 1
        for room in (room_a, room_b):
            await room.settle()


async def test_a_joiner_is_let_in_while_another_process_builds_its_room(
    prefix: str, tmp_path: Path
) -> None:
    # Another process holds the room's build lock: this one waits for it before it can
    # open the room. Meanwhile the joiner's websocket is open (a server that opened the
    # room before accepting left the handshake waiting until the lock was let go, past the
    # client's opening timeout), and its state arrives once the room is built.
    root = tmp_path / "notebooks"
    write_notebook(root / "demo.ipynb", ["answered = True"])
    url = f"{REDIS_URL}?prefix={prefix}"
    store = str(tmp_path / "store.sqlite")
    async with RedisBroker(url) as broker:
        with ServerProcess(root, store=store, args=("--broker", url)) as server:
            building = broker.lock("demo.ipynb", "build")
            assert await building.__aenter__()
            try:
                peer = await RawPeer(server.ws_url("demo.ipynb")).__aenter__()
            finally:
                await building.__aexit__(None, None, None)
            async with peer:
                doc: Doc[Any] = Doc()
                await peer.send(encode_sync_step1(doc.get_state()))
                while not isinstance(message := decode_message(await peer.recv()), SyncStep2):
                    pass
                doc.apply_update(message.update)
    assert str(doc.get("cells", type=Array)[1]["source"]) == "answered = True"
