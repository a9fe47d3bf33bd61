"""RoomSignals: what the processes holding a room tell each other beside its document and
presence — who is connected where, and events for members.

Each process announces its members of the room (every one of them, each time, so a lost
announcement is made good by the next) just after some join or leave (`SETTLE`: a burst of
them, everyone reconnecting at once, makes one announcement), every `RENEW` seconds,
and in answer to a process whose room just opened (`hello`). The room's owner thus knows
every member on every process, and its services — the mob rotation, hand over and take,
the driver gate, input prompts — treat them as their own members. The members of a process
whose announcements stop (it died) leave after `OUTDATED_AFTER` seconds, as y-protocols
expires awareness. An event a service sends one member on another process, or everyone,
travels as a signal too, and that member's process hands it to its peer.

```
{"t": "members", "from": <origin>, "members": [<member>, …], "hello": <bool>}
{"t": "event", "to": "<origin>/<connection key>" | null (everyone), "event": {…}, "after": <seq>}
```
An event goes out after every update its process relayed before it (`after`: the newest
seq it published): the receiving process hands it on only once its document holds the log
up to that seq. The entries travel in order on the room's stream, but an update given up on
(a marker: the others read it from the log) or missed while the broker was away comes in by
the log, later than the event: a page told "the kernel took your change" (`widget-echo`)
before the change's echo reached it showed the old value again.
A member is `pairbook.cluster.envelope`'s (checked field by field on the way in); its key
is qualified with its process (`member_key`), as a command forwarded to the owner is; a
list whose `from` is not the broker entry's origin is refused (a process announces only its
own members; anyone who can write the stream can forge both, so this is no authentication). As
for a forwarded command, the process takes nothing on trust: with a `vouch` (its token book,
see `pairbook.rooms.owners`), an announced member is who the book says, with the role the
book gives its grant, or not taken at all (revoked, or not the person named). A process
that cannot reach the broker does not hear the others: their members do not expire then,
and once it is back it asks every process again (`hello`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from pairbook.broker.port import Broker, SignalEntry
from pairbook.cluster.envelope import member_from_json, member_to_json
from pairbook.errors import PairbookError
from pairbook.rooms.handle import member_of
from pairbook.service import Member
from pairbook.service.port import member_key
from pairbook.types import RoomId

if TYPE_CHECKING:
    from pairbook.rooms.room import Room

log = logging.getLogger("pairbook.feed")

SETTLE = 0.05
"""Seconds a process waits after a join or leave before it announces its members."""
RENEW = 10.0
"""Seconds between a process's announcements of its members while nothing changes."""
OUTDATED_AFTER = 30.0
"""Seconds another process's members stay without a renewed announcement."""
MAX_MEMBERS = 10_000
"""Members one announcement may list (more is not a pairbook process's)."""
MAX_HELD = 1_000
"""Events waiting for the updates sent before them (past it the oldest goes at once)."""

Vouch = Callable[[Member], Member]
"""A member another process announced, as this process's token book has it (its user and
role); raises AuthError when its grant was revoked or is not that user's."""


