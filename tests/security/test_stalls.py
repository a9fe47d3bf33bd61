"""Nothing from the lowest role stalls or bloats the server (issue #12, "Stalling the server").

Each test drives a real `pairbook serve` with hand-made frames; none measures wall-clock
time: a stall shows as the other room's round trips not completing while it lasts.
"""

from __future__ import annotations

import asyncio
import json
import re
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Array, Assoc, Doc, Map, Text

from pairbook.protocol.awareness import AwarenessEntry, encode_awareness_update
from pairbook.protocol.lib0 import Encoder
from pairbook.protocol.messages import (
    AuthMessage,
    AwarenessMessage,
    CommandMessage,
    MessageType,
    decode_message,
    encode_awareness,
    encode_command,
    encode_sync_update,
)
from pairbook.store import open_store
from support.client import RawPeer, YClient
from support.handshake import handshake
from support.notebooks import write_notebook
from support.server import ServerProcess

pytestmark = pytest.mark.security

MAX_PEOPLE = 256  # the people the mob map lists at most (README, Mob programming)


def map_update(keys: int, root: str = "scratch") -> bytes:
    """An update of `keys` structs: one per key of a new root map."""
    doc: Doc[Any] = Doc()
    scratch = doc.get(root, type=Map)
    with doc.transaction():
        for index in range(keys):
            scratch[f"k{index}"] = index
    return doc.get_update()


async def next_message(peer: RawPeer, kind: type[Any], timeout: float = 20.0) -> Any:
    async with asyncio.timeout(timeout):
        while True:
            message = decode_message(await peer.recv(timeout))
            if isinstance(message, kind):
                return message


async def command(peer: RawPeer, body: dict[str, Any]) -> dict[str, Any]:
    await peer.send(encode_command(body))
    while True:
        reply: CommandMessage = await next_message(peer, CommandMessage)
        if reply.body.get("id") == body.get("id"):
            return dict(reply.body)


# -- document updates ------------------------------------------------------------------------


async def test_a_viewers_update_is_refused_without_being_decoded(server: ServerProcess) -> None:
    viewer = server.join("viewer", "Vi")[0]
    async with RawPeer(server.ws_url("demo.ipynb", viewer)) as peer:
        # 20,000 structs then a stray byte: decoding it would take the event loop half a
        # second, then find it malformed. A viewer's update is refused without a look.
        await peer.send(encode_sync_update(map_update(20_000) + b"\x00"))
        denied: AuthMessage = await next_message(peer, AuthMessage)
        assert "viewers cannot edit" in denied.reason
        reply = await command(peer, {"id": 1, "command": "whoami"})  # still connected
        assert reply["ok"]
        assert reply["result"]["role"] == "viewer"


async def test_a_viewer_keeps_the_rooms_answers_without_its_update_being_decoded(
    workdir: Path, store_path: str
) -> None:
    # A viewer whose copy is from this history gets the room's state after its step 2; one
    # whose copy is from a history the server lost is told to reload, as before.
    server = ServerProcess(workdir, store=store_path).start()
    url = server.ws_url("demo.ipynb")
    viewer = server.join("viewer", "Vi")[0]
    async with YClient(url) as ana:
        ana.type_into(1, 0, "# saved to the file\n")
        async with YClient(server.ws_url("demo.ipynb", viewer)) as vi:
            await vi.wait_until(lambda: vi.source(1).startswith("# saved"))
            old_doc = vi.doc
    stale: Doc[Any] = Doc()
    stale.apply_update(old_doc.get_update())
    stale.get("cells", type=Array)[1]["source"].insert(0, "offline ")  # a viewer's own edit
    same = await handshake(server.ws_url("demo.ipynb", viewer), stale)
    assert same.received_state, same
    assert any(isinstance(decode_message(f), AuthMessage) for f in same.frames)
    server.stop()
    for suffix in ("", "-wal", "-shm"):
        Path(store_path + suffix).unlink(missing_ok=True)
    with ServerProcess(workdir, store=store_path, port=server.port):
        lost = await handshake(server.ws_url("demo.ipynb", viewer), old_doc)
        assert lost.close_code == 4409, lost
        assert not lost.received_state


