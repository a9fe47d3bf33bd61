"""The services every room gets (ROOM_SERVICES), built from a room by their factories in
order: the kernel, the mob, the recording. `Rooms.open` attaches them to a loaded room.

`python -m pairbook.rooms.services --write` writes the command catalogue (spec/protocol.json).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pairbook.kernel import KernelSessions
from pairbook.kernel.runner import Runner
from pairbook.kernel.service import KernelService
from pairbook.mob.service import MobService
from pairbook.notebook.outputs import kernel_name_of
from pairbook.record import Recorder, Replays
from pairbook.record.service import RecordingService
from pairbook.rooms.handle import ServiceHandle
from pairbook.rooms.room import Room
from pairbook.service import RoomService
from pairbook.store.port import Store

if TYPE_CHECKING:
    from pairbook.rooms.registry import RoomPolicy


@dataclass(frozen=True, slots=True)
class ServiceContext:
    """What a factory gets to build one room's service."""

    room: Room
    handle: ServiceHandle
    path: Path  # the notebook file
    store: Store
    replays: Replays
    policy: RoomPolicy


ServiceFactory = Callable[[ServiceContext], RoomService]


def kernel_service(context: ServiceContext) -> KernelService:
    policy = context.policy
    runner = Runner(
        context.room,
        KernelSessions(context.path.parent, policy.confinement),
        kernel_name_of(context.room.doc),
        output_limit=policy.output_limit,
        kernel_state=policy.kernel_state,
    )
    return KernelService(runner)


def mob_service(context: ServiceContext) -> MobService:
    return MobService(context.handle)


def recording_service(context: ServiceContext) -> RecordingService:
    room, policy = context.room, context.policy
    recorder = Recorder(
        room.id,
        room.doc,
        context.store,
        lambda: room.last_seq,
        awareness_interval=policy.awareness_interval,
        checkpoint_every=policy.checkpoint_every,
    )
    replayer = context.replays.get(room.id)
    return RecordingService(context.handle, recorder, replayer, retention=policy.retention)


ROOM_SERVICES: Sequence[ServiceFactory] = (kernel_service, mob_service, recording_service)
"""The services of every room, in the order they are attached (and their hooks called)."""
