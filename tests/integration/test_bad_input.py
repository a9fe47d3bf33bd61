"""Bad input: refused clearly, closes only the offending connection, loses nothing."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Array, Doc, Map, Text
from websockets.exceptions import ConnectionClosed

from pairbook.protocol.awareness import AwarenessEntry, encode_awareness_update
from pairbook.protocol.messages import (
    AuthMessage,
    AwarenessMessage,
    decode_message,
    encode_awareness,
    encode_sync_step1,
    encode_sync_update,
)
from support.client import RawPeer, YClient
from support.server import ServerProcess

pytestmark = pytest.mark.integration


async def test_a_viewers_edit_is_refused_and_never_reaches_anyone(server: ServerProcess) -> None:
    viewer_token = server.join("viewer", "Vi")[0]
    async with YClient(server.ws_url("demo.ipynb")) as owner:
        async with RawPeer(server.ws_url("demo.ipynb", viewer_token)) as viewer:
            sneaky: Doc[Any] = Doc()
            cells: Array[Map[Any]] = Array()
            sneaky["cells"] = cells
            cells.append(Map({"id": "evil", "cell_type": "code", "source": Text("rm -rf")}))
            await viewer.send(encode_sync_update(sneaky.get_update()))
            denied = None
            while denied is None:
                message = decode_message(await viewer.recv())
                if isinstance(message, AuthMessage):
                    denied = message
            assert "viewer" in denied.reason
        owner.type_into(1, 0, "# still fine\n")
        async with YClient(server.ws_url("demo.ipynb")) as other:
            await other.wait_until(lambda: other.source(1).startswith("# still fine"))
            assert [str(c["id"]) for c in other.cells] == ["intro", "code-0", "code-1"]


async def test_a_malformed_frame_closes_only_its_sender(server: ServerProcess) -> None:
    url = server.ws_url("demo.ipynb")
    async with YClient(url) as ana, YClient(url) as bo:
        async with RawPeer(url) as rogue:
            await rogue.send(b"\x00\x02\xff\xff\xff")  # sync update with a truncated length
            code, reason = await rogue.closed_with()
            assert code == 1002
            assert reason
        ana.type_into(1, 0, "after ")
        await bo.wait_until(lambda: bo.source(1).startswith("after "))


async def test_a_garbage_awareness_frame_is_never_relayed(server: ServerProcess) -> None:
    url = server.ws_url("demo.ipynb")
    async with RawPeer(url) as watcher:
        async with RawPeer(url) as rogue:
            garbage = b"\x01\x07\x01\x05\x01\x03{x}"  # one entry whose state is not JSON
            await rogue.send(garbage)
            code, _ = await rogue.closed_with()
            assert code == 1002
        # The watcher got only the room's own frames (its sync step 1), never the garbage.
        frames = []
        try:
            while True:
                frames.append(await watcher.recv(timeout=0.5))
        except TimeoutError:
            pass
        assert all(not isinstance(decode_message(f), AwarenessMessage) for f in frames)


async def test_awareness_shows_the_name_the_token_grants(server: ServerProcess) -> None:
    mallory = server.join("editor", "Mallory")[0]
    url = server.ws_url("demo.ipynb")
    async with RawPeer(url) as watcher, RawPeer(server.ws_url("demo.ipynb", mallory)) as peer:
        fake: dict[str, object] = {"user": {"name": "Owner", "color": "#000000"}, "cursor": None}
        await peer.send(encode_awareness(encode_awareness_update([AwarenessEntry(77, 1, fake)])))
        while True:
            message = decode_message(await watcher.recv())
            if isinstance(message, AwarenessMessage):
                break
        (entry,) = message.entries
        assert entry.client_id == 77
        assert entry.state is not None
        user = entry.state["user"]
        assert isinstance(user, dict)
        assert user["name"] == "Mallory"
        assert user["color"] != "#000000"
        await peer.ws.close()  # type: ignore[union-attr]
        while True:
            message = decode_message(await watcher.recv())
            if isinstance(message, AwarenessMessage):
                break
        assert message.entries[0].state is None  # gone when the peer left


async def test_a_client_cannot_write_pairbooks_own_maps(server: ServerProcess) -> None:
    url = server.ws_url("demo.ipynb")
    async with YClient(url) as ana:
        async with RawPeer(url) as rogue:
            doc: Doc[Any] = Doc()
            kernel: Map[Any] = Map()
            doc["kernel"] = kernel
            kernel["status"] = "hacked"
            await rogue.send(encode_sync_update(doc.get_update()))
            code, reason = await rogue.closed_with()
            assert code == 4403
            assert "server only" in reason
        async with YClient(url) as fresh:
            assert "kernel" not in list(fresh.doc.keys()) or not fresh.doc.get("kernel", type=Map)
        assert ana.source(1) == "x = 1\nprint(x)"


async def test_a_client_cannot_write_under_another_clients_id(server: ServerProcess) -> None:
    other = server.join("editor", "Other")[0]
    url = server.ws_url("demo.ipynb")
    async with YClient(url) as ana:
        ana.type_into(1, 0, "mine ")
        async with YClient(url) as check:
            await check.wait_until(lambda: check.source(1).startswith("mine "))
            # Forge an update from ana's client id on top of what the room has.
            forged: Doc[Any] = Doc(client_id=ana.doc.client_id)
            forged.apply_update(check.doc.get_update())
            before = forged.get_state()
            text: Text = forged.get("cells", type=__import__("pycrdt").Array)[1]["source"]
            text.insert(0, "forged ")
            async with RawPeer(server.ws_url("demo.ipynb", other)) as rogue:
                await rogue.send(encode_sync_update(forged.get_update(before)))
                code, reason = await rogue.closed_with()
            assert code == 4403
            assert "belongs to another person" in reason
            assert not check.source(1).startswith("forged")


async def test_an_unknown_token_or_notebook_is_refused_with_a_reason(
    server: ServerProcess,
) -> None:
    async with RawPeer(server.ws_url("demo.ipynb", "nope")) as peer:
        code, reason = await peer.closed_with()
        assert code == 4401
        assert "invite" in reason
    async with RawPeer(server.ws_url("missing.ipynb")) as peer:
        code, reason = await peer.closed_with()
        assert code == 4404
        # Named as the notebook list names it: not where the served folder is on the disk.
        assert reason.startswith("missing.ipynb: no such notebook"), reason
        assert str(server.root) not in reason
    async with RawPeer(server.ws_url("../etc/passwd.ipynb")) as peer:
        code, _ = await peer.closed_with()
        assert code == 4404


async def test_a_foreign_browser_origin_is_refused(server: ServerProcess) -> None:
    url = server.ws_url("demo.ipynb")
    async with RawPeer(url, origin="http://evil.example") as peer:
        code, reason = await peer.closed_with()
        assert code == 4403
        assert "origin" in reason
    same = f"http://127.0.0.1:{server.port}"
    async with RawPeer(url, origin=same) as peer:
        assert await peer.recv()  # the room's sync step 1


async def test_a_peer_that_never_reads_is_disconnected_and_others_keep_receiving(
    workdir: Path, store_path: str
) -> None:
    args = ("--send-queue", "32", "--send-timeout", "2", "--autosave-delay", "60")
    with ServerProcess(workdir, store=store_path, args=args) as server:
        url = server.ws_url("demo.ipynb")
        async with YClient(url) as ana, YClient(url) as bo, RawPeer(url, max_queue=1) as stalled:
            assert stalled.ws is not None
            await stalled.send(encode_sync_step1(b"\x00"))  # a stock client's hello
            await stalled.recv()
            stalled.ws.transport.pause_reading()  # then it stops reading for good
            chunk = "z" * 60_000
            for i in range(1, 201):
                ana.type_into(2, 0, chunk)
                if i % 10 == 0:
                    # Bo keeps up, ten chunks at most behind (fewer than the 32 queued that
                    # cut a peer loose): on a loaded machine this process, which plays Ana
                    # and Bo, could fall behind by more than that and Bo was cut loose too.
                    def caught_up(typed: int = i * 60_000) -> bool:
                        return len(bo.source(2)) >= typed

                    await bo.wait_until(caught_up, timeout=60)
            stalled.ws.transport.resume_reading()
            await stalled.closed_with(timeout=30)
        assert_disconnected_once(server, "slow_consumer")


async def test_a_peer_sending_too_fast_is_closed_and_the_room_goes_on(
    workdir: Path, store_path: str
) -> None:
    with ServerProcess(workdir, store=store_path, args=("--max-rate", "5")) as server:
        url = server.ws_url("demo.ipynb")
        async with YClient(url) as ana:
            async with RawPeer(url) as flood:
                hello = encode_awareness(encode_awareness_update([AwarenessEntry(9, 1, {})]))
                with contextlib.suppress(ConnectionClosed):
                    for _ in range(60):  # the burst allowance at 5/s is 50 messages
                        await flood.send(hello)
                code, reason = await flood.closed_with()
                # The close frame races the peer's unread frames; when it arrives it says why.
                assert code in (1008, None), (code, reason)
            await the_room_goes_on(url, ana)
        assert_disconnected_once(server, "policy_violation")


async def test_a_frame_over_the_servers_frame_limit_is_counted_as_such(
    workdir: Path, store_path: str
) -> None:
    # uvicorn itself fails a connection whose frame exceeds --max-frame (1009), before
    # pairbook sees the frame: counted by that reason, not as the client leaving.
    with ServerProcess(workdir, store=store_path, args=("--max-frame", "100000")) as server:
        url = server.ws_url("demo.ipynb")
        async with YClient(url) as ana:
            async with RawPeer(url) as big:
                await big.recv()  # the room's sync step 1
                with contextlib.suppress(ConnectionClosed):
                    await big.send(encode_sync_update(b"\x00" * 200_000))
                code, _ = await big.closed_with()
                assert code == 1009
            await the_room_goes_on(url, ana)
        assert_disconnected_once(server, "message_too_big")


async def the_room_goes_on(url: str, ana: YClient) -> None:
    """After a peer was closed, Ana's edit reaches someone joining now."""
    async with YClient(url) as bo:
        ana.type_into(1, 0, "ok ")
        await bo.wait_until(lambda: bo.source(1).startswith("ok "))


def assert_disconnected_once(server: ServerProcess, reason: str) -> None:
    """The server counted one peer disconnected for `reason`."""
    status, metrics = server.get("/metrics")
    assert status == 200
    assert f'pairbook_disconnects_total{{reason="{reason}"}} 1.0' in str(metrics)