async def test_an_editors_large_update_does_not_stall_another_room(
    server: ServerProcess, workdir: Path
) -> None:
    write_notebook(workdir / "other.ipynb")
    url_a, url_b = server.ws_url("demo.ipynb"), server.ws_url("other.ipynb")
    big = map_update(45_000)  # under the struct limit: admitted, after seconds of decoding
    async with (
        YClient(url_b) as pinger,
        YClient(url_b) as watcher,
        YClient(url_a) as editor,
        YClient(url_a) as reader,
    ):
        rounds = 0
        stop = asyncio.Event()

        async def ping() -> None:
            nonlocal rounds
            while not stop.is_set():
                pinger.type_into(2, 0, "x")
                await watcher.wait_until(lambda: watcher.source(2) == pinger.source(2), 30)
                rounds += 1

        scratch = reader.doc.get("scratch", type=Map)
        task = asyncio.create_task(ping())
        try:
            await watcher.wait_until(lambda: rounds >= 1, 30)
            before = rounds
            assert editor.ws is not None
            await editor.ws.send(encode_sync_update(big))
            await reader.wait_until(lambda: len(scratch) == 45_000, 120)
            during = rounds - before
        finally:
            stop.set()
            await task
        # The other room kept relaying, and still does. (That it relays *while* the large
        # update decodes is the decoder's property, tested without timing in
        # tests/unit/rooms/test_decoding.py; bench/stalls.py measures the stall.)
        assert during >= 1, "the other room stopped relaying"
        after = rounds
        stop.clear()
        task = asyncio.create_task(ping())
        try:
            await watcher.wait_until(lambda: rounds > after, 30)
        finally:
            stop.set()
            await task


async def test_an_update_adding_too_many_cells_is_refused(server: ServerProcess) -> None:
    doc: Doc[Any] = Doc()
    cells = doc.get("cells", type=Array)
    with doc.transaction():
        for _ in range(2001):
            cells.append(Map({"cell_type": "raw", "source": Text("")}))
    async with RawPeer(server.ws_url("demo.ipynb")) as peer:
        await peer.send(encode_sync_update(doc.get_update()))
        code, reason = await peer.closed_with()
    assert code == 1009
    assert "at most 2000" in reason
    async with YClient(server.ws_url("demo.ipynb")) as fresh:
        assert len(fresh.cells) == 3


async def test_an_update_larger_than_the_limit_is_refused(server: ServerProcess) -> None:
    doc: Doc[Any] = Doc()
    doc.get("scratch", type=Text).insert(0, "a" * (9 * 1024 * 1024))
    async with RawPeer(server.ws_url("demo.ipynb")) as peer:
        await peer.send(encode_sync_update(doc.get_update()))
        code, reason = await peer.closed_with()
    assert code == 1009
    assert "exceeds the server's limit" in reason


async def test_an_update_with_too_many_structs_is_refused(server: ServerProcess) -> None:
    async with RawPeer(server.ws_url("demo.ipynb")) as peer:
        await peer.send(encode_sync_update(map_update(50_001)))
        code, reason = await peer.closed_with(timeout=30)
    assert code == 1009
    assert "structs" in reason


# -- awareness ---------------------------------------------------------------------------------


async def test_a_connection_cannot_declare_unlimited_awareness_client_ids(
    server: ServerProcess,
) -> None:
    viewer = server.join("viewer", "Vi")[0]
    entries = [AwarenessEntry(1000 + i, 1, {"cursor": None}) for i in range(100)]
    async with RawPeer(server.ws_url("demo.ipynb", viewer)) as peer:
        await peer.send(encode_awareness(encode_awareness_update(entries)))
        code, reason = await peer.closed_with()
    assert code == 1009
    assert "awareness client ids" in reason


async def test_an_awareness_state_larger_than_the_limit_is_refused(server: ServerProcess) -> None:
    viewer = server.join("viewer", "Vi")[0]
    entry = AwarenessEntry(7, 1, {"padding": "x" * 20_000})
    async with RawPeer(server.ws_url("demo.ipynb", viewer)) as peer:
        await peer.send(encode_awareness(encode_awareness_update([entry])))
        code, reason = await peer.closed_with()
    assert code == 1009
    assert "awareness state" in reason


