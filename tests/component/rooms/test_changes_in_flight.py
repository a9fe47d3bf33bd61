"""Changes being logged. A peer that joins meanwhile gets the room's state only once the log
has it: nothing reaches a peer before the log has it, a joiner's first state (sync step 2)
included, and a change the log could not keep never reaches a joiner at all. Someone waiting
for them to settle who gives up (a closed connection) does not stop them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Text

from component.rooms.test_room import FailingStore, Kit, of_kind, room_kit
from pairbook.errors import StoreError
from pairbook.protocol.closecodes import CloseCode
from pairbook.protocol.messages import SyncStep2, SyncUpdate, encode_sync_step1, encode_sync_update
from pairbook.rooms import receiver


class HeldStore(FailingStore):
    """Appends wait while `held` is clear (a slow disk); they fail once `failing` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.held = asyncio.Event()
        self.held.set()

    async def append(
        self, room: str, update: bytes, user_id: str, client_ids: Any, *, fence: int | None = None
    ) -> int:
        await self.held.wait()
        return await super().append(room, update, user_id, client_ids, fence=fence)


@contextlib.asynccontextmanager
async def held_kit(tmp_path: Path) -> AsyncIterator[tuple[Kit, HeldStore]]:
    """A room on a HeldStore, released before the room settles (a failed test never hangs)."""
    store = HeldStore()
    async with room_kit(tmp_path, store) as kit:
        try:
            yield kit, store
        finally:
            store.held.set()


async def drain() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def edit_being_logged(kit: Kit, store: HeldStore, text: str) -> asyncio.Task[None]:
    """Ana's edit, applied by the room, its log write held."""
    ana = await kit.join("ana")
    ana.messages()
    store.held.clear()
    edit = encode_sync_update(ana.edit(text))
    handled = asyncio.create_task(kit.room.receive(ana.peer, edit))
    await drain()
    assert str(kit.room.doc.get("scratch", type=Text)) == text  # applied, not logged
    assert kit.room.inflight == 1
    return handled


async def test_a_joiner_gets_a_change_only_once_the_log_has_it(tmp_path: Path) -> None:
    async with held_kit(tmp_path) as (kit, store):
        handled = await edit_being_logged(kit, store, "typed")
        bob = await kit.join("bob", sync=False)
        bob.messages()  # the room's step 1
        answering = asyncio.create_task(
            kit.room.receive(bob.peer, encode_sync_step1(bob.doc.get_state()))
        )
        await drain()

        assert of_kind(bob.messages(), SyncStep2) == []
        assert bob.peer.live  # what is logged from now on reaches bob relayed

        store.held.set()
        await handled
        await answering
        await kit.flush()
        messages = bob.messages()
        assert of_kind(messages, SyncStep2)
        assert str(bob.doc.get("scratch", type=Text)) == "typed"
        assert [record.user_id for record in await kit.records()][-1] == "ana"


async def test_a_change_the_log_refused_never_reaches_a_joiner(tmp_path: Path) -> None:
    async with held_kit(tmp_path) as (kit, store):
        handled = await edit_being_logged(kit, store, "lost")
        bob = await kit.join("bob", sync=False)
        bob.messages()
        answering = asyncio.create_task(
            kit.room.receive(bob.peer, encode_sync_step1(bob.doc.get_state()))
        )
        await drain()
        store.failing = True
        store.held.set()
        await asyncio.gather(handled, return_exceptions=True)
        await answering
        await kit.flush()

        assert kit.room.lost is not None
        messages = bob.messages()
        assert of_kind(messages, SyncStep2) == of_kind(messages, SyncUpdate) == []
        assert str(bob.doc.get("scratch", type=Text)) == ""
        assert bob.peer.close_request is not None


async def test_a_joiner_is_answered_at_once_when_nothing_is_being_logged(tmp_path: Path) -> None:
    async with held_kit(tmp_path) as (kit, _):
        ana = await kit.join("ana")
        await kit.send(ana, encode_sync_update(ana.edit("kept")))
        bob = await kit.join("bob", sync=False)
        bob.messages()
        await kit.room.receive(bob.peer, encode_sync_step1(bob.doc.get_state()))
        await drain()
        assert of_kind(bob.messages(), SyncStep2)
        assert str(bob.doc.get("scratch", type=Text)) == "kept"


