"""KeptKernels: the live kernels of rooms that unloaded, kept until their room loads again.

As in jupyter-server, a kernel outlives the browsers looking at it: when everyone has left
and the room unloads, its runner hands the kernel over (`KeptKernel`, with what the runner
must remember of it), and the room's next runner takes it back. A kept kernel that dies
is noticed, one idle longer than `--cull-idle-after` is shut down (the room, once loaded
again, says which); the server shuts every kept kernel down when it stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pairbook.kernel.culling import ALIVE_SECONDS
from pairbook.kernel.outputstream import Displays
from pairbook.kernel.ports import Kernel, Releasable
from pairbook.kernel.session import KernelStatus, StatusCallback
from pairbook.schema import KernelEventRecord, KernelStopRecord, UserRecord
from pairbook.state.model import KernelState
from pairbook.state.view import StateView

log = logging.getLogger("pairbook.kernel")


@dataclass(slots=True)
class StatusRelay:
    """A kernel's status callback, pointed at whichever runner holds the kernel now (none
    while the kernel is kept without a room)."""

    target: StatusCallback | None = None

    def __call__(self, status: KernelStatus) -> None:
        if self.target is not None:
            self.target(status)


@dataclass(frozen=True, slots=True)
class ViewMemory:
    """What the kernel-state view knows beyond the document: the model, who edited and who
    deleted which cell, the packages."""

    model: KernelState
    editors: dict[str, UserRecord]
    deleters: dict[str, UserRecord]
    packages: list[dict[str, Any]] | None

    @classmethod
    def of(cls, view: StateView) -> ViewMemory:
        return cls(view.model, view.editors, view.deleters, view.packages)

    def recall(self, view: StateView) -> None:
        """Give a new view (over the reloaded document) what the old one knew."""
        view.model, view.packages = self.model, self.packages
        view.editors.update(self.editors)
        view.deleters.update(self.deleters)


@dataclass(slots=True)
class KeptKernel:
    """A live kernel without a room, and what its runner knew of it: since when it has been
    idle, when it started, the last event, the view's memory, how many imports had their
    packages looked up, and where each display id is shown."""

    session: Kernel
    relay: StatusRelay
    idle_since: float
    started_at: float | None = None
    last_event: KernelEventRecord | None = None
    view: ViewMemory | None = None
    modules_seen: int = 0
    displays: Displays = field(default_factory=dict)


def stop_record(
    reason: str,
    at: float | None,
    *,
    by: UserRecord | None = None,
    idle_for: float | None = None,
) -> KernelStopRecord:
    """The kernel map's account of a stop (see `KernelStopRecord`)."""
    return {"reason": reason, "by": by, "at": at, "idle_for": idle_for}


def stop_reason(why: KernelStopRecord) -> str:
    """Why runs still queued when the kernel stopped never ran, as their badges say it."""
    by = why.get("by")
    match why["reason"]:
        case "shutdown":
            return f"the kernel was shut down by {by['name']}" if by else "the kernel was shut down"
        case "idle":
            return "the server stopped the idle kernel"
        case "died":
            return "the kernel died"
        case "server":
            return "the server stopped"
        case "moved":
            return "the server process running the kernel stopped; its state is gone"
        case other:
            return f"the kernel stopped ({other})"


async def let_go(session: Kernel) -> None:
    """The server stops: a kernel that outlives it (a gateway's) is let go, any other is
    shut down."""
    if isinstance(session, Releasable):
        await session.release()
    else:
        await session.shutdown()


class KeptKernels:
    """The kept kernels of one server, by room. `keep` and `take` are synchronous, so a room
    that unloads and a peer that reloads it at once cannot miss each other."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._kept: dict[str, KeptKernel] = {}
        self._stops: dict[str, KernelStopRecord] = {}  # kept kernels culled meanwhile
        self._changed = asyncio.Event()

    def __len__(self) -> int:
        return len(self._kept)

    def __contains__(self, room_id: object) -> bool:
        return room_id in self._kept

    def keep(self, room_id: str, kept: KeptKernel) -> None:
        """Keep this live kernel until its room loads again."""
        kept.relay.target = None
        self._kept[room_id] = kept
        self._stops.pop(room_id, None)
        self._changed.set()
        log.info("kernel kept without its room", extra={"room": room_id})

    def take(self, room_id: str) -> KeptKernel | None:
        """The room's kept kernel, handed back (None: it has none)."""
        return self._kept.pop(room_id, None)

    def take_stop(self, room_id: str) -> KernelStopRecord | None:
        """Why the room's kept kernel stopped while the room was unloaded (None: it did not)."""
        return self._stops.pop(room_id, None)

    async def cull(self, idle_after: float) -> list[str]:
        """Shut down the kept kernels idle for `idle_after` seconds; their rooms."""
        now = self._clock()
        culled = [room for room, kept in self._kept.items() if now - kept.idle_since >= idle_after]
        for room_id in culled:
            kept = self._kept.pop(room_id)
            # Noted before the await: the room may load again meanwhile.
            self._stops[room_id] = stop_record("idle", now, idle_for=now - kept.idle_since)
            await self._shut(room_id, kept)
            log.info("idle kernel culled", extra={"room": room_id})
        return culled

    async def bury(self) -> list[str]:
        """Forget the kept kernels whose process died (killed, out of memory), noting the
        death for their rooms; their rooms."""
        dead = [room for room, kept in self._kept.items() if not await kept.session.alive()]
        for room_id in dead:
            kept = self._kept.pop(room_id, None)
            if kept is not None:
                self._stops[room_id] = stop_record("died", self._clock())
                await self._shut(room_id, kept)  # its sockets and leftovers go too
                log.warning("a kept kernel died", extra={"room": room_id})
        return dead

    async def watch(self, idle_after: float | None, alive_seconds: float = ALIVE_SECONDS) -> None:
        """Forever (owned by the server's task group): notice kept kernels that died, and
        cull those idle for `idle_after` seconds (None: never)."""
        while True:
            self._changed.clear()
            wait = alive_seconds if self._kept else None
            if idle_after is not None and self._kept:
                deadline = min(kept.idle_since for kept in self._kept.values()) + idle_after
                wait = min(alive_seconds, max(0.0, deadline - self._clock()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), wait)
            await self.bury()
            if idle_after is not None:
                await self.cull(idle_after)

    async def close(self) -> None:
        """Shut every kept kernel down, or let it go if it outlives the server (the server
        stops). All at once: a kernel's shutdown is mostly waiting for its process to end."""
        while self._kept:
            kept, self._kept = self._kept, {}
            async with asyncio.TaskGroup() as group:
                for room_id, each in kept.items():
                    group.create_task(self._let_go(room_id, each))

    @staticmethod
    async def _let_go(room_id: str, kept: KeptKernel) -> None:
        try:
            await let_go(kept.session)
        except Exception:
            log.exception("kept kernel shutdown failed", extra={"room": room_id})

    @staticmethod
    async def _shut(room_id: str, kept: KeptKernel) -> None:
        try:
            await kept.session.shutdown()
        except Exception:
            log.exception("kept kernel shutdown failed", extra={"room": room_id})