async def test_a_peer_cannot_put_its_own_css_into_the_user_it_shows(server: ServerProcess) -> None:
    viewer = server.join("viewer", "Vi")[0]
    evil = "red; background-image: url(http://attacker.example/leak)"
    state: dict[str, object] = {
        "user": {"name": "Vi", "color": "#000", "colorLight": evil, "x": 1},
        "cell": "c",
    }
    async with (
        RawPeer(server.ws_url("demo.ipynb")) as watcher,
        RawPeer(server.ws_url("demo.ipynb", viewer)) as peer,
    ):
        await peer.send(encode_awareness(encode_awareness_update([AwarenessEntry(9, 1, state)])))
        message: AwarenessMessage = await next_message(watcher, AwarenessMessage)
    (entry,) = message.entries
    assert entry.state is not None
    user = entry.state["user"]
    assert isinstance(user, dict)
    assert set(user) == {"id", "name", "color", "colorLight", "role"}
    assert user["colorLight"] == f"{user['color']}33"
    assert re.fullmatch(r"#[0-9a-f]{6}33", str(user["colorLight"]))
    assert entry.state["cell"] == "c"


# -- commands ----------------------------------------------------------------------------------


async def test_only_authorized_known_commands_are_recorded(workdir: Path, store_path: str) -> None:
    with ServerProcess(workdir, store=store_path) as server:
        viewer = server.join("viewer", "Vi")[0]
        async with RawPeer(server.ws_url("demo.ipynb", viewer)) as peer:
            padding = "p" * 10_000
            for index in range(20):
                reply = await command(peer, {"id": index, "command": "nope", "pad": padding})
                assert not reply["ok"]
                reply = await command(
                    peer, {"id": 100 + index, "command": "run", "cell": "code-0", "pad": padding}
                )
                assert not reply["ok"]
            chat = {"id": 999, "command": "mob-chat", "text": "hi " * 500, "pad": ["p" * 900] * 40}
            reply = await command(peer, chat)
            assert not reply["ok"]  # viewers read the chat; the owner lets them post (3b3add8)
        editor = server.join("editor", "Ed")[0]
        async with RawPeer(server.ws_url("demo.ipynb", editor)) as peer:
            reply = await command(peer, chat)
            assert reply["ok"], reply
    async with open_store(store_path) as store:
        events = await store.events("demo.ipynb", kinds=["command"])
    assert [json.loads(e.data)["command"] for e in events] == ["mob-chat"]
    data = json.loads(events[0].data)
    assert len(data["text"]) <= 201
    assert len(data["pad"]) <= 16
    assert len(events[0].data) < 5_000


async def test_a_command_frame_over_the_limit_is_refused_before_parsing(
    server: ServerProcess,
) -> None:
    viewer = server.join("viewer", "Vi")[0]
    async with RawPeer(server.ws_url("demo.ipynb", viewer)) as peer:
        await peer.send(encode_command({"id": 1, "command": "nope", "pad": "p" * 100_000}))
        code, reason = await peer.closed_with()
    assert code == 1009
    assert "a command of" in reason


async def test_a_lone_surrogate_in_a_command_breaks_nothing(server: ServerProcess) -> None:
    text = '{"id":1,"command":"mob-chat","text":"a\\ud800b"}'  # valid JSON, not valid UTF-16
    encoder = Encoder()
    encoder.write_var_uint(MessageType.COMMAND)
    encoder.write_var_string(text)
    async with RawPeer(server.ws_url("demo.ipynb")) as peer:
        await peer.send(encoder.to_bytes())
        reply: CommandMessage = await next_message(peer, CommandMessage)
        assert reply.body["ok"], reply.body
        again = await command(peer, {"id": 2, "command": "whoami"})
        assert again["ok"]
    async with YClient(server.ws_url("demo.ipynb")) as fresh:
        chat = fresh.map("mob")["chat"]
        assert chat[-1]["text"] == "a\ufffdb"
    status, body = server.get("/api/replay/demo.ipynb/chunk?after=0")
    assert status == 200, body


# -- mob ----------------------------------------------------------------------------------------


