"""Room signals between processes holding a room (rooms.signals): every process's members
reach the room's services on the others (joins, leaves, a late process, a silent one) as the
owner's token book has them, and events for one member or everyone reach them wherever they
are connected. A process cut off from the broker keeps the others' members, and asks anew."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import pytest
from pycrdt import Array

from pairbook.auth import Role
from pairbook.broker import Broker, BrokerStats, MemoryBroker, MemoryHub, SignalEntry
from pairbook.errors import AuthError
from pairbook.protocol.messages import CommandMessage, encode_sync_update
from pairbook.rooms.handle import ServiceHandle
from pairbook.rooms.signals import OUTDATED_AFTER, RENEW
from pairbook.service import CommandTable, Member
from pairbook.store import MemoryStore
from pairbook.types import UserId
from support.brokerkit import ROOM, Client, Process, open_process, settle, two_processes
from support.notebooks import write_notebook


@pytest.fixture
def brokers() -> Callable[[], Broker]:
    hub = MemoryHub()
    return lambda: MemoryBroker(hub)


class Roll:
    """A room service that only keeps who is in the room (as the mob rotation counts)."""

    def __init__(self) -> None:
        self.commands: CommandTable[Roll] = CommandTable.of("roll", [])
        self.here: dict[str, Member] = {}

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def on_join(self, member: Member) -> None:
        self.here[member.key] = member

    def on_leave(self, member: Member) -> None:
        del self.here[member.key]

    def users(self) -> list[str]:
        return sorted(member.user.id for member in self.here.values())


R = TypeVar("R", bound=Roll)


@contextlib.asynccontextmanager
async def roll_on_a(
    tmp_path: Path, brokers: Callable[[], Broker], roll: R
) -> AsyncIterator[tuple[Process, Process, R]]:
    """`two_processes` with `roll` attached to A's room (A owns the room's services)."""
    async with two_processes(tmp_path, brokers) as (a, b, _):
        a.room.attach([roll])
        yield a, b, roll


def events(client: Client) -> list[dict[str, Any]]:
    return [
        dict(message.body)
        for message in client.read()
        if isinstance(message, CommandMessage) and "event" in message.body
    ]


async def test_members_on_another_process_join_and_leave_the_owners_services(
    tmp_path: Path, brokers: Callable[[], Broker]
) -> None:
    async with roll_on_a(tmp_path, brokers, Roll()) as (a, b, roll):
        await a.join("ana", 101)
        bob = await b.join("bob", 102)
        await settle(a, b)
        assert roll.users() == ["ana", "bob"]
        remote = next(m for m in roll.here.values() if m.user.id == "bob")
        assert remote.key == f"{b.feed.broker.origin}/bob"
        assert ServiceHandle(a.room).members() == [*ServiceHandle(a.room).members()[:1], remote]
        b.room.leave(bob.peer)
        await settle(a, b)
        assert roll.users() == ["ana"]
        cy = await b.join("cy", 103)
        await settle(a, b)
        assert roll.users() == ["ana", "cy"]
        await b.feed.close()  # the room closes on B: its members leave at once
        await settle(a, b)
        assert roll.users() == ["ana"]
        cy.sender.cancel()


async def test_a_service_attached_later_hears_of_members_already_on_other_processes(
    tmp_path: Path, brokers: Callable[[], Broker]
) -> None:
    store = MemoryStore()
    await store.open()
    path = write_notebook(tmp_path / "demo.ipynb")
    async with brokers() as b_broker, brokers() as a_broker:
        b = await open_process(path, store, b_broker)
        await b.join("bob", 102)
        a = await open_process(path, store, a_broker)  # asks the others who is there
        await settle(a, b)
        roll = Roll()
        a.room.attach([roll])
        assert roll.users() == ["bob"]
        for client in b.clients:
            client.sender.cancel()


async def test_events_reach_one_member_or_everyone_on_another_process(
    tmp_path: Path, brokers: Callable[[], Broker]
) -> None:
    async with two_processes(tmp_path, brokers) as (a, b, _):
        ana = await a.join("ana", 101)
        bob = await b.join("bob", 102)
        cy = await b.join("cy", 103)
        for client in (ana, bob, cy):
            client.peer.speaks_pairbook = True
        await settle(a, b)
        handle = ServiceHandle(a.room)
        members = {member.user.id: member for member in handle.members()}
        handle.notify_member(members[UserId("bob")], {"event": "input-request", "prompt": "name? "})
        await settle(a, b)
        assert events(bob) == [{"event": "input-request", "prompt": "name? "}]
        assert events(cy) == []
        assert events(ana) == []
        handle.notify({"event": "mob-break", "at": 1.0})
        await settle(a, b)
        assert events(ana) == events(bob) == events(cy) == [{"event": "mob-break", "at": 1.0}]


async def test_a_silent_process_members_leave_and_renewals_keep_them(
    tmp_path: Path, brokers: Callable[[], Broker]
) -> None:
    async with roll_on_a(tmp_path, brokers, Roll()) as (a, b, roll):
        await b.join("bob", 102)
        await settle(a, b)
        for _ in range(round(OUTDATED_AFTER / RENEW) + 1):  # b renews: bob stays
            a.clock.advance(RENEW)
            b.clock.advance(RENEW)
            await b.feed.upkeep(b.clock())
            await settle(a, b)
            await a.feed.upkeep(a.clock())
        assert roll.users() == ["bob"]
        a.clock.advance(OUTDATED_AFTER)  # b is silent (it died)
        await a.feed.upkeep(a.clock())
        assert roll.users() == []


async def test_a_signal_pairbook_did_not_write_is_logged_and_not_taken(
    tmp_path: Path, brokers: Callable[[], Broker], caplog: pytest.LogCaptureFixture
) -> None:
    async with roll_on_a(tmp_path, brokers, Roll()) as (a, b, roll):
        bad = [
            b"not json",
            b"[1]",
            json.dumps({"t": "nope"}).encode(),
            json.dumps({"t": "members", "from": "x", "members": [{"key": "k"}]}).encode(),
            json.dumps({"t": "members", "from": "", "members": []}).encode(),
            json.dumps({"t": "event", "to": 5, "event": {}}).encode(),
            # another process's members, announced by b (the entry's origin): not taken
            json.dumps({"t": "members", "from": "someone-else", "members": []}).encode(),
        ]
        with caplog.at_level(logging.ERROR, logger="pairbook.feed"):
            for payload in bad:
                b.feed.broker.publish(ROOM, SignalEntry(payload))
            await settle(a, b)
        assert roll.users() == []
        refused = [r.getMessage() for r in caplog.records if r.name == "pairbook.feed"]
        assert refused == ["unreadable room signal"] * len(bad)


class Unplugged(MemoryBroker):
    """A memory broker whose process can be told it lost the broker's server."""

    connected = True

    def stats(self) -> BrokerStats:
        return replace(super().stats(), connected=self.connected)


