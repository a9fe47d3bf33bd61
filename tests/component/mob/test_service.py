"""The mob service in a real room: modes and the driver, the edit and driver gates, the
commands' roles and arguments, the chat, the timer's handovers and the session summary."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from pycrdt import Map

from pairbook.auth import Role
from pairbook.kernel.service import TABLE as KERNEL
from pairbook.mob.service import IN_FLIGHT_SECONDS, MobService
from pairbook.record.service import TABLE as RECORD
from pairbook.service import Member
from pairbook.types import UserId
from support.servicekit import Kit, service_kit, settle


def mob_map(kit: Kit) -> dict[str, Any]:
    result: dict[str, Any] = kit.room.doc.get("mob", type=Map).to_py()
    return result


def attach(kit: Kit) -> MobService:
    mob = MobService(kit.handle, clock=kit.clock)
    kit.room.attach([mob])
    return mob


def member_of(person: Any) -> Member:
    peer = person.peer
    return Member(peer.key, peer.user, peer.role)


async def test_a_room_only_paired_in_gets_no_mob_writes(tmp_path: Path) -> None:
    async with service_kit(tmp_path) as kit:
        attach(kit)
        ana = await kit.join("ana")
        assert (await ana.ok("mob-clock")) == {"now": kit.clock.now}
        await ana.ok("mob-summary")
        assert mob_map(kit) == {}


async def test_the_timer_is_wanted_only_once_the_room_uses_the_mob(tmp_path: Path) -> None:
    async with service_kit(tmp_path) as kit:
        mob = attach(kit)
        olga = await kit.join("olga", Role.OWNER)
        ana = await kit.join("ana")
        kit.room.leave(ana.peer)  # joins and leaves while paired: nothing for the timer
        assert not mob.wanted.is_set()
        await olga.ok("mob-mode", mode="mob")
        assert mob.wanted.is_set()


async def test_mob_mode_gives_the_keyboard_to_one_driver(tmp_path: Path) -> None:
    async with service_kit(tmp_path) as kit:
        mob = attach(kit)
        olga = await kit.join("olga", Role.OWNER)
        ana = await kit.join("ana")
        viewer = await kit.join("vic", Role.VIEWER)
        assert await ana.refused("mob-mode", mode="mob") == (
            "only the owner can switch between pair and mob mode"
        )
        assert (
            await olga.refused("mob-mode", mode="trio") == "mob-mode needs 'mode': 'pair' or 'mob'"
        )
        reply = await olga.ok("mob-mode", mode="mob")
        assert reply["mode"] == "mob"
        assert reply["driver"] == "olga"
        assert mob_map(kit)["mode"] == "mob"
        # The edit gate: only the driver edits; the driver gate: only the driver runs.
        assert mob.on_edit(member_of(olga)) is None
        assert "only the driver (Olga)" in str(mob.on_edit(member_of(ana)))
        run, restore = KERNEL.get("run"), RECORD.get("restore")
        assert run is not None
        assert restore is not None
        assert mob.driver_gate(member_of(ana), run) == (
            "mob mode: only the driver (Olga) runs cells"
        )
        assert mob.driver_gate(member_of(ana), restore) == (
            "mob mode: only the driver (Olga) restores earlier versions"
        )
        assert mob.driver_gate(member_of(viewer), run) is None  # the role check refuses it
        assert kit.room.services.edit_refusal(ana.peer) is not None


async def test_handover_take_and_consent(tmp_path: Path) -> None:
    async with service_kit(tmp_path) as kit:
        attach(kit)
        olga = await kit.join("olga", Role.OWNER)
        ana = await kit.join("ana")
        await olga.ok("mob-mode", mode="mob")
        assert await ana.refused("mob-handover") == (
            "only the driver (or the owner) can hand the keyboard over"
        )
        handed = await olga.ok("mob-handover")
        assert handed["driver"] == "ana"
        taken = await olga.ok("mob-take")
        assert taken["pending"] is True
        consented = await ana.ok("mob-consent", accept=True)
        assert consented["driver"] == "olga"
        assert await ana.refused("mob-consent", accept="yes") == (
            "mob-consent's 'accept' must be true or false"
        )


async def test_settings_reorder_and_reset_are_the_owners(tmp_path: Path) -> None:
    async with service_kit(tmp_path) as kit:
        mob = attach(kit)
        olga = await kit.join("olga", Role.OWNER)
        ana = await kit.join("ana")
        assert await ana.refused("mob-settings", turn_seconds=60) == (
            "only the owner can change the rotation settings"
        )
        assert "needs one of turn_seconds" in await olga.refused("mob-settings")
        assert await olga.refused("mob-settings", turn_seconds="soon") == (
            "mob-settings's 'turn_seconds' must be a number of seconds"
        )
        await olga.ok("mob-settings", turn_seconds=60, auto_handover=False)
        assert mob.rotation.settings.turn_seconds == 60.0
        assert await olga.refused("mob-reorder", queue="ana") == (
            "mob-reorder needs 'queue': the user ids in their new order"
        )
        await olga.ok("mob-reorder", queue=["ana", "olga"])
        kit.clock.now += 100
        await olga.ok("mob-reset")
        assert mob.since == kit.clock.now


async def test_the_chat_lives_in_the_mob_map(tmp_path: Path) -> None:
    async with service_kit(tmp_path) as kit:
        attach(kit)
        ana = await kit.join("ana")
        assert await ana.refused("mob-chat", text="   ") == "mob-chat needs 'text': the message"
        assert "at most 2000" in await ana.refused("mob-chat", text="x" * 2001)
        sent = await ana.ok("mob-chat", text=" hello ")
        (message,) = mob_map(kit)["chat"]
        assert message["id"] == sent["message"]
        assert message["text"] == "hello"
        assert message["user"]["id"] == "ana"


async def test_the_timer_hands_over_and_tells_the_room(tmp_path: Path) -> None:
    async with service_kit(tmp_path) as kit:
        mob = attach(kit)
        olga = await kit.join("olga", Role.OWNER)
        await kit.join("ana")
        olga.peer.speaks_pairbook = True
        await olga.ok("mob-settings", turn_seconds=60)
        await olga.ok("mob-mode", mode="mob")
        olga.events.clear()  # the mode switch's own handover (to olga)
        timer = asyncio.create_task(mob.run())
        try:
            kit.clock.now += 3600
            mob.wakeup.set()
            for _ in range(50):
                await settle(kit.room)
                olga.read()
                if any(e["event"] == "mob-handover" for e in olga.events):
                    break
            (handover,) = [e for e in olga.events if e["event"] == "mob-handover"]
            assert handover["previous"] == "olga"
            assert handover["driver"] == "ana"
            assert mob_map(kit)["driver"] == "ana"
        finally:
            timer.cancel()


async def test_the_summary_counts_who_changed_what(tmp_path: Path) -> None:
    async with service_kit(tmp_path) as kit:
        attach(kit)
        ana = await kit.join("ana")
        kit.room.leave(ana.peer)
        await settle(kit.room)
        summary = await ana.ok("mob-summary", subject="Tidy up")
        assert summary["message"].startswith("Tidy up")
        assert await ana.refused("mob-summary", subject=3) == (
            "mob-summary's 'subject' must be a commit subject"
        )


async def test_the_previous_drivers_keys_still_on_the_wire_at_a_handover_are_taken(
    tmp_path: Path,
) -> None:
    async with service_kit(tmp_path) as kit:
        mob = attach(kit)
        olga = await kit.join("olga", Role.OWNER)
        ana = await kit.join("ana")
        await olga.ok("mob-mode", mode="mob")
        assert mob.on_edit(member_of(ana)) is not None  # a navigator: never
        await olga.ok("mob-handover")
        assert mob.on_edit(member_of(ana)) is None  # the new driver
        assert mob.on_edit(member_of(olga)) is None  # keys sent before Olga's page knew
        kit.clock.now += IN_FLIGHT_SECONDS + 0.1
        assert "only the driver (Ana)" in str(mob.on_edit(member_of(olga)))
        # A quick second handover: only the driver who just left is in flight.
        await ana.ok("mob-handover")
        assert mob.on_edit(member_of(ana)) is None
        kit.clock.now += IN_FLIGHT_SECONDS + 0.1
        assert mob.on_edit(member_of(ana)) is not None


async def test_a_closed_mob_service_no_longer_observes_the_cells(tmp_path: Path) -> None:
    # The cells' one subscription lives in the document, out of the garbage collector's
    # sight: while an observer of it is left, the room and its document are never freed.
    async with service_kit(tmp_path) as kit:
        watched = len(kit.room.cells)
        mob = attach(kit)
        assert len(kit.room.cells) == watched + 1
        await mob.close()
        assert len(kit.room.cells) == watched


async def test_a_mob_map_logged_with_emails_is_written_again_without_them(tmp_path: Path) -> None:
    """Logs written before 6461f2c hold people's emails in the `mob` map, which every peer
    reads (viewers too): rewritten as the room opens, kept for the owner's summary."""
    async with service_kit(tmp_path) as kit:
        ana = {"id": "ana", "name": "Ana", "color": "#336699", "email": "ana@example.org"}

        def old_map(doc: Any) -> None:
            ymob = doc.get("mob", type=Map)
            ymob["mode"] = "mob"
            ymob["people"] = {"ana": ana}

        await kit.room.apply_server_edit(old_map, UserId("pairbook:server"), protected=True)
        mob = attach(kit)
        await mob.start()
        people = mob_map(kit)["people"]
        assert people == {"ana": {"id": "ana", "name": "Ana", "color": "#336699"}}
        assert "ana@example.org" not in str(kit.room.doc.get_update())
        assert mob.rotation.people["ana"].email == "ana@example.org"