async def test_the_people_in_the_mob_are_bounded_however_many_come(
    server: ServerProcess,
) -> None:
    tokens = [server.join("editor", f"P{index}")[0] for index in range(MAX_PEOPLE + 4)]
    async with YClient(server.ws_url("demo.ipynb")) as owner:
        reply = await owner.command("mob-mode", mode="mob")
        assert reply["ok"], reply
        for token in tokens:
            async with RawPeer(server.ws_url("demo.ipynb", token)) as person:
                await person.recv()  # the room's sync step 1: they are in
        names = {f"P{index}" for index in range(len(tokens))}

        def settled() -> bool:
            people = owner.map("mob").get("people", {})
            return bool({p["name"] for p in people.values()} & {f"P{len(tokens) - 1}"})

        await owner.wait_until(settled, 60)
        people = owner.map("mob")["people"]
        assert len(people) <= MAX_PEOPLE
        assert "owner" in people  # the driver, here all along
        assert {p["name"] for p in people.values()} <= names | {people["owner"]["name"]}


# -- notebooks -----------------------------------------------------------------------------------


STYLES = "content => [...content.querySelectorAll('[style]')].map(e => e.getAttribute('style'))"


def parses(server: ServerProcess) -> float:
    with urllib.request.urlopen(server.base + "/metrics", timeout=10) as response:
        text = response.read().decode()
    match = re.search(r"^pairbook_notebook_parses_total (\S+)$", text, re.MULTILINE)
    assert match is not None, "no pairbook_notebook_parses_total metric"
    return float(match.group(1))


def listing(server: ServerProcess) -> dict[str, dict[str, Any]]:
    status, body = server.get("/api/notebooks")
    assert status == 200, body
    assert isinstance(body, dict)
    return {entry["path"]: entry for entry in body["notebooks"]}


async def test_the_notebook_list_parses_a_file_once_per_change(
    server: ServerProcess, workdir: Path
) -> None:
    path = write_notebook(workdir / "other.ipynb")
    assert listing(server)["other.ipynb"]["cells"] == 3
    first = parses(server)
    for _ in range(3):
        assert listing(server)["other.ipynb"]["cells"] == 3
    assert parses(server) == first
    write_notebook(path, ["a = 1", "b = 2", "c = 3"])
    assert listing(server)["other.ipynb"]["cells"] == 4
    assert parses(server) == first + 1


async def test_a_notebook_over_the_size_limit_is_refused_with_a_reason(
    workdir: Path, store_path: str
) -> None:
    write_notebook(workdir / "big.ipynb", ["x = 1\n" + "# " + "y" * 300_000])
    with ServerProcess(workdir, store=store_path, args=("--max-notebook", "200000")) as server:
        entry = listing(server)["big.ipynb"]
        assert "--max-notebook" in entry["error"]
        assert listing(server)["demo.ipynb"]["cells"] == 3
        async with RawPeer(server.ws_url("big.ipynb")) as peer:
            code, reason = await peer.closed_with()
        assert code == 1009
        assert "opens notebooks up to" in reason


async def test_a_peers_awareness_puts_no_css_into_another_persons_editor(
    server: ServerProcess,
) -> None:
    pytest.importorskip("playwright.async_api")
    from support.browser import NotebookTab, chromium

    editor = server.join("editor", "Mallory")[0]
    async with YClient(server.ws_url("demo.ipynb")) as reader:
        ysource: Text = reader.cells[1]["source"]
        cursor = {
            "anchor": ysource.sticky_index(0, Assoc.AFTER).to_json(),
            "head": ysource.sticky_index(5, Assoc.AFTER).to_json(),
        }
    evil = "rgb(1, 2, 3); outline: 7px solid rgb(4, 5, 6)"
    state = {"user": {"name": "M", "color": "#ff0000", "colorLight": evil}, "cursor": cursor}
    async with chromium() as browser:
        tab = await NotebookTab.open(browser, server, "demo.ipynb")
        await tab.edit_end(1)  # the cell's editor is mounted: it shows others' selections
        async with RawPeer(server.ws_url("demo.ipynb", editor)) as peer:
            await peer.send(
                encode_awareness(encode_awareness_update([AwarenessEntry(42, 1, state)]))
            )
            selection = tab.editor(1).locator(".cm-ySelection").first
            await selection.wait_for()
            styles: list[str] = await tab.editor(1).evaluate(STYLES)
        assert tab.errors == []
    assert not [style for style in styles if "outline" in style or "rgb(1, 2, 3)" in style]
    # The selection shows in the color the server derived (the granted color, alpha 0x33).
    assert any(re.search(r"background-color: rgba\(\d+, \d+, \d+, 0\.2\)", s) for s in styles)
