"""OpenRoom: a loaded room with its file sync, its services and their tasks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pairbook.errors import is_failure
from pairbook.flag import Flag
from pairbook.rooms.diskwatch import DiskLooks
from pairbook.rooms.filesync import FileSync
from pairbook.rooms.room import Room
from pairbook.service import RoomService

S = TypeVar("S")
log = logging.getLogger("pairbook.room")


@dataclass(slots=True)
class OpenRoom:
    room: Room
    filesync: FileSync
    services: list[RoomService]
    snapshot_seq: int
    task: asyncio.Task[None] | None = None
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)  # the services' own loops
    owned: bool = True  # False: another process runs its services (pairbook.rooms.ownership)
    looks: DiskLooks = field(default_factory=DiskLooks)  # its files' looks (DiskWatch)

    def start_services(self, group: asyncio.TaskGroup, live: Callable[[], bool]) -> None:
        """Start each service's loop (`run`) in `group`: at once, or, for a service with a
        `wanted` Flag, once that is set (if the room is still `live`): a loop with nothing
        to do is not kept parked in every room (bench/fanout/roomprofile.py)."""
        for service in self.services:
            run = getattr(service, "run", None)
            if not callable(run):
                continue

            def start(run: Callable[[], Any] = run, kind: str = type(service).__name__) -> None:
                if live():
                    loop = self._guarded(run(), kind)
                    self.tasks.append(group.create_task(loop, name=f"{kind} {self.room.id}"))

            wanted = getattr(service, "wanted", None)
            if isinstance(wanted, Flag):
                wanted.when_set(start)
            else:
                start()

    async def _guarded(self, loop: Awaitable[Any], kind: str) -> None:
        """A service's loop, whose failure is its room's alone: in the rooms' task group it
        aborted every room's task and cancelled the task that entered the group (the app's
        lifespan). Logged, and the room is lost: its peers get 1011, the next join reloads
        it from its log (the loop may have failed half-way through an edit)."""
        try:
            await loop
        except BaseException as exc:  # a pycrdt panic too
            if not is_failure(exc):
                raise
            extra = {"room": self.room.id, "service": kind}
            log.error("room service failed", exc_info=exc, extra=extra)
            self.room.lose(f"the room's {kind} failed")

    def find(self, kind: type[S]) -> S | None:
        """The room's service of this type, if it has one."""
        return next((s for s in self.services if isinstance(s, kind)), None)

    def service(self, kind: type[S]) -> S:
        """The room's service of this type; LookupError if the room has none."""
        found = self.find(kind)
        if found is None:
            raise LookupError(f"room {self.room.id!r} has no {kind.__name__}")
        return found
