"""The room chat, against a real server: viewers read it and post only when the owner lets
them (their messages then say so); nobody writes the chat into the document directly."""

from __future__ import annotations

from typing import Any

import pytest
from pycrdt import Array, Doc, Map
from websockets.exceptions import ConnectionClosed

from pairbook.protocol.messages import encode_sync_update
from support.client import RawPeer, YClient
from support.server import ServerProcess

pytestmark = pytest.mark.security

VIEWERS_READ = (
    "viewers read the chat but do not post to it; the owner can let them "
    "(Viewers may chat, in the Mob panel's settings)"
)


async def ok(client: YClient, command: str, **args: Any) -> dict[str, Any]:
    reply = await client.command(command, **args)
    assert reply["ok"], reply
    result: dict[str, Any] = reply["result"]
    return result


def chat_of(client: YClient) -> list[dict[str, Any]]:
    return list(client.map("mob").get("chat") or [])


def forged_chat() -> bytes:
    """A stock client's own chat message, written straight into the `mob` map."""
    doc: Doc[Any] = Doc()
    ymob: Map[Any] = Map()
    doc["mob"] = ymob
    ymob["chat"] = Array([{"id": "forged", "user": {"id": "x", "name": "X"}, "text": "forged"}])
    return doc.get_update()


async def permission_denied(url: str) -> str:
    """Send the forged chat as a bare y-websocket peer; the server's refusal: y-protocols'
    auth message (permission denied) or the close that follows it."""
    async with RawPeer(url) as rogue:
        await rogue.send(encode_sync_update(forged_chat()))
        try:
            while True:
                frame = await rogue.recv()
                if frame[0] == 2:
                    return frame.decode(errors="replace")
        except ConnectionClosed as closed:
            return closed.rcvd.reason if closed.rcvd is not None else ""


async def test_viewers_post_to_the_chat_only_when_the_owner_lets_them(
    server: ServerProcess,
) -> None:
    bo_token, _ = server.join("editor", "Bo")
    vi_token, _ = server.join("viewer", "Vi")
    async with (
        YClient(server.ws_url("demo.ipynb")) as ana,
        YClient(server.ws_url("demo.ipynb", bo_token)) as bo,
        YClient(server.ws_url("demo.ipynb", vi_token)) as vi,
    ):
        await ok(bo, "mob-chat", text="from an editor")
        refused = await vi.command("mob-chat", text="from a viewer")
        assert not refused["ok"]
        assert refused["error"] == VIEWERS_READ
        await vi.wait_until(lambda: len(chat_of(vi)) == 1)  # viewers read it
        assert chat_of(vi)[0]["role"] == "editor"

        assert (await bo.command("mob-settings", viewer_chat=True))["ok"] is False
        await ok(ana, "mob-settings", viewer_chat=True)
        await ok(vi, "mob-chat", text="from a viewer")
        await ana.wait_until(lambda: len(chat_of(ana)) == 2)
        said = chat_of(ana)[1]
        assert (said["text"], said["user"]["name"], said["role"]) == (
            "from a viewer",
            "Vi",
            "viewer",
        )

        await ok(ana, "mob-settings", viewer_chat=False)
        assert (await vi.command("mob-chat", text="again"))["error"] == VIEWERS_READ

        # Nobody writes the chat into the document: not a viewer, not an editor.
        for token in (vi_token, bo_token):
            denied = await permission_denied(server.ws_url("demo.ipynb", token))
            assert "written by the server only" in denied or "viewer" in denied, denied
        await ok(bo, "mob-chat", text="last")
        await ana.wait_until(lambda: chat_of(ana)[-1]["text"] == "last")
        assert [m["text"] for m in chat_of(ana)] == ["from an editor", "from a viewer", "last"]
