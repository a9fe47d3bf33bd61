"""`pairbook serve --store postgresql://…` with the real server: the log survives kill -9,
and a PostgreSQL that becomes unavailable closes the room with 1011, relaying nothing that
is not durable and losing nothing once it is back."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Array, Doc, Text
from websockets.exceptions import ConnectionClosed

from pairbook.protocol.messages import (
    SyncStep1,
    SyncStep2,
    SyncUpdate,
    decode_message,
    encode_sync_step1,
    encode_sync_step2,
    encode_sync_update,
)
from pairbook.rooms.loader import HISTORY_ID
from pairbook.store.postgres import PostgresStore
from support.client import RawPeer, YClient
from support.postgres import (
    allow_connections,
    database_of,
    fresh_database,
    terminate_sessions,
    wait_for_meta,
)
from support.server import ServerProcess, free_port

pytestmark = pytest.mark.integration


@pytest.fixture
def database_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


async def sync(peer: RawPeer, doc: Doc[Any]) -> None:
    """The y-websocket handshake by hand: `doc` gets the room's state, the peer goes live."""
    await peer.send(encode_sync_step1(doc.get_state()))
    synced = False
    while not synced:
        message = decode_message(await peer.recv())
        if isinstance(message, SyncStep1):
            await peer.send(encode_sync_step2(doc.get_update(message.state_vector)))
        elif isinstance(message, SyncStep2):
            doc.apply_update(message.update)
            synced = True


async def frames_until_closed(peer: RawPeer, doc: Doc[Any]) -> tuple[list[bytes], int | None, str]:
    """Every frame the server sends until it closes, applied to `doc`; its close code, reason."""
    assert peer.ws is not None
    frames: list[bytes] = []
    try:
        async with asyncio.timeout(20):
            while True:
                frame = await peer.ws.recv()
                assert isinstance(frame, bytes)
                frames.append(frame)
                message = decode_message(frame)
                if isinstance(message, SyncStep2 | SyncUpdate):
                    doc.apply_update(message.update)
    except ConnectionClosed as closed:
        received = closed.rcvd
        return frames, received.code if received else None, received.reason if received else ""


def source(doc: Doc[Any], index: int) -> str:
    return str(doc.get("cells", type=Array)[index]["source"])


async def test_an_edit_on_a_postgres_store_survives_kill_9_of_the_server(
    workdir: Path, database_url: str
) -> None:
    with ServerProcess(workdir, store=database_url) as server:
        url = server.ws_url("demo.ipynb")
        async with YClient(url) as ana, YClient(url) as bo:
            ana.type_into(1, 0, "# durable\n")
            await bo.wait_until(lambda: bo.source(1).startswith("# durable"))
        server.kill()
    async with PostgresStore(database_url) as store:  # the acknowledged edit is in the log
        assert any(b"# durable" in record.update for record in await store.records("demo.ipynb"))
    with ServerProcess(workdir, store=database_url) as server:
        async with YClient(server.ws_url("demo.ipynb")) as carol:
            assert carol.source(1).startswith("# durable\n")


async def test_postgres_unavailable_closes_the_room_with_1011_and_relays_nothing(
    workdir: Path, database_url: str
) -> None:
    database = database_of(database_url)
    with ServerProcess(workdir, store=database_url) as server:
        url = server.ws_url("demo.ipynb")
        ana_doc: Doc[Any] = Doc()
        bo_doc: Doc[Any] = Doc()
        async with RawPeer(url) as ana, RawPeer(url) as bo:
            await sync(ana, ana_doc)
            await sync(bo, bo_doc)
            # The room was built from its file and answered at once; its base history is
            # logged meanwhile. Cut PostgreSQL once that is done, so that what fails is a
            # peer's change (under load the base could still be on its way).
            await wait_for_meta(database_url, "demo.ipynb", HISTORY_ID)
            allow_connections(database, False)
            try:
                terminate_sessions(database)
                before = ana_doc.get_state()
                ysource: Text = ana_doc.get("cells", type=Array)[1]["source"]
                ysource.insert(0, "# not yet durable\n")
                await ana.send(encode_sync_update(ana_doc.get_update(before)))
                _, ana_code, ana_reason = await frames_until_closed(ana, Doc())
                bo_frames, bo_code, bo_reason = await frames_until_closed(bo, bo_doc)
            finally:
                allow_connections(database, True)
        assert (ana_code, bo_code) == (1011, 1011)
        assert "could not save a change" in ana_reason
        assert "could not save a change" in bo_reason
        assert database not in ana_reason + bo_reason  # where the log lives is not theirs
        assert database in server.log()  # it is in the server's log, with the error
        assert not any(b"not yet durable" in frame for frame in bo_frames)
        assert not source(bo_doc, 1).startswith("# not yet")
        # PostgreSQL is back: the room reloads from its log, which never had the edit ...
        async with YClient(url) as carol:
            assert not carol.source(1).startswith("# not yet")
            # ... and Ana's client, reconnecting with her document, brings it: nothing lost.
            async with YClient(url, doc=ana_doc):
                await carol.wait_until(lambda: carol.source(1).startswith("# not yet durable"))


def test_a_server_whose_postgres_cannot_be_reached_does_not_start(workdir: Path) -> None:
    store = f"postgresql://pairbook:s3cret@127.0.0.1:{free_port()}/pairbook"
    with pytest.raises(RuntimeError) as failed:
        ServerProcess(workdir, store=store).start()
    assert "PostgreSQL cannot be reached" in str(failed.value)
    assert "s3cret" not in str(failed.value)