async def test_announced_members_are_who_the_token_book_says(
    tmp_path: Path, brokers: Callable[[], Broker]
) -> None:
    looked_up: list[str] = []

    def book(member: Member) -> Member:  # this process's token book
        looked_up.append(member.user.id)
        if member.user.id == "mallory":
            raise AuthError("your access to this server was revoked")
        return Member(member.key, member.user, Role.VIEWER, member.clients, member.grant)

    async with roll_on_a(tmp_path, brokers, Roll()) as (a, b, roll):
        a.feed.signals.vouch = book
        await b.join("bob", 102)  # an editor on b; the book says a viewer
        await b.join("mallory", 103)  # revoked, as far as the book knows
        await settle(a, b)
        assert roll.users() == ["bob"]
        assert [m.role for m in roll.here.values()] == [Role.VIEWER]
        calls = len(looked_up)
        b.feed.signals.announce()  # a renewal: bob is not looked up again
        await settle(a, b)
        assert looked_up[calls:] == ["mallory"]
        assert roll.users() == ["bob"]


async def test_members_stay_while_this_process_cannot_reach_the_broker(tmp_path: Path) -> None:
    hub = MemoryHub()
    async with roll_on_a(tmp_path, lambda: Unplugged(hub), Roll()) as (a, b, roll):
        await b.join("bob", 102)
        await settle(a, b)
        broker = a.feed.broker
        assert isinstance(broker, Unplugged)
        broker.connected = False  # a hears nobody: b's silence says nothing of bob
        a.clock.advance(OUTDATED_AFTER * 2)
        await a.feed.upkeep(a.clock())
        assert roll.users() == ["bob"]
        broker.connected = True
        a.feed.missed()  # back: a asks every process again, b answers
        await a.feed.upkeep(a.clock())
        await settle(a, b)
        a.clock.advance(OUTDATED_AFTER - 1)
        await a.feed.upkeep(a.clock())
        assert roll.users() == ["bob"]
        a.clock.advance(OUTDATED_AFTER)  # b really went silent
        await a.feed.upkeep(a.clock())
        assert roll.users() == []