class RoomSignals:
    """One room's signals on the broker, for one process (its feed delivers them)."""

    def __init__(
        self, room_id: RoomId, broker: Broker, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.room_id = room_id
        self.broker = broker
        self.origin = broker.origin
        self.room: Room | None = None
        self._clock = clock
        self._remote: dict[str, tuple[dict[str, Member], float]] = {}  # origin -> members, seen
        self._announced = float("-inf")
        self.settle = SETTLE
        self.vouch: Vouch | None = None  # None: one process's tests, no token book
        self._soon: asyncio.TimerHandle | None = None
        self._said: set[str] = set()  # the member keys the last announcement named
        self._unsaid: dict[str, dict[str, Any]] = {}  # joined since then: key -> member JSON
        self.published = 0  # the newest seq this process relayed to the others
        self._held: deque[tuple[int, dict[str, Any]]] = deque()  # (after, event signal)

    def members(self) -> list[Member]:
        """The room's members connected to other processes."""
        return [member for members, _ in self._remote.values() for member in members.values()]

    @property
    def present(self) -> bool:
        """Whether members of the room are connected to other processes."""
        return bool(self._remote)

    def attach(self, room: Room) -> None:
        """The room is loaded here: say who is here (nobody yet) and ask the others."""
        self.room = room
        self.announce(hello=True)

    def changed(self) -> None:
        """Someone joined or left here: announce it in a moment (once for a burst). One who
        joined and left again before that is announced at once, present, and the next
        announcement says they left: the owner records every join and leave (a member on
        another process that runs a cell and leaves within the moment included)."""
        room = self.room
        if room is None:
            return
        here = {peer.key: peer for peer in room.peers}
        for key, peer in here.items():
            if key not in self._said and key not in self._unsaid:
                self._unsaid[key] = member_to_json(member_of(peer))
        gone = [member for key, member in self._unsaid.items() if key not in here]
        if gone:
            self.announce(extra=gone)
        if self._soon is None:
            self._soon = asyncio.get_running_loop().call_later(self.settle, self._announce_soon)

    def _announce_soon(self) -> None:
        self._soon = None
        self.announce()

    def close(self) -> None:
        """The room closes here: its members here are leaving (the owner hears it now)."""
        if self._soon is not None:
            self._soon.cancel()
            self._soon = None
        self._held.clear()
        if self.room is not None:
            if self._unsaid:  # joined since the last announcement: the owner records them
                here = {peer.key for peer in self.room.peers}
                self.announce(extra=[m for k, m in self._unsaid.items() if k not in here])
            self._publish({"t": "members", "from": self.origin, "members": [], "hello": False})
            self.room = None

    def announce(self, *, hello: bool = False, extra: Sequence[dict[str, Any]] = ()) -> None:
        """Tell the other processes who is connected to the room here (and `extra`: members
        who left before they were announced)."""
        if self.room is None:
            return
        peers = self.room.peers
        members = [*(member_to_json(member_of(peer)) for peer in peers), *extra]
        self._publish({"t": "members", "from": self.origin, "members": members, "hello": hello})
        self._said = {peer.key for peer in peers}
        self._unsaid.clear()
        self._announced = self._clock()

    def send(self, member: Member, event: dict[str, Any]) -> None:
        """An event for a member connected to another process (a key from `members`)."""
        origin, _, _ = member.key.rpartition("/")
        if origin and origin != self.origin:
            self._publish({"t": "event", "to": member.key, "event": event,
                           "after": self.published})  # fmt: skip

    def broadcast(self, event: dict[str, Any]) -> None:
        """An event for every member on the other processes."""
        self._publish({"t": "event", "to": None, "event": event, "after": self.published})

    def caught_up(self, upto: int) -> None:
        """The document holds the log up to `upto`: the events waiting for it go on."""
        while self._held and self._held[0][0] <= upto:
            self._deliver(self._held.popleft()[1])

    def upkeep(self, now: float) -> None:
        """Renew this process's announcement; forget processes that stopped announcing.
        Not while the broker is unreachable from here: their silence says nothing then."""
        if now - self._announced >= RENEW:
            self.announce()
        if not self.broker.stats().connected:
            for origin, (members, _) in list(self._remote.items()):
                self._remote[origin] = (members, self._clock())
            return
        for origin, (_, seen) in list(self._remote.items()):
            if now - seen >= OUTDATED_AFTER:
                log.warning("members of a silent process left", extra={"room": self.room_id})
                self._update(origin, {})

    def take(self, payload: bytes, sender: str) -> None:
        """A signal from another process (`sender`: the broker entry's origin); one pairbook
        did not write is logged, not taken, and so is a list of members whose sender is not
        the process they are announced for (an empty sender included)."""
        try:
            data = json.loads(payload)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            kind = data.get("t")
            if kind == "members":
                self._take_members(data, sender)
            elif kind == "event":
                self._take_event(data)
            else:
                raise ValueError(f"unknown kind {kind!r}")
        except (ValueError, PairbookError) as exc:
            log.error("unreadable room signal", extra={"room": self.room_id, "reason": str(exc)})

    def _take_members(self, data: dict[str, Any], sender: str) -> None:
        origin, listed = data.get("from"), data.get("members")
        if not isinstance(origin, str) or not origin or "/" in origin or origin == self.origin:
            raise ValueError(f"members from an unnamed process {origin!r}")
        if origin != sender:
            # A process speaks for its own members only: one naming another (a bug, or a
            # copy of someone's entry) would replace, or empty, that process's members. An
            # entry naming no origin is no one's: it speaks for no process either.
            raise ValueError(f"members of {origin!r} announced by {sender!r}")
        if not isinstance(listed, list) or len(listed) > MAX_MEMBERS:
            raise ValueError("members announced without a list")
        known = self._remote.get(origin, ({}, 0.0))[0]
        members = {}
        for item in listed:
            member = member_from_json(item)
            key = member_key(origin, member.key)
            member = Member(key, member.user, member.role, member.clients, member.grant)
            vouched = self._vouched(member, known.get(key))
            if vouched is not None:
                members[key] = vouched
        self._update(origin, members)
        if data.get("hello") is True:
            self.announce()

    def _vouched(self, member: Member, known: Member | None) -> Member | None:
        """The announced member as the token book has it (None: refused). One already
        vouched for under the same grant is not looked up again at each renewal (a revoked
        grant's connections are closed, and its process announces them gone)."""
        if self.vouch is None:
            return member
        if known is not None and (known.grant, known.user.id) == (member.grant, member.user.id):
            return Member(member.key, known.user, known.role, member.clients, known.grant)
        try:
            return self.vouch(member)
        except PairbookError as exc:
            log.warning(
                "announced member refused", extra={"room": self.room_id, "reason": str(exc)}
            )
            return None

    def _update(self, origin: str, members: dict[str, Member]) -> None:
        """The members of `origin` are these now: the room hears who joined and who left."""
        old = self._remote.pop(origin, ({}, 0.0))[0]
        if members:
            self._remote[origin] = (members, self._clock())
        room = self.room
        if room is None:
            return
        services = room.services
        for key in old.keys() - members.keys():
            services.note_leave(old[key])
            services.left(old[key])
        for key in members.keys() - old.keys():
            services.joined(members[key])
            services.note_join(members[key])

    def _take_event(self, data: dict[str, Any]) -> None:
        to, event, after = data.get("to"), data.get("event"), data.get("after", 0)
        if not isinstance(event, dict) or not (to is None or isinstance(to, str)):
            raise ValueError("an event signal without an event")
        if not isinstance(after, int) or isinstance(after, bool):
            raise ValueError("an event signal whose 'after' is not a seq")
        room = self.room
        if room is None:
            return
        if self._held or room.last_seq < after:  # in order, behind the updates before it
            if len(self._held) >= MAX_HELD:
                self._deliver(self._held.popleft()[1])
            self._held.append((after, data))
            return
        self._deliver(data)

    def _deliver(self, data: dict[str, Any]) -> None:
        room, to, event = self.room, data["to"], data["event"]
        if room is None:
            return
        if to is None:
            room.notify(event)
            return
        origin, _, key = to.rpartition("/")
        if origin != self.origin:
            return  # for a member of another process
        for peer in room.peers:
            if peer.key == key:
                room.notify_peer(peer, event)

    def _publish(self, signal: dict[str, Any]) -> None:
        payload = json.dumps(signal, separators=(",", ":")).encode()
        self.broker.publish(self.room_id, SignalEntry(payload))


def tell_everyone(room: Room, event: dict[str, Any]) -> None:
    """An event about the room for its peers here and on every other process holding it
    (the notebook file's: only the process keeping the file sees a conflict or saves it)."""
    room.notify(event)
    if room.feed is not None:
        room.feed.signals.broadcast(event)
