"""A peer that stops reading, against a real server process and real websocket clients: it is
closed with 4413 once its send buffer is full, and the others keep receiving every update."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from pycrdt import Text

from pairbook.protocol.messages import encode_sync_step1
from support.client import RawPeer, YClient
from support.server import ServerProcess

pytestmark = pytest.mark.integration

SLOW = 'pairbook_disconnects_total{reason="slow_consumer"} 1.0'


def type_and_delete(client: YClient, chunk: str) -> None:
    client.type_into(2, 0, chunk)
    ysource: Text = client.cells[2]["source"]
    del ysource[0 : len(chunk)]


async def readers_show(writer: YClient, readers: tuple[YClient, ...], mark: int) -> None:
    """The writer replaces the cell's text with `mark`; return once every reader shows it.
    Yjs integrates an update only once it holds every earlier one from the same client, so
    a reader that shows the mark has had everything the writer sent before it."""
    ysource: Text = writer.cells[2]["source"]
    with writer.doc.transaction():
        del ysource[0 : len(ysource)]
        ysource.insert(0, str(mark))
    for reader in readers:

        def shows_mark(r: YClient = reader) -> bool:
            return r.source(2) == str(mark)

        await reader.wait_until(shows_mark, timeout=60)


def field(line: str, name: str) -> int:
    value = json.loads(line)[name]
    assert isinstance(value, int), line
    return value


def slow_consumers_closed(server: ServerProcess) -> bool:
    status, metrics = server.get("/metrics")
    assert status == 200
    return SLOW in str(metrics)


@pytest.mark.parametrize("flavour", ["granian", "uvicorn"])
async def test_a_stuck_peer_is_closed_with_4413_and_the_others_get_every_update(
    workdir: Path, store_path: str, flavour: str
) -> None:
    # Only the byte bound can close it here: the send timeout is far longer than the test.
    args: tuple[str, ...] = (
        "--send-buffer",
        "256K",
        "--send-timeout",
        "120",
        "--autosave-delay",
        "60",
    )
    args = (*args, "--max-rate", "100000")  # the writer types far faster than a person
    with ServerProcess(workdir, store=store_path, server=flavour, args=args) as server:
        url = server.ws_url("demo.ipynb")
        async with (
            YClient(url) as ana,
            YClient(url) as bo,
            YClient(url) as cy,
            RawPeer(url, max_queue=1) as stuck,
        ):
            assert stuck.ws is not None
            await stuck.send(encode_sync_step1(b"\x00"))  # a stock client's hello
            await stuck.recv()
            stuck.ws.transport.pause_reading()  # then it stops reading
            chunk = "z" * 8192
            sent = 0
            # Type until the server has given up on the stuck peer (the loopback socket
            # buffers take megabytes first); bounded by the count, not by a clock. Each chunk
            # is deleted again right after (its own update), so the notebook stays small.
            # The readers catch up after each batch (under 256K), as people reading do: in
            # one process, on a busy machine, they would otherwise fall behind the writer.
            while not slow_consumers_closed(server):
                assert sent < 10_000, "the stuck peer was never closed"
                for _ in range(25):
                    type_and_delete(ana, chunk)
                    sent += 1
                await readers_show(ana, (bo, cy), mark=sent)
            for _ in range(25):  # and the room goes on after it
                type_and_delete(ana, chunk)
            # Yjs integrates an update only once it holds every earlier one from the same
            # client, so a reader that shows this last mark has had every chunk.
            ana.type_into(2, 0, f"after {sent} chunks: ")
            expected = ana.source(2)
            for reader in (bo, cy):

                def caught_up(r: YClient = reader) -> bool:
                    return r.source(2) == expected

                await reader.wait_until(caught_up, timeout=60)
            stuck.ws.transport.resume_reading()  # it reads again: the close is waiting
            code, reason = await stuck.closed_with(timeout=60)
            assert code == 4413, (code, reason)
            assert "behind" in reason
        log = server.log()
    left = [line for line in log.splitlines() if "peer left" in line and "slow_consumer" in line]
    assert len(left) == 1
    assert "closed_in_ms" in left[0]
    # The bound is in bytes and counts what the server's own write buffer holds for the
    # peer (uvicorn's transport) with what waits in pairbook's queue.
    queued, held = field(left[0], "queued_bytes"), field(left[0], "held_bytes")
    assert queued + held <= 256 * 1024, (queued, held)
    if flavour == "uvicorn":
        assert held > 0  # the transport held bytes, and they were counted


@pytest.mark.parametrize("flavour", ["granian", "uvicorn"])
async def test_a_stuck_peer_whose_socket_never_takes_its_close_is_dropped(
    workdir: Path, store_path: str, flavour: str
) -> None:
    args: tuple[str, ...] = (
        "--send-buffer",
        "256K",
        "--send-timeout",
        "1",
        "--autosave-delay",
        "60",
    )
    args = (*args, "--max-rate", "100000")
    with ServerProcess(workdir, store=store_path, server=flavour, args=args) as server:
        url = server.ws_url("demo.ipynb")
        async with YClient(url) as ana, RawPeer(url, max_queue=1) as stuck:
            assert stuck.ws is not None
            await stuck.send(encode_sync_step1(b"\x00"))
            await stuck.recv()
            stuck.ws.transport.pause_reading()
            sent = 0
            while not slow_consumers_closed(server):
                assert sent < 10_000, "the stuck peer was never closed"
                for _ in range(25):
                    type_and_delete(ana, "z" * 8192)
                    sent += 1
                await asyncio.sleep(0.01)
            # Its socket is full and it still does not read: the close frame cannot be
            # written, so after the send timeout the connection is dropped with what it holds.
            # Granian may take the close frame into a buffer of its own instead (whether it
            # does depends on how far its writer got; it did once in a loaded full run):
            # pairbook has let the connection go once the peer left, and Granian ends it.
            given_up = ["its close frame was not taken"]
            if flavour == "granian":
                given_up.append("reason=slow_consumer")
            for _ in range(600):
                if any(line in server.log() for line in given_up):
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("the stuck peer's connection was never dropped")
            stuck.ws.transport.resume_reading()
            code, _ = await stuck.closed_with(timeout=60)
            if flavour == "uvicorn":
                assert code is None  # no close frame: the connection was reset
            else:
                # Granian offers no reset (Channel.abort cannot): once the app gives the
                # connection up, Granian ends it, and a close frame it already held may
                # still reach a peer that reads again before that (CI of stop 32).
                assert code in (None, 4413), code
        log = server.log()
    assert "Traceback" not in log
