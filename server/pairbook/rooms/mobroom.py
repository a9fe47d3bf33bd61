"""MobRoom: a room's mob-programming service — modes, the rotation and its timer, the driver
gate on edits and runs, who changed which cells, the chat and the session summary.

Its state lives in pairbook's own `mob` map (written by the server only), so every peer sees
it, the log keeps it (replay, `pairbook commit`) and a restarted server picks it up again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from pycrdt import Array, Doc, Map

from pairbook.auth import Role
from pairbook.mob import (
    Handover,
    Mode,
    Person,
    Rotation,
    Summary,
    cells_ran,
    commit_message,
    summarize,
)
from pairbook.mob.session_log import touched_cells
from pairbook.notebook.outputs import cell_ids
from pairbook.rooms.peer import Peer
from pairbook.rooms.room import Room
from pairbook.schema import MOB_MAP
from pairbook.types import SERVER_USER

log = logging.getLogger("pairbook.mob")

CHAT_KEY = "chat"
CHAT_LIMIT = 2000

COMMANDS = (
    "mob-clock", "mob-mode", "mob-join", "mob-leave", "mob-reorder", "mob-settings",
    "mob-handover", "mob-take", "mob-consent", "mob-chat", "mob-summary", "mob-break",
    "mob-reset",
)  # fmt: skip

DRIVER_COMMANDS = frozenset(
    {"run", "run-all", "run-above", "run-below", "restart", "shutdown", "set-kernel", "restore"}
)
"""Commands only the driver may send in mob mode (interrupt and cancel stay open): a restore
rewrites the notebook, so it is the driver's like any other edit."""

SETTINGS_TYPES: dict[str, type] = {
    "turn_seconds": float,
    "auto_handover": bool,
    "break_every": float,
    "grace_seconds": float,
}