async def test_giving_up_waiting_for_changes_to_settle_does_not_stop_them(tmp_path: Path) -> None:
    async with held_kit(tmp_path) as (kit, store):
        bob = await kit.join("bob")
        handled = await edit_being_logged(kit, store, "kept")
        waiting = asyncio.create_task(kit.room.settle())  # e.g. a blame for a peer who left
        await drain()
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)

        store.held.set()
        await handled
        await kit.flush()
        assert kit.room.lost is None
        assert [record.user_id for record in await kit.records()][-1] == "ana"
        bob.messages()
        assert str(bob.doc.get("scratch", type=Text)) == "kept"


async def test_a_change_applied_after_the_room_lost_one_is_never_logged(tmp_path: Path) -> None:
    # Ana's frame read before her connection was closed, handled once the room is lost: it
    # was made on top of the change the log lost, so the log must not take it alone.
    async with held_kit(tmp_path) as (kit, store):
        ana = await kit.join("ana")
        ana.messages()
        store.held.clear()
        first = encode_sync_update(ana.edit("lost"))
        handled = asyncio.create_task(kit.room.receive(ana.peer, first))
        await drain()
        store.failing = True
        store.held.set()
        await asyncio.gather(handled, return_exceptions=True)
        assert kit.room.lost is not None
        store.failing = False  # the store took writes again (the disk had room again)

        with pytest.raises(StoreError):
            await kit.room.receive(ana.peer, encode_sync_update(ana.edit(" and more")))
        assert "ana" not in [record.user_id for record in await kit.records()]


# -- a connection reading on while its change is logged (pipelined) -------------------------


async def test_a_pipelined_frame_is_handled_before_its_change_is_logged_and_relayed_after(
    tmp_path: Path,
) -> None:
    async with held_kit(tmp_path) as (kit, store):
        ana, bob = await kit.join("ana"), await kit.join("bob")
        bob.messages()
        observed = kit.room.counters.relay.count
        store.held.clear()
        await kit.room.receive(ana.peer, encode_sync_update(ana.edit("one")), pipelined=True)
        await kit.room.receive(ana.peer, encode_sync_update(ana.edit(" two")), pipelined=True)
        await drain()

        assert str(kit.room.doc.get("scratch", type=Text)) == "one two"  # applied
        assert kit.room.inflight == 2
        assert of_kind(bob.messages(), SyncUpdate) == []  # nothing relayed before it is logged

        store.held.set()
        await kit.flush()
        assert kit.room.inflight == 0
        assert len(of_kind(bob.messages(), SyncUpdate)) == 2  # in the order made
        assert str(bob.doc.get("scratch", type=Text)) == "one two"
        assert [record.user_id for record in await kit.records()][-2:] == ["ana", "ana"]
        assert kit.room.counters.relay.count == observed + 2


async def test_a_pipelined_change_the_log_could_not_keep_closes_every_peer(tmp_path: Path) -> None:
    async with held_kit(tmp_path) as (kit, store):
        ana, bob = await kit.join("ana"), await kit.join("bob")
        bob.messages()
        store.failing = True
        await kit.room.receive(ana.peer, encode_sync_update(ana.edit("lost")), pipelined=True)
        await kit.flush()

        assert kit.room.lost is not None
        assert of_kind(bob.messages(), SyncUpdate) == []
        for client in (ana, bob):
            close = client.peer.close_request
            assert close is not None
            assert close[0] == CloseCode.INTERNAL_ERROR


async def test_past_its_bound_a_pipelined_frame_waits_for_its_change_to_be_logged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(receiver, "PIPELINED", 2)
    async with held_kit(tmp_path) as (kit, store):
        ana = await kit.join("ana")
        store.held.clear()
        for text in "ab":
            await kit.room.receive(ana.peer, encode_sync_update(ana.edit(text)), pipelined=True)
        third = asyncio.create_task(
            kit.room.receive(ana.peer, encode_sync_update(ana.edit("c")), pipelined=True)
        )
        await drain()
        assert not third.done()  # two in flight: the third waits for its own
        assert kit.room.inflight == 3

        store.held.set()
        await third
        assert kit.room.inflight == 0