async def test_a_process_back_on_the_broker_asks_the_others_again(
    tmp_path: Path, brokers: Callable[[], Broker]
) -> None:
    async with roll_on_a(tmp_path, brokers, Roll()) as (a, b, roll):
        await b.join("bob", 102)
        await settle(a, b)
        a.clock.advance(OUTDATED_AFTER - 5)
        a.feed.missed()  # a's broker reconnected: what b said meanwhile may be lost
        await a.feed.upkeep(a.clock())
        await settle(a, b)
        a.clock.advance(10)  # past b's last renewal's expiry, not past its answer's
        await a.feed.upkeep(a.clock())
        assert roll.users() == ["bob"]


class Diary(Roll):
    """A Roll that also keeps every join and leave it heard, in order (as the recorder)."""

    def __init__(self) -> None:
        super().__init__()
        self.heard: list[tuple[str, str]] = []

    def on_join(self, member: Member) -> None:
        super().on_join(member)
        self.heard.append(("join", member.user.id))

    def on_leave(self, member: Member) -> None:
        super().on_leave(member)
        self.heard.append(("leave", member.user.id))


async def test_a_member_who_leaves_before_the_announcement_still_joins_and_leaves(
    tmp_path: Path, brokers: Callable[[], Broker]
) -> None:
    # A member on another process may join, run a cell and leave within the moment the
    # process waits to announce a burst of joins (seen: 45 ms): the owner must still hear
    # (and its recorder note) the join and the leave, not an announcement that never had it.
    async with roll_on_a(tmp_path, brokers, Diary()) as (a, b, diary):
        b.feed.signals.settle = 60.0  # the burst's announcement is far away
        bob = await b.join("bob", 102)
        b.room.leave(bob.peer)
        await settle(a, b)
        assert diary.heard == [("join", "bob")]  # at once, with bob present
        b.feed.signals.announce()  # the burst's own announcement, when its moment comes
        await settle(a, b)
        assert diary.heard == [("join", "bob"), ("leave", "bob")]
        bob.sender.cancel()


async def test_a_member_unannounced_when_the_room_closes_still_joins_and_leaves(
    tmp_path: Path, brokers: Callable[[], Broker]
) -> None:
    async with roll_on_a(tmp_path, brokers, Diary()) as (a, b, diary):
        b.feed.signals.settle = 60.0
        bob = await b.join("bob", 102)
        await b.feed.close()  # before the announcement
        await settle(a, b)
        assert diary.heard == [("join", "bob"), ("leave", "bob")]
        bob.sender.cancel()


async def test_a_file_conflict_and_its_resolution_reach_every_process_peers(
    tmp_path: Path, brokers: Callable[[], Broker]
) -> None:
    # Only the process keeping the notebook file sees a conflict, and resolves it: a peer
    # on another process is told too (its page shows the banner, then clears it).
    async with two_processes(tmp_path, brokers) as (a, b, _):
        assert a.files is not None
        assert a.feed.files_held
        assert not b.feed.files_held
        ana, bob = await a.join("ana", 101), await b.join("bob", 102)
        for client in (ana, bob):
            client.peer.speaks_pairbook = True
        before = ana.doc.get_state()
        ana.doc.get("cells", type=Array)[1]["source"].insert(0, "unsaved ")
        await a.send(ana, encode_sync_update(ana.doc.get_update(before)))
        path = tmp_path / "demo.ipynb"
        path.write_text(path.read_text().replace('"y = x + 1', '"z = 3\\ny = x + 1'))
        await a.files.poll()
        assert a.files.conflict is not None
        await settle(a, b)
        assert [e["event"] for e in events(bob)] == ["file-conflict"]
        await a.files.resolve("room")
        await settle(a, b)
        assert [e["event"] for e in events(bob)] == ["file-saved"]  # the banner goes


async def test_members_announced_in_an_entry_naming_no_origin_are_not_taken(
    tmp_path: Path, brokers: Callable[[], Broker], caplog: pytest.LogCaptureFixture
) -> None:
    # Anyone who can write the room's stream can write an entry whose origin is empty: it
    # must not speak for a process (here: empty b's members on a, as if b had announced it).
    async with two_processes(tmp_path, brokers) as (a, b, _):
        roll = Roll()
        a.room.attach([roll])
        await b.join("bob", 102)
        await settle(a, b)
        assert roll.users() == ["bob"]
        forged = {"t": "members", "from": b.feed.broker.origin, "members": []}
        with caplog.at_level(logging.ERROR, logger="pairbook.feed"):
            a.feed.deliver([SignalEntry(json.dumps(forged).encode(), "")])
            await settle(a, b)
        assert roll.users() == ["bob"]
        refused = [r.getMessage() for r in caplog.records if r.name == "pairbook.feed"]
        assert refused == ["unreadable room signal"]