class MobRoom:
    """One room's mob: owns the rotation, answers the mob commands, gates edits and runs."""

    def __init__(self, room: Room, *, clock: Callable[[], float] = time.time) -> None:
        self.room = room
        self._clock = clock
        state = room.doc.get(MOB_MAP, type=Map).to_py() or {}
        self.rotation = Rotation.from_json(state, clock=clock) if state else Rotation(clock=clock)
        session = state.get("session") or {}
        self.since: float = float(session.get("started") or clock())
        changed = state.get("changed") or {}
        self.changed: dict[str, set[str]] = {str(u): set(c) for u, c in changed.items()}
        self._connections: dict[str, int] = {}
        self._handovers: list[Handover] = []
        self._wakeup = asyncio.Event()
        # The map is written once the room uses a mob command: a room only ever paired in
        # gets no server writes from here (its document stays exactly the notebook's).
        self._active = bool(state)
        self._dirty = False
        self._ycells = room.doc.get("cells", type=Array)
        self._ycells.observe_deep(self._on_cells)
        room.edit_gate = self.refusal
        room.member_listeners.append(self._on_member)

    # -- the driver gate ---------------------------------------------------------------

    def refusal(self, peer: Peer) -> str | None:
        """Why this peer may not edit now (mob mode and not the driver), or None."""
        return self.refusal_for(peer.user.id)

    def refusal_for(self, user_id: str) -> str | None:
        """Why this person may not edit now (mob mode and not the driver), or None; for
        edits that do not come through a connection (the HTTP restore)."""
        rotation = self.rotation
        if rotation.mode is not Mode.MOB or user_id == rotation.driver:
            return None
        if rotation.driver is None:
            return "mob mode: nobody is driving; join the rotation to take the keyboard"
        name = self._name(rotation.driver)
        return (
            f"mob mode: only the driver ({name}) edits the notebook; "
            "ask for the keyboard or wait for your turn"
        )

    def check_command(self, peer: Peer, name: str) -> None:
        """Kernel commands that change what runs are the driver's in mob mode."""
        if name in DRIVER_COMMANDS and self.refusal(peer) is not None and peer.role.can_edit:
            driver = self.rotation.driver
            who = f"the driver ({self._name(driver)})" if driver else "the driver (nobody now)"
            if name == "restore":
                raise PermissionError(f"mob mode: only {who} restores earlier versions")
            raise PermissionError(f"mob mode: only {who} runs cells and restarts the kernel")

    # -- people and edits --------------------------------------------------------------

    def _on_member(self, peer: Peer, joined: bool) -> None:
        user = peer.user
        count = self._connections.get(user.id, 0) + (1 if joined else -1)
        if count > 0:
            self._connections[user.id] = count
        else:
            self._connections.pop(user.id, None)
        if joined and count == 1:
            person = Person(user.id, user.name, user.colour, user.email)
            self._handovers += self.rotation.arrive(person, can_drive=peer.role.can_edit)
        elif not joined and count <= 0:
            self._handovers += self.rotation.depart(user.id)
        self._changed()

    def _on_cells(self, events: list[Any]) -> None:
        """Who changed which cell: called while a peer's update is applied."""
        author = self.room.author
        if author is None:
            return
        touched = touched_cells(self._ycells, events)
        mine = self.changed.setdefault(author, set())
        if not touched <= mine:
            mine |= touched
            self._changed()

    def _changed(self) -> None:
        self._dirty = True
        self._wakeup.set()

    # -- the timer ---------------------------------------------------------------------

    async def run(self) -> None:
        """Keep the rotation on time and the `mob` map current, forever; owned by the
        room's task group, so a browser closing does not stop a turn."""
        while True:
            deadline = self.rotation.next_deadline()
            timeout = None if deadline is None else max(0.0, deadline - self._clock())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout)
            self._wakeup.clear()
            try:
                tick = self.rotation.tick()
                self._handovers += tick.handovers
                if tick.handovers or tick.overtime or tick.break_due:
                    self._dirty = True
                if self._active and (self._dirty or self._handovers):
                    await self.publish()
                if tick.break_due:
                    self.room.notify({"event": "mob-break", "at": self._clock()})
            except Exception:
                log.exception("mob upkeep failed", extra={"room": self.room.id})

    async def publish(self) -> None:
        """Write what changed into the `mob` map, then tell pairbook clients of handovers."""
        self._dirty = False
        handovers, self._handovers = self._handovers, []
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

    # -- commands ----------------------------------------------------------------------

    async def command(self, peer: Peer, body: dict[str, Any]) -> dict[str, Any]:
        """Handle a mob command; the effect is in the `mob` map when the reply goes out."""
        name = body.get("command")
        rotation, me = self.rotation, peer.user.id
        result: dict[str, Any] = {}
        if name == "mob-clock":
            return {"now": self._clock()}
        if name == "mob-summary":
            summary = self.summary()
            subject = str(body.get("subject") or f"Update {self.room.id}")
            return {**summary.to_json(), "message": commit_message(summary, subject)}
        self._active = True
        if name == "mob-chat":
            await self.publish()  # the chat lives in the map
            return await self._chat(peer, body.get("text"))
        if name == "mob-mode":
            self._owner_only(peer, "switch between pair and mob mode")
            if body.get("mode") not in ("pair", "mob"):
                raise ValueError("mob-mode needs 'mode': 'pair' or 'mob'")
            mode = Mode(str(body.get("mode")))
            self._handovers += rotation.set_mode(mode, first=me if peer.role.can_edit else None)
        elif name == "mob-join":
            self._handovers += rotation.join(me)
        elif name == "mob-leave":
            self._handovers += rotation.leave(me)
        elif name == "mob-reorder":
            self._owner_only(peer, "reorder the queue")
            order = body.get("queue")
            if not isinstance(order, list):
                raise ValueError("mob-reorder needs 'queue': the user ids in their new order")
            rotation.reorder(str(u) for u in order)
        elif name == "mob-settings":
            self._owner_only(peer, "change the rotation settings")
            rotation.configure(**_settings_from(body))
        elif name == "mob-handover":
            if me != rotation.driver and peer.role is not Role.OWNER:
                raise PermissionError("only the driver (or the owner) can hand the keyboard over")
            self._handovers += rotation.hand_over()
        elif name == "mob-take":
            self._handovers += rotation.request_take(me)
            result["pending"] = rotation.driver != me
        elif name == "mob-consent":
            self._handovers += rotation.consent(me, bool(body.get("accept")))
        elif name == "mob-break":
            if me != rotation.driver and peer.role is not Role.OWNER:
                raise PermissionError("only the driver (or the owner) can end the break reminder")
            rotation.snooze_break()
        elif name == "mob-reset":
            self._owner_only(peer, "start a new session")
            self.since = self._clock()  # turns before it stay in the map (replay) but not count
            self.changed.clear()
        else:
            raise LookupError(f"unknown command {name!r}")
        await self.publish()
        self._wakeup.set()  # the deadlines may have moved
        return {**result, "mode": rotation.mode.value, "driver": rotation.driver,
                "queue": list(rotation.queue)}  # fmt: skip

    async def _chat(self, peer: Peer, text: Any) -> dict[str, Any]:
        if not isinstance(text, str) or not text.strip():
            raise ValueError("mob-chat needs 'text': the message")
        if len(text) > CHAT_LIMIT:
            raise ValueError(f"a chat message holds at most {CHAT_LIMIT} characters")
        user = peer.user
        message = {
            "id": uuid.uuid4().hex[:12],
            "user": {"id": user.id, "name": user.name, "color": user.colour},
            "text": text.strip(),
            "at": self._clock(),
        }

        def write(doc: Doc[Any]) -> None:
            ymob = doc.get(MOB_MAP, type=Map)
            ychat = ymob.get(CHAT_KEY)
            if not isinstance(ychat, Array):
                ymob[CHAT_KEY] = Array()
                ychat = ymob[CHAT_KEY]
            ychat.append(message)

        await self.room.apply_server_edit(write, SERVER_USER, protected=True)
        return {"message": message["id"]}

    def summary(self) -> Summary:
        """The session so far: who was here, drove, changed and ran what."""
        executions = self.room.doc.get("executions", type=Map).to_py() or {}
        return summarize(
            self.rotation.people,
            self.rotation.driven_seconds(self.since),
            self.changed,
            cells_ran(executions, self.since),
            since=self.since,
            until=self._clock(),
            cell_order=cell_ids(self.room.doc),
        )

    def _owner_only(self, peer: Peer, what: str) -> None:
        if peer.role is not Role.OWNER:
            raise PermissionError(f"only the owner can {what}")

    def _name(self, user: str | None) -> str:
        person = self.rotation.people.get(user or "")
        return person.name if person is not None else str(user)


def _settings_from(body: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for key, kind in SETTINGS_TYPES.items():
        if key in body:
            value = body[key]
            if kind is bool:
                if not isinstance(value, bool):
                    raise ValueError(f"{key} must be true or false")
                changes[key] = value
            else:
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise ValueError(f"{key} must be a number of seconds")
                changes[key] = float(value)
    if not changes:
        raise ValueError(f"mob-settings needs one of {', '.join(SETTINGS_TYPES)}")
    return changes
