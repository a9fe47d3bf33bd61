"""The rotation state machine, driven by a fake clock."""

from __future__ import annotations

from typing import Any

import pytest

from pairbook.auth import User, color_for
from pairbook.mob import Mode, Reason, Rotation, RotationSettings, TurnState
from pairbook.types import UserId


def person(user_id: str, name: str, email: str = "") -> User:
    """Someone in the mob: a user as their token grants them."""
    return User(UserId(user_id), name, color_for(user_id), email)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


ANA, BOB, CY, VI = (
    person(u, u.title(), email=f"{u}@example.org") for u in ("ana", "bob", "cy", "vi")
)


def mob_of_three(**settings: object) -> tuple[Rotation, FakeClock]:
    clock = FakeClock()
    rotation = Rotation(RotationSettings(**settings), clock=clock)  # type: ignore[arg-type]
    for person in (ANA, BOB, CY):
        rotation.arrive(person, can_drive=True)
    rotation.arrive(VI, can_drive=False)
    rotation.set_mode(Mode.MOB, first="ana")
    return rotation, clock


def test_mob_mode_starts_with_the_person_who_switched_and_queues_the_other_editors() -> None:
    rotation, _ = mob_of_three()
    assert rotation.driver == "ana"
    assert rotation.queue == ["bob", "cy"]
    assert rotation.state is TurnState.DRIVING
    assert "vi" not in rotation.queue


def test_the_turn_passes_to_the_next_person_on_schedule_and_the_driver_queues_last() -> None:
    rotation, clock = mob_of_three(turn_seconds=60)
    assert rotation.next_deadline() == clock.now + 60
    clock.advance(59.9)
    assert rotation.tick().handovers == ()
    assert rotation.driver == "ana"
    clock.advance(0.1)
    (handover,) = rotation.tick().handovers
    assert (handover.previous, handover.driver, handover.reason) == ("ana", "bob", Reason.TURN)
    assert rotation.queue == ["cy", "ana"]
    clock.advance(60)
    rotation.tick()
    assert rotation.driver == "cy"
    assert rotation.driven_seconds() == {"ana": 60.0, "bob": 60.0, "cy": 0.0}


def test_without_auto_handover_the_turn_waits_for_the_driver_to_confirm() -> None:
    rotation, clock = mob_of_three(turn_seconds=60, auto_handover=False)
    clock.advance(61)
    tick = rotation.tick()
    assert tick.overtime
    assert tick.handovers == ()
    assert (rotation.driver, rotation.state) == ("ana", TurnState.OVERTIME)
    (handover,) = rotation.hand_over()
    assert (handover.driver, handover.reason) == ("bob", Reason.HANDOVER)


def test_a_driver_who_disconnects_keeps_the_keyboard_for_the_grace_period() -> None:
    rotation, clock = mob_of_three(turn_seconds=600, grace_seconds=30)
    clock.advance(10)
    rotation.depart("ana")
    assert rotation.state is TurnState.GRACE
    clock.advance(20)
    rotation.arrive(ANA, can_drive=True)  # back in time
    assert (rotation.driver, rotation.state) == ("ana", TurnState.DRIVING)
    rotation.depart("ana")
    clock.advance(30)
    (handover,) = rotation.tick().handovers
    assert (handover.previous, handover.driver, handover.reason) == (
        "ana",
        "bob",
        Reason.DISCONNECT,
    )
    # She drove until she left, not through the grace period.
    assert rotation.driven_seconds()["ana"] == pytest.approx(30.0)


def test_absent_people_are_skipped_and_nobody_left_means_nobody_drives() -> None:
    rotation, clock = mob_of_three(turn_seconds=60, grace_seconds=0)
    rotation.depart("bob")
    clock.advance(60)
    assert rotation.tick().handovers[0].driver == "cy"
    rotation.depart("ana")
    rotation.depart("cy")
    assert (rotation.driver, rotation.state) == (None, TurnState.IDLE)
    (handover,) = rotation.arrive(BOB, can_drive=True)
    assert (handover.driver, handover.reason) == ("bob", Reason.START)


