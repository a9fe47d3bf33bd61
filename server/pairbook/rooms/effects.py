"""What the room's sync state machine (`rooms.sync`) asks its I/O shell (`rooms.receiver`)
to do.

Effects are plain data: the machine decides, the shell executes them in order (an effect
that raises, or a `Refuse`, ends the list there)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pairbook.errors import PairbookError
from pairbook.protocol.update import UpdateSummary
from pairbook.types import UserId, value

if TYPE_CHECKING:
    from pairbook.rooms.peer import Peer


@value
class Send:
    """Queue a frame for one peer."""

    peer: Peer
    frame: bytes


@value
class Answer:
    """Answer a peer's step 1: send it what the room has beyond `state_vector` (step 2);
    a peer still syncing goes live."""

    peer: Peer
    state_vector: bytes


@value
class Broadcast:
    """Queue a frame for every peer but the sender (document updates: live peers only)."""

    frame: bytes
    sender: Peer | None
    live_only: bool = True


@value
class Apply:
    """Apply an admitted update to the document as `peer`, then report how it went to the
    machine (`RoomSync.applied` or `RoomSync.unappliable`) and execute what it answers."""

    peer: Peer
    update: bytes
    frame: bytes
    """The frame to relay: the peer's own when it sent an update message."""
    clients: tuple[int, ...]
    """The client ids that wrote new structs (logged with the update)."""
    claimed: frozenset[int]
    """The client ids this update claimed for the peer's user."""
    summary: UpdateSummary
    trial: bool = False
    """It deletes what an update the room refused after applying it deleted (a cell left
    unreadable): tried on a copy of the document first, refused only if it would leave
    such a cell again (deleting that cell, or text in it, is anyone's edit)."""


@value
class Commit:
    """Log an update the document already holds, then do `relay` (in the order committed:
    the log's queue is first in, first out)."""

    update: bytes
    author: UserId
    clients: tuple[int, ...]
    relay: Broadcast
    fence: int | None = None
    """The owner lease's token a service's write carries (see Store.append)."""


@value
class Refuse:
    """Refuse the frame: the connection is closed with the error's close code and reason
    (the shell raises the error); the room is unaffected."""

    peer: Peer
    error: PairbookError

    @property
    def reason(self) -> str:
        return str(self.error)


Effect = Send | Answer | Broadcast | Apply | Commit | Refuse
