"""Emails are the owner's in a cluster too: two real `pairbook serve` processes (one
PostgreSQL log, one Redis), a room whose log holds people with their emails (the `mob` map
as the server wrote it before 6461f2c). A viewer and an editor on the process that does
not own the room get no email — not in their first sync (the owner still opening the room,
or done), not in the owner's writes relayed through the broker, not in presence, not from
the replay and review routes that process serves — and the owner, on either process, has
what it had: the document without emails, its summary and replay with them."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import pytest
from pycrdt import Doc, Map
from redis.asyncio import Redis

from cluster.conftest import two_processes, until
from cluster.test_owner_trust import broker_of
from pairbook.protocol.awareness import AwarenessEntry, encode_awareness_update
from pairbook.protocol.messages import (
    AwarenessMessage,
    CommandMessage,
    SyncStep2,
    SyncUpdate,
    decode_message,
    encode_awareness,
    encode_command,
    encode_sync_step1,
)
from support.client import RawPeer, YClient
from support.leases import LeaseProcess
from support.oldlog import log_an_old_mob_map, people_in
from support.server import OWNER_TOKEN as OWNER
from support.server import ServerProcess

pytestmark = [pytest.mark.integration, pytest.mark.cluster, pytest.mark.security]

DOMAIN = "example.org"
NB = "demo.ipynb"


class Tap:
    """A stock client's websocket to a room that keeps every frame the server sends it, as
    bytes (what reaches the person, whatever their document keeps of it), applying the sync
    updates to a document of its own."""

    def __init__(self, url: str) -> None:
        self.peer = RawPeer(url)
        self.frames: list[bytes] = []
        self.doc: Doc[Any] = Doc()
        self.replies: list[dict[str, Any]] = []
        self.shown: list[bytes] = []  # awareness frames
        self.synced = False
        self._requests = 0

    async def __aenter__(self) -> Self:
        await self.peer.__aenter__()
        await self.peer.send(encode_sync_step1(b"\x00"))  # a stock client's hello
        await self.read_until(lambda: self.synced)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.peer.__aexit__(kind, exc, tb)

    async def read_until(self, done: Callable[[], bool], timeout: float = 30.0) -> None:
        """Read frames until `done()` holds (a budget per frame, not a measured time)."""
        while not done():
            frame = await self.peer.recv(timeout)
            self.frames.append(frame)
            message = decode_message(frame)
            if isinstance(message, SyncStep2 | SyncUpdate):
                self.doc.apply_update(message.update)
                self.synced = self.synced or isinstance(message, SyncStep2)
            elif isinstance(message, CommandMessage):
                self.replies.append(message.body)
            elif isinstance(message, AwarenessMessage):
                self.shown.append(frame)

    async def show(self, state: dict[str, object]) -> None:
        """Send an awareness state (client id 4242, clock 1)."""
        entry = AwarenessEntry(4242, 1, state)
        await self.peer.send(encode_awareness(encode_awareness_update([entry])))

    async def command(self, command: str, **args: Any) -> dict[str, Any]:
        self._requests += 1
        asked = self._requests
        await self.peer.send(encode_command({"id": asked, "command": command, **args}))
        await self.read_until(lambda: any(r.get("id") == asked for r in self.replies))
        reply = next(r for r in self.replies if r.get("id") == asked)
        assert reply["ok"], reply
        result: dict[str, Any] = reply["result"]
        return result

    def mob(self) -> dict[str, Any]:
        value = self.doc.get("mob", type=Map).to_py()
        return value if isinstance(value, dict) else {}

    def leaked(self) -> list[bytes]:
        """The frames that carried an email."""
        return [frame for frame in self.frames if DOMAIN.encode() in frame]


async def ok(client: YClient, command: str, **args: Any) -> dict[str, Any]:
    reply = await client.command(command, **args)
    assert reply["ok"], reply
    result: dict[str, Any] = reply["result"]
    return result


def rooms_open(server: ServerProcess) -> int:
    status, health = server.get("/api/health", token=None)
    assert status == 200, health
    assert isinstance(health, dict)
    return int(health["rooms"])


def served(server: ServerProcess, token: str, route: str) -> Any:
    status, body = server.request("GET", route, token=token)
    assert status == 200, (route, body)
    return body


def replay_routes(server: ServerProcess, token: str, seq: int) -> dict[str, Any]:
    """What the process serves this person of the replay, the review and the lists."""
    replay = f"/api/replay/{quote(NB)}"
    routes = ["/api/replay", "/api/notebooks", "/api/me", f"/api/review/{quote(NB)}"]
    routes += [f"{replay}/{what}" for what in ("timeline", "export", f"moment?seq={seq}")]
    return {route: served(server, token, route) for route in routes}


async def test_no_email_reaches_anyone_but_the_owner_from_the_process_not_owning_the_room(
    tmp_path: Any,
) -> None:
    with two_processes(tmp_path, "--room-unload-delay", "0.2") as (a, b):
        bo_token, bo_id = a.join("editor", "Bo", f"bo@{DOMAIN}")
        vi_token, vi_id = a.join("viewer", "Vi", f"vi@{DOMAIN}")
        async with YClient(a.ws_url(NB)) as ana:
            await ok(ana, "mob-mode", mode="mob")
        for server in (a, b):
            assert server.stop() == 0
        old = {
            uid: {"id": uid, "name": name, "color": "#336699", "email": f"{name.lower()}@{DOMAIN}"}
            for uid, name in ((bo_id, "Bo"), (vi_id, "Vi"))
        }
        assert a.store is not None
        seq = await log_an_old_mob_map(a.store, NB, old)
        named = {uid: {k: v for k, v in p.items() if k != "email"} for uid, p in old.items()}
        for server in (a, b):
            server.start()
        address, prefix = broker_of(a)
        redis = Redis.from_url(address)
        try:
            # The room's owner has taken its lease and is still opening it (it has not
            # written the `mob` map again yet): B, which does not own the room, opens it
            # from the log and serves it to Vi.
            opening = LeaseProcess(redis, f"{prefix}owner:", "opening", 60.0).keeper
            assert await opening.claim(NB) is not None
            async with Tap(b.ws_url(NB, vi_token)) as vi, Tap(b.ws_url(NB, bo_token)) as bo:
                for tap in (vi, bo):
                    assert tap.mob()["people"] == named  # by name, without emails
                    assert DOMAIN not in json.dumps(await tap.command("presence"))
                    assert tap.leaked() == []
            await until(lambda: _none_open(b))
            await opening.drop(NB)

            # A opens the room, owns it and writes the `mob` map; Bo and Vi on B, and the
            # owner on B too.
            async with YClient(a.ws_url(NB)) as ana:
                await _the_owner_on_a_and_people_on_b(a, b, ana, bo_token, vi_token, bo_id)
                # The owner's own document, on A, names people as it does today.
                assert DOMAIN not in json.dumps(ana.map("mob"))
                assert {"Bo", "Vi"} <= {p["name"] for p in ana.map("mob")["people"].values()}
        finally:
            await redis.aclose()

        for token, own in ((bo_token, bo_id), (vi_token, vi_id)):  # B, to an editor, a viewer
            found = replay_routes(b, token, seq)
            others = [p["email"] for uid, p in old.items() if uid != own]
            for route, body in found.items():
                assert not [e for e in others if e in json.dumps(body)], route
                if route != "/api/me":  # (their own profile has their own)
                    assert DOMAIN not in json.dumps(body), route
            moment = found[f"/api/replay/{quote(NB)}/moment?seq={seq}"]
            assert people_in(base64.b64decode(moment["update"])) == named
        owners = replay_routes(b, OWNER, seq)[f"/api/replay/{quote(NB)}/moment?seq={seq}"]
        assert people_in(base64.b64decode(owners["update"])) == old  # the log as it is


async def _none_open(server: ServerProcess) -> bool:
    return rooms_open(server) == 0


async def _the_owner_on_a_and_people_on_b(
    a: ServerProcess, b: ServerProcess, ana: YClient, bo_token: str, vi_token: str, bo_id: str
) -> None:
    async with (
        Tap(b.ws_url(NB, vi_token)) as vi,
        YClient(b.ws_url(NB, bo_token)) as bo,
        YClient(b.ws_url(NB)) as owner_on_b,
        Tap(a.ws_url(NB, bo_token)) as bo_on_a,
    ):
        assert vi.leaked() == []  # the first sync
        # Bo's presence on A (claiming his address), relayed to Vi on B through the broker.
        await bo_on_a.show({"user": {"name": "Bo", "email": f"bo@{DOMAIN}"}})
        await vi.read_until(lambda: any(b'"Bo"' in frame for frame in vi.shown))
        # A's rotation counts Bo, connected to B, then hands him the keyboard.
        await bo.wait_until(lambda: bo_id in bo.map("mob").get("queue", []), timeout=20)
        await ok(ana, "mob-handover")
        await bo.wait_until(lambda: bo.map("mob").get("driver") == bo_id, timeout=20)
        await ok(bo, "mob-chat", text="hello")  # forwarded to A, written there
        await vi.read_until(lambda: len(vi.mob().get("chat") or []) == 1)
        assert vi.leaked() == []  # A's writes, relayed through the broker
        for client in (bo, owner_on_b):
            assert DOMAIN not in json.dumps(client.map("mob"))
        assert owner_on_b.map("mob")["people"] == ana.map("mob")["people"]
        for command in ("presence", "mob-summary"):
            assert DOMAIN not in json.dumps(await ok(bo, command)), command
            assert DOMAIN not in json.dumps(await vi.command(command)), command
        assert vi.leaked() == []
        # The owner's summary, asked on B, credits Bo with his address, for the commit.
        summary = await ok(owner_on_b, "mob-summary")
        assert f"Co-authored-by: Bo <bo@{DOMAIN}>" in summary["message"]