def test_alone_at_the_end_of_a_turn_the_driver_gets_another_turn() -> None:
    clock = FakeClock()
    rotation = Rotation(RotationSettings(turn_seconds=60), clock=clock)
    rotation.arrive(ANA, can_drive=True)
    rotation.set_mode(Mode.MOB, first="ana")
    clock.advance(60)
    assert rotation.tick().handovers == ()
    assert rotation.driver == "ana"
    assert rotation.turn_ends == clock.now + 60


def test_taking_the_keyboard_needs_the_drivers_consent() -> None:
    rotation, _ = mob_of_three()
    assert rotation.request_take("cy") == []
    assert rotation.driver == "ana"
    with pytest.raises(PermissionError):
        rotation.consent("bob", True)
    rotation.consent("ana", False)
    assert rotation.take_request is None
    assert rotation.driver == "ana"
    rotation.request_take("cy")
    (handover,) = rotation.consent("ana", True)
    assert (handover.driver, handover.reason) == ("cy", Reason.TAKE)
    assert rotation.queue == ["bob", "ana"]


def test_viewers_cannot_join_or_take_and_pair_mode_has_no_driver() -> None:
    rotation, _ = mob_of_three()
    with pytest.raises(PermissionError):
        rotation.join("vi")
    with pytest.raises(PermissionError):
        rotation.request_take("vi")
    (stop,) = rotation.set_mode(Mode.PAIR)
    assert (stop.previous, stop.driver, stop.reason) == ("ana", None, Reason.STOP)
    with pytest.raises(ValueError, match="pair mode"):
        rotation.request_take("bob")


def test_leaving_the_rotation_hands_over_and_the_owner_can_reorder() -> None:
    rotation, _ = mob_of_three()
    rotation.reorder(["cy", "bob"])
    with pytest.raises(ValueError, match="exactly once"):
        rotation.reorder(["cy"])
    (handover,) = rotation.leave("ana")
    assert (handover.driver, handover.reason) == ("cy", Reason.LEAVE)
    assert rotation.queue == ["bob"]
    assert "ana" in rotation.observers
    rotation.join("ana")
    assert rotation.queue == ["bob", "ana"]


def test_break_reminders_come_every_interval_of_mobbing() -> None:
    rotation, clock = mob_of_three(turn_seconds=2000, break_every=1500)
    assert rotation.next_deadline() == clock.now + 1500
    clock.advance(1499)
    assert not rotation.tick().break_due
    clock.advance(1)
    assert rotation.tick().break_due
    assert rotation.last_break == clock.now
    assert rotation.next_deadline() == clock.now + 500  # the turn's end comes first now
    clock.advance(1500)
    assert rotation.tick().break_due


def test_the_state_survives_its_map_form_and_a_stored_driver_starts_their_grace() -> None:
    rotation, clock = mob_of_three(turn_seconds=60, grace_seconds=5)
    clock.advance(60)
    rotation.tick()
    stored: dict[str, Any] = dict(rotation.to_json())
    again = Rotation.from_json(stored, clock=clock)
    assert again.to_json()["queue"] == stored["queue"]
    assert again.driver == "bob"
    assert again.state is TurnState.GRACE
    # Every peer reads the map: names and colors, no emails (the owner's summary has them
    # from the people who joined this process).
    assert stored["people"]["ana"] == {"id": "ana", "name": "Ana", "color": ANA.color}
    assert again.people["ana"].email == ""
    assert rotation.people["ana"].email == "ana@example.org"
    again.arrive(CY, can_drive=True)
    clock.advance(5)
    assert again.tick().handovers[0].driver == "cy"


def test_the_people_listed_are_bounded_however_many_arrive() -> None:
    rotation = Rotation(clock=FakeClock(), max_people=3)
    for index in range(50):
        someone = person(f"u{index}", f"U{index}")
        rotation.arrive(someone, can_drive=True)
        rotation.depart(someone.id)
    assert len(rotation.people) == 3
    assert list(rotation.people) == ["u47", "u48", "u49"]  # the most recently seen
    for index in range(3):
        rotation.arrive(person(f"p{index}", f"P{index}"), can_drive=True)
    rotation.arrive(person("late", "Late"), can_drive=True)  # everyone listed is here
    assert set(rotation.people) == {"p0", "p1", "p2"}
    assert "late" in rotation.present
    assert "late" not in rotation.queue
