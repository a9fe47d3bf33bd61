"""MobService: a room's mob-programming service — modes, the rotation and its timer, the
driver gate on edits and runs, who changed which cells, the chat and the session summary.
Its commands are the rows of `pairbook.mob.commands`.

Its state lives in pairbook's own `mob` map (written by the server only), so every peer sees
it, the log keeps it (replay, `pairbook commit`) and a restarted server picks it up again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from pycrdt import Array, Doc, Map

from pairbook.auth import Role, User
from pairbook.flag import Flag
from pairbook.mob.commands import TABLE
from pairbook.mob.rotation import Rotation
from pairbook.mob.summary import Summary, cells_ran, summarize
from pairbook.mob.turn import Handover, Mode
from pairbook.notebook.outputs import cell_ids
from pairbook.schema import CHAT_KEY, EXECUTIONS_MAP, MOB_MAP
from pairbook.service import CellsChange, Command, Member, RoomHandle
from pairbook.types import SERVER_USER

log = logging.getLogger("pairbook.mob")

CONTROLS = {
    "interrupt": "{who}, the owner or whoever started the run can interrupt it",
    "restart": "{who} or the owner can restart the kernel",
    "shutdown": "{who} or the owner can shut the kernel down",
}
"""What each kernel-control command does, for its refusal in mob mode."""

IN_FLIGHT_SECONDS = 1.5
"""How long after a handover the previous driver's edits are still taken: keystrokes their
browser sent before it learned that the keyboard had passed on. Their editors lock as soon as
it does; what they type after that is held in their page and offered to the new driver."""


class MobService:
    """One room's mob: owns the rotation, answers the mob commands, gates edits and runs."""

    def __init__(
        self,
        room: RoomHandle,
        *,
        clock: Callable[[], float] = time.time,
        profiles: Callable[[], Mapping[str, User]] = dict,
    ) -> None:
        self.room = room
        self._clock = clock
        # Everyone's profile by user id (the token file): the `mob` map names people without
        # their emails, so after a restart the rotation knows only who came back since.
        self._profiles = profiles
        state = room.doc.get(MOB_MAP, type=Map).to_py() or {}
        self.rotation = Rotation.from_json(state, clock=clock) if state else Rotation(clock=clock)
        session = state.get("session") or {}
        self.since: float = float(session.get("started") or clock())
        changed = state.get("changed") or {}
        self.changed: dict[str, set[str]] = {str(u): set(c) for u, c in changed.items()}
        self._connections: dict[str, int] = {}
        self.handovers: list[Handover] = []
        self.wakeup = Flag()  # also `wanted`: the room starts `run` once it is first set
        # The map is written once the room uses a mob command: a room only ever paired in
        # gets no server writes from here (its document stays exactly the notebook's).
        self.active = bool(state)
        self._dirty = False
        # Until the room closes: the cells' subscription lives in the document, where the
        # garbage collector cannot see it, so an observer never forgotten kept the room (and
        # its document) in memory for good after it unloaded.
        self._stop_observing = room.observe_cells(self._on_cells)
        self.commands = TABLE.bind(self)
        if self.rotation.next_deadline() is not None:
            self.wakeup.set()  # a turn or a break under way: the timer runs from the start

    @property
    def wanted(self) -> Flag:
        return self.wakeup

    def clock(self) -> float:
        return self._clock()

    # -- the driver gate ---------------------------------------------------------------

    def on_edit(self, member: Member) -> str | None:
        """Why this member may not edit now (mob mode and not the driver), or None. The
        previous driver's edits still on the wire at a handover are taken."""
        refusal = self.refusal_for(member.user.id)
        if refusal is not None and self._in_flight(member.user.id):
            return None
        return refusal

    def _in_flight(self, user_id: str) -> bool:
        """Whether this person's turn ended a moment ago (their keys may still be arriving)."""
        turns = self.rotation.turns
        if self.rotation.mode is not Mode.MOB or not turns or turns[-1].user != user_id:
            return False
        return self._clock() - turns[-1].ended <= IN_FLIGHT_SECONDS

    def refusal_for(self, user_id: str) -> str | None:
        """Why this person may not edit now (mob mode and not the driver), or None; for
        edits that do not come through a connection (the HTTP restore)."""
        rotation = self.rotation
        if rotation.mode is not Mode.MOB or user_id == rotation.driver:
            return None
        if rotation.driver is None:
            return "mob mode: nobody is driving; join the rotation to take the keyboard"
        name = self.name_of(rotation.driver)
        return (
            f"mob mode: only the driver ({name}) edits the notebook; "
            "ask for the keyboard or wait for your turn"
        )

    def driver_gate(self, member: Member, command: Command[Any]) -> str | None:
        """In mob mode driver-only commands (runs, restores) are the driver's; stopping the
        kernel or a run (`control`) is the driver's or the owner's (the command table waives
        the refusal for the person whose run the kernel executes: `Command.own`)."""
        # A run sent as the keyboard passed on is taken (in flight); stopping the kernel is
        # not typing: no grace for it.
        refusal = self.refusal_for(member.user.id) if command.control else self.on_edit(member)
        if refusal is None or not member.role.can_edit:
            return None
        driver = self.rotation.driver
        who = f"the driver ({self.name_of(driver)})" if driver else "the driver (nobody now)"
        if command.control:
            if member.role is Role.OWNER:
                return None
            return "mob mode: only " + CONTROLS[command.name].format(who=who)
        if command.name == "restore":
            return f"mob mode: only {who} restores earlier versions"
        return f"mob mode: only {who} runs cells"

    # -- people and edits --------------------------------------------------------------

    def on_join(self, member: Member) -> None:
        self._count(member, 1)

    def on_leave(self, member: Member) -> None:
        self._count(member, -1)

    def _count(self, member: Member, step: int) -> None:
        user = member.user
        count = self._connections.get(user.id, 0) + step
        if count > 0:
            self._connections[user.id] = count
        else:
            self._connections.pop(user.id, None)
        if step > 0 and count == 1:
            self.handovers += self.rotation.arrive(user, can_drive=member.role.can_edit)
        elif step < 0 and count <= 0:
            self.handovers += self.rotation.depart(user.id)
        self.mark_changed()

    def _on_cells(self, change: CellsChange) -> None:
        """Who changed which cell: called while a peer's update is applied."""
        author = self.room.author
        if author is None:
            return
        touched = change.touched
        mine = self.changed.setdefault(author, set())
        if not touched <= mine:
            mine |= touched
            self.mark_changed()

    def mark_changed(self) -> None:
        self._dirty = True
        if self.active or self.rotation.next_deadline() is not None:
            # Else the timer has nothing to do (a room only ever paired in): not woken for
            # every edit, and in most rooms never started.
            self.wakeup.set()

    # -- the timer ---------------------------------------------------------------------

    async def start(self) -> None:
        """Nothing to do before anyone joins (the timer runs in `run`), unless the `mob`
        map was logged with people's emails (before 6461f2c): it is written again without
        them now, before anyone reads it. The rotation keeps them for the owner's summary."""
        people = self.room.doc.get(MOB_MAP, type=Map).get("people")
        if isinstance(people, dict) and any(
            isinstance(person, dict) and "email" in person for person in people.values()
        ):
            await self.publish()

    async def close(self) -> None:
        """Stop observing the cells (the timer stops with the room's task group)."""
        self._stop_observing()

    async def run(self) -> None:
        """Keep the rotation on time and the `mob` map current, forever; owned by the
        room's task group, so a browser closing does not stop a turn."""
        while True:
            deadline = self.rotation.next_deadline()
            timeout = None if deadline is None else max(0.0, deadline - self._clock())
            # Not wait_for: in Python 3.11 it waits in a task of its own, one more task per
            # room for as long as the room is open.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self.wakeup.wait()
            self.wakeup.clear()
            try:
                tick = self.rotation.tick()
                self.handovers += tick.handovers
                if tick.handovers or tick.overtime or tick.break_due:
                    self._dirty = True
                if self.active and (self._dirty or self.handovers):
                    await self.publish()
                if tick.break_due:
                    self.room.notify({"event": "mob-break", "at": self._clock()})
            except Exception:
                log.exception("mob upkeep failed", extra={"room": self.room.id})

    async def publish(self) -> None:
        """Write what changed into the `mob` map, then tell pairbook clients of handovers."""
        self._dirty = False
        handovers, self.handovers = self.handovers, []
        state = self.rotation.to_json()
        state["session"] = {"started": self.since}
        state["changed"] = {uid: sorted(cells) for uid, cells in sorted(self.changed.items())}

        def write(doc: Doc[Any]) -> None:
            ymob = doc.get(MOB_MAP, type=Map)
            for key, value in state.items():
                if key not in ymob or ymob.get(key) != value:
                    ymob[key] = value
            if CHAT_KEY not in ymob:
                ymob[CHAT_KEY] = Array()

        await self.room.apply_server_edit(write, SERVER_USER, protected=True)
        for handover in handovers:
            self.room.notify(
                {
                    "event": "mob-handover",
                    "previous": handover.previous,
                    "driver": handover.driver,
                    "reason": handover.reason.value,
                    "at": handover.at,
                }
            )

    def summary(self) -> Summary:
        """The session so far: who was here, drove, changed and ran what. People are as
        their profile says (name and email, as `pairbook commit` has them), else as the
        rotation saw them."""
        executions = self.room.doc.get(EXECUTIONS_MAP, type=Map).to_py() or {}
        driven = self.rotation.driven_seconds(self.since)
        ran = cells_ran(executions, self.since)
        seen, profiles = self.rotation.people, self._profiles()
        people = {
            uid: profiles.get(uid) or seen.get(uid) or User.of_id(uid)
            for uid in set(seen) | set(driven) | set(self.changed) | set(ran)
        }
        return summarize(
            people,
            driven,
            self.changed,
            ran,
            since=self.since,
            until=self._clock(),
            cell_order=cell_ids(self.room.doc),
        )

    def name_of(self, user: str | None) -> str:
        person = self.rotation.people.get(user or "")
        return person.name if person is not None else str(user)
