"""Rotation: who drives, who is next, and when the keyboard passes on.

A state machine over plain values with an injected clock (`Rotation(clock=time.time)`):
the room service calls it when people arrive, leave and send commands, and calls `tick()`
at `next_deadline()`; tests pass a fake clock instead of sleeping.

```
            set_mode(MOB) / join                 turn ends (auto_handover)
   IDLE ───────────────────────────► DRIVING ─────────────────────────► DRIVING (next person)
    ▲                                  │  ▲   turn ends (confirm first)
    │ set_mode(PAIR), nobody to drive  │  └──────────── OVERTIME ── hand_over ──┘
    └──────────────────────────────────┤
                                       │ the driver disconnects      back before the grace ends
                                       └──────────► GRACE ──────────────────────► DRIVING
                                                      │ grace ends: the next present person drives
```
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from pairbook.auth import User
from pairbook.mob.turn import (
    Handover,
    Mode,
    Reason,
    RotationSettings,
    TakeRequest,
    Tick,
    Turn,
    TurnState,
    optional_float,
)
from pairbook.schema import MobRecord

MAX_PEOPLE = 256
"""People a rotation lists at most (they are written into the shared document)."""


class Rotation:
    """The mob's driver, its queue of next drivers and the turn timer.

    The people it lists are bounded: past `max_people` the absent are forgotten, least
    recently seen first; when everyone listed is present, a newcomer watches unlisted."""

    def __init__(
        self,
        settings: RotationSettings | None = None,
        *,
        clock: Callable[[], float] = time.time,
        max_people: int = MAX_PEOPLE,
    ) -> None:
        self.settings = settings or RotationSettings()
        self.mode = Mode.PAIR
        self.state = TurnState.IDLE
        self.driver: str | None = None
        self.queue: list[str] = []  # next drivers, in order; they navigate meanwhile
        self.observers: set[str] = set()  # left the rotation: they watch
        self.people: dict[str, User] = {}
        self.can_drive: set[str] = set()
        self.present: set[str] = set()
        self.turns: list[Turn] = []
        self.turn_started: float | None = None
        self.turn_ends: float | None = None
        self.grace_ends: float | None = None
        self.take_request: TakeRequest | None = None
        self.break_from: float | None = None
        self.last_break: float | None = None
        self.max_people = max_people
        self._clock = clock

    # -- who is here -------------------------------------------------------------------

    def arrive(self, person: User, *, can_drive: bool) -> list[Handover]:
        """Someone's first connection arrived. Editors join the rotation unless they left it."""
        self.present.add(person.id)
        if person.id not in self.people and len(self.people) >= self.max_people:
            self._forget_absent(len(self.people) - self.max_people + 1)
            if len(self.people) >= self.max_people:
                return []  # everyone listed is here: this one watches, unlisted
        self.people.pop(person.id, None)
        self.people[person.id] = person  # the most recently seen last
        if can_drive:
            self.can_drive.add(person.id)
        else:
            self.can_drive.discard(person.id)
        if person.id == self.driver and self.state is TurnState.GRACE:
            self.state = TurnState.DRIVING  # a turn that ran out meanwhile ends at the next tick
            self.grace_ends = None
            return []
        if can_drive and person.id not in self.observers and person.id != self.driver:
            if person.id not in self.queue:
                self.queue.append(person.id)
            if self.mode is Mode.MOB and self.driver is None:
                return [self._give(person.id, Reason.START)]
        return []

    def depart(self, user: str) -> list[Handover]:
        """Someone's last connection closed. A driver keeps the keyboard for the grace period."""
        self.present.discard(user)
        if self.take_request is not None and self.take_request.user == user:
            self.take_request = None
        if user != self.driver or self.mode is not Mode.MOB:
            return []
        if self.settings.grace_seconds <= 0:
            return self._pass_on(Reason.DISCONNECT)
        self.state = TurnState.GRACE
        self.grace_ends = self._clock() + self.settings.grace_seconds
        return []

    # -- commands ----------------------------------------------------------------------

    def set_mode(self, mode: Mode, first: str | None = None) -> list[Handover]:
        """Switch the room's mode. Mob mode starts with `first` driving if they may."""
        if mode is self.mode:
            return []
        self.mode = mode
        if mode is Mode.PAIR:
            handover = self._end_turn()
            self.driver = None
            self.state = TurnState.IDLE
            self.take_request = None
            self.break_from = None
            if handover is None:
                return []
            return [Handover(handover, None, Reason.STOP, self._clock())]
        self.break_from = self._clock()
        candidates = [first] if first is not None else []
        candidates += self.queue
        for user in candidates:
            if self._eligible(user) and user in self.present:
                return [self._give(user, Reason.START)]
        return []

    def join(self, user: str) -> list[Handover]:
        """Join the rotation (at the end of the queue)."""
        if user not in self.can_drive:
            raise PermissionError("viewers watch; ask the owner for an editor link to drive")
        self.observers.discard(user)
        if user != self.driver and user not in self.queue:
            self.queue.append(user)
        if self.mode is Mode.MOB and self.driver is None and user in self.present:
            return [self._give(user, Reason.START)]
        return []

    def leave(self, user: str) -> list[Handover]:
        """Leave the rotation and watch; a driver who leaves hands over first."""
        self.observers.add(user)
        if user in self.queue:
            self.queue.remove(user)
        if self.take_request is not None and self.take_request.user == user:
            self.take_request = None
        if user == self.driver:
            return self._pass_on(Reason.LEAVE)
        return []

    def reorder(self, order: Iterable[str]) -> None:
        """Put the queue of next drivers in a new order (the same people)."""
        order = list(order)
        if sorted(order) != sorted(self.queue) or len(set(order)) != len(order):
            raise ValueError(
                f"reorder needs every person in the queue exactly once; the queue is {self.queue}"
            )
        self.queue = order

    def hand_over(self, reason: Reason = Reason.HANDOVER) -> list[Handover]:
        """The driver passes the keyboard to the next present person in the queue now."""
        self._require_mob()
        if self.driver is None:
            raise ValueError("nobody is driving; join the rotation to take the keyboard")
        if self._next_driver() is None:
            raise ValueError("nobody else in the rotation is here to take the keyboard")
        return self._pass_on(reason)

    def request_take(self, user: str) -> list[Handover]:
        """Ask for the keyboard. Immediate when nobody drives; otherwise the driver consents."""
        self._require_mob()
        if user not in self.can_drive:
            raise PermissionError("viewers watch; ask the owner for an editor link to drive")
        if user == self.driver:
            raise ValueError("you already have the keyboard")
        if self.driver is None or self.state is TurnState.GRACE:
            self.observers.discard(user)
            return self._give_to(user, Reason.TAKE)
        self.take_request = TakeRequest(user, self._clock())
        return []

    def consent(self, by: str, accept: bool) -> list[Handover]:
        """The driver answers a request for the keyboard."""
        request = self.take_request
        if request is None:
            raise ValueError("nobody asked for the keyboard")
        if by != self.driver:
            raise PermissionError("only the driver can give the keyboard away")
        self.take_request = None
        if not accept:
            return []
        self.observers.discard(request.user)
        return self._give_to(request.user, Reason.TAKE)

    def configure(self, **changes: Any) -> None:
        """Change settings; a running turn keeps its start and gets the new length."""
        self.settings = replace(self.settings, **changes)
        if self.turn_started is not None and self.state is TurnState.DRIVING:
            self.turn_ends = self.turn_started + self.settings.turn_seconds

    def snooze_break(self) -> None:
        """The break happened (or was declined): count the next interval from now."""
        self.last_break = None
        self.break_from = self._clock() if self.mode is Mode.MOB else None

    # -- the clock ---------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        """When `tick()` has something to do next, or None."""
        deadlines = []
        if self.state is TurnState.DRIVING and self.turn_ends is not None:
            deadlines.append(self.turn_ends)
        if self.state is TurnState.GRACE and self.grace_ends is not None:
            deadlines.append(self.grace_ends)
        if self.break_from is not None and self.settings.break_every > 0:
            deadlines.append(self.break_from + self.settings.break_every)
        return min(deadlines) if deadlines else None

    def tick(self) -> Tick:
        """Act on every deadline that has passed."""
        now = self._clock()
        handovers: list[Handover] = []
        overtime = False
        if self.state is TurnState.GRACE and self.grace_ends is not None and now >= self.grace_ends:
            handovers += self._pass_on(Reason.DISCONNECT)
        if self.state is TurnState.DRIVING and self.turn_ends is not None and now >= self.turn_ends:
            if self._next_driver() is None:
                self._restart_turn()  # nobody to hand to: another turn for the same driver
            elif self.settings.auto_handover:
                handovers += self._pass_on(Reason.TURN)
            else:
                self.state = TurnState.OVERTIME
                overtime = True
        due = False
        every = self.settings.break_every
        if self.break_from is not None and every > 0 and now >= self.break_from + every:
            self.break_from = now
            self.last_break = now
            due = True
        return Tick(tuple(handovers), due, overtime)

    def driven_seconds(self, since: float | None = None) -> dict[str, float]:
        """Seconds each person has driven (since a time), the running turn included."""
        stretches = [(t.user, t.started, t.ended) for t in self.turns]
        if self.driver is not None and self.turn_started is not None:
            stretches.append((self.driver, self.turn_started, self._clock()))
        totals: dict[str, float] = {}
        for user, started, ended in stretches:
            if since is not None:
                started = max(started, since)
            totals[user] = totals.get(user, 0.0) + max(0.0, ended - started)
        return totals

    def roles(self) -> dict[str, str]:
        """Everyone seen, by role, in mob mode: driver, navigator (in the queue), observer."""
        if self.mode is not Mode.MOB:
            return {}
        roles = dict.fromkeys(sorted(self.people), "observer")
        roles.update((uid, "navigator") for uid in self.queue if uid in roles)
        if self.driver in roles:
            roles[self.driver] = "driver"
        return roles

    # -- the map form ------------------------------------------------------------------

    def to_json(self) -> MobRecord:
        """The state as the values of pairbook's `mob` map, one key each."""
        return {
            "mode": self.mode.value,
            "state": self.state.value,
            "driver": self.driver,
            "queue": list(self.queue),
            "observers": sorted(self.observers),
            # Names and colors only: every peer reads the map, viewers too, and the log keeps
            # it; emails are the owner's (the summary's trailers, `pairbook commit`).
            "people": {uid: p.to_record() for uid, p in sorted(self.people.items())},
            "drivers_allowed": sorted(self.can_drive),
            "roles": self.roles(),
            "turn": {"started": self.turn_started, "ends": self.turn_ends},
            "grace_ends": self.grace_ends,
            "take_request": None
            if self.take_request is None
            else {"user": self.take_request.user, "at": self.take_request.at},
            "settings": self.settings.to_json(),
            "turns": [turn.to_json() for turn in self.turns],
            "break": {"from": self.break_from, "last": self.last_break},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], *, clock: Callable[[], float] = time.time) -> Rotation:
        """The rotation as stored; nobody is present yet (a driver starts their grace)."""
        rotation = cls(RotationSettings.from_json(dict(data.get("settings") or {})), clock=clock)
        rotation.mode = Mode(data.get("mode", "pair"))
        rotation.state = TurnState(data.get("state", "idle"))
        driver = data.get("driver")
        rotation.driver = str(driver) if driver else None
        rotation.queue = [str(u) for u in data.get("queue") or []]
        rotation.observers = {str(u) for u in data.get("observers") or []}
        people = data.get("people") or {}
        rotation.people = {str(k): User.from_json(v) for k, v in people.items()}
        rotation.can_drive = {str(u) for u in data.get("drivers_allowed") or []}
        turn = data.get("turn") or {}
        rotation.turn_started = optional_float(turn.get("started"))
        rotation.turn_ends = optional_float(turn.get("ends"))
        rotation.grace_ends = optional_float(data.get("grace_ends"))
        rotation.turns = [Turn(str(u), float(s), float(e)) for u, s, e in data.get("turns") or []]
        brk = data.get("break") or {}
        rotation.break_from = optional_float(brk.get("from"))
        rotation.last_break = optional_float(brk.get("last"))
        if rotation.mode is Mode.MOB and rotation.driver is not None:
            rotation.present.add(rotation.driver)
            rotation.depart(rotation.driver)  # nobody is connected to a room just loaded
        return rotation

    # -- inside ------------------------------------------------------------------------

    def _require_mob(self) -> None:
        if self.mode is not Mode.MOB:
            raise ValueError("the room is in pair mode: everyone with edit rights types freely")

    def _forget(self, user: str) -> None:
        self.people.pop(user, None)
        self.can_drive.discard(user)
        self.observers.discard(user)
        if user in self.queue:
            self.queue.remove(user)

    def _forget_absent(self, count: int) -> None:
        """Forget up to `count` absent people (not the driver), least recently seen first."""
        for user in list(self.people):
            if count <= 0:
                return
            if user not in self.present and user != self.driver:
                self._forget(user)
                count -= 1

    def _eligible(self, user: str) -> bool:
        return user in self.can_drive and user not in self.observers

    def _next_driver(self) -> str | None:
        return next((u for u in self.queue if u in self.present and self._eligible(u)), None)

    def _pass_on(self, reason: Reason) -> list[Handover]:
        nxt = self._next_driver()
        if nxt is None:
            previous = self._end_turn()
            self.driver = None
            self.state = TurnState.IDLE
            self.grace_ends = None
            return [Handover(previous, None, reason, self._clock())]
        return self._give_to(nxt, reason)

    def _give_to(self, user: str, reason: Reason) -> list[Handover]:
        """`user` drives now; the previous driver goes to the end of the queue."""
        previous = self._end_turn()
        if previous is not None and self._eligible(previous) and previous not in self.queue:
            self.queue.append(previous)
        return [self._give(user, reason, previous)]

    def _give(self, user: str, reason: Reason, previous: str | None = None) -> Handover:
        if user in self.queue:
            self.queue.remove(user)
        self.driver = user
        self.take_request = None
        self.grace_ends = None
        self._restart_turn()
        return Handover(previous, user, reason, self.turn_started or self._clock())

    def _restart_turn(self) -> None:
        now = self._clock()
        running = self.state in (TurnState.DRIVING, TurnState.OVERTIME)
        if self.driver is not None and self.turn_started is not None and running:
            self.turns.append(Turn(self.driver, self.turn_started, now))
        self.state = TurnState.DRIVING
        self.turn_started = now
        self.turn_ends = now + self.settings.turn_seconds

    def _end_turn(self) -> str | None:
        """Close the running turn; returns who was driving."""
        previous = self.driver
        if previous is not None and self.turn_started is not None:
            ended = self._clock()
            if self.state is TurnState.GRACE and self.grace_ends is not None:
                # A vanished driver drove until they left, not through the grace.
                ended = min(ended, self.grace_ends - self.settings.grace_seconds)
            self.turns.append(Turn(previous, self.turn_started, max(self.turn_started, ended)))
        self.driver = None
        self.turn_started = None
        self.turn_ends = None
        return previous
