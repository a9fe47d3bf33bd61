"""The values of a mob rotation: modes and turn states, people, settings, turns and handovers."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Mode(StrEnum):
    """How a room is worked in."""

    PAIR = "pair"  # everyone with edit rights types freely
    MOB = "mob"  # one driver types and runs cells; navigators point and talk


class TurnState(StrEnum):
    IDLE = "idle"  # pair mode, or nobody to drive
    DRIVING = "driving"  # a driver has the keyboard; the turn is counting down
    OVERTIME = "overtime"  # the turn is over; waiting for the driver to hand over
    GRACE = "grace"  # the driver disconnected; the keyboard passes on when the grace ends


class Reason(StrEnum):
    """Why the keyboard changed hands."""

    START = "start"  # mob mode began, or someone joined a rotation without a driver
    TURN = "turn"  # the turn ended
    HANDOVER = "handover"  # the driver (or the owner) handed over now
    TAKE = "take"  # someone took the keyboard, with the driver's consent
    DISCONNECT = "disconnect"  # the driver was gone for the grace period
    LEAVE = "leave"  # the driver left the rotation
    STOP = "stop"  # the room went back to pair mode


@dataclass(frozen=True, slots=True)
class RotationSettings:
    """A room's rotation knobs (the owner changes them)."""

    turn_seconds: float = 600.0
    auto_handover: bool = True  # False: at the end of a turn the driver confirms the handover
    break_every: float = 3600.0  # seconds of mobbing between break reminders; 0 turns them off
    grace_seconds: float = 30.0  # how long a disconnected driver keeps the keyboard
    viewer_chat: bool = False  # viewers may post to the chat (they always read it)

    def __post_init__(self) -> None:
        if not self.turn_seconds >= 1:
            raise ValueError("turn_seconds must be at least 1 second")
        if not self.grace_seconds >= 0:
            raise ValueError("grace_seconds must be 0 or more")
        if not self.break_every >= 0:
            raise ValueError("break_every must be 0 (no reminders) or more seconds")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RotationSettings:
        known = {k: data[k] for k in ("turn_seconds", "break_every", "grace_seconds") if k in data}
        values: dict[str, Any] = {k: float(v) for k, v in known.items()}
        for flag in ("auto_handover", "viewer_chat"):
            if flag in data:
                values[flag] = bool(data[flag])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Handover:
    """The keyboard changed hands."""

    previous: str | None
    driver: str | None
    reason: Reason
    at: float


@dataclass(frozen=True, slots=True)
class Turn:
    """A finished stretch at the keyboard."""

    user: str
    started: float
    ended: float

    def to_json(self) -> list[Any]:
        return [self.user, self.started, self.ended]


@dataclass(frozen=True, slots=True)
class Tick:
    """What happened when a deadline passed."""

    handovers: tuple[Handover, ...] = ()
    break_due: bool = False
    overtime: bool = False


@dataclass(slots=True)
class TakeRequest:
    """Someone asked the driver for the keyboard."""

    user: str
    at: float


def optional_float(value: Any) -> float | None:
    """A stored number, or None."""
    return None if value is None else float(value)
