"""The services every room gets (ROOM_SERVICES), built from a room by their factories in
order: the kernel, the mob, the recording, the check. `Rooms.open` attaches them to a loaded room.

`python -m pairbook.rooms.services --write` writes the protocol catalogue, spec/protocol.json:
every command (its service, minimum role, driver-only, recorded, arguments), the message
types and the close codes; the client's tests and tests/unit/rooms compare against it.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pycrdt import Map

from pairbook.auth import User
from pairbook.check.runner import KernelLaunch
from pairbook.check.service import TABLE as CHECK_COMMANDS
from pairbook.check.service import CheckService
from pairbook.envs import EnvironmentCache
from pairbook.envs.cache import SERVER_INSTALL
from pairbook.kernel import KernelSessions
from pairbook.kernel.confine import Confinement
from pairbook.kernel.environment import NotebookEnvironment
from pairbook.kernel.gatewaysession import GatewayKernelSessions
from pairbook.kernel.kept import KeptKernels, stop_record
from pairbook.kernel.kernelmap import LIVE
from pairbook.kernel.ports import KernelFactory
from pairbook.kernel.runner import Runner
from pairbook.kernel.service import TABLE as KERNEL_COMMANDS
from pairbook.kernel.service import KernelService
from pairbook.mob.commands import TABLE as MOB_COMMANDS
from pairbook.mob.gate import MobGate
from pairbook.mob.service import MobService
from pairbook.notebook.outputs import kernel_name_of
from pairbook.protocol.closecodes import CloseCode
from pairbook.protocol.messages import MessageType, SyncType
from pairbook.record import Recorder, Replays
from pairbook.record.service import TABLE as RECORD_COMMANDS
from pairbook.record.service import RecordingService
from pairbook.rooms.core import TABLE as CORE_COMMANDS
from pairbook.rooms.handle import ServiceHandle
from pairbook.rooms.room import Room
from pairbook.schema import DOCUMENT_MAPS, KERNEL_MAP, SERVER_AUTHOR_PREFIX, KernelStopRecord
from pairbook.service import CommandTable, RoomService
from pairbook.store.port import Store

if TYPE_CHECKING:
    from pairbook.rooms.policy import RoomPolicy

log = logging.getLogger("pairbook.rooms")


@dataclass(frozen=True, slots=True)
class ServiceContext:
    """What a factory gets to build one room's service."""

    room: Room
    handle: ServiceHandle
    path: Path  # the notebook file
    store: Store
    replays: Replays
    policy: RoomPolicy
    kept: KeptKernels  # live kernels of unloaded rooms
    profiles: Callable[[], Mapping[str, User]] = dict  # everyone's profile (the token file)


ServiceFactory = Callable[[ServiceContext], RoomService]


async def attach_services(
    context: ServiceContext, factories: Sequence[ServiceFactory]
) -> list[RoomService]:
    """Build a room's services from the factories, attach them to it and start them. If one
    fails to start, the ones started are closed (the room does not open) and it raises."""
    services = [factory(context) for factory in factories]
    context.room.attach(services)
    started: list[RoomService] = []
    try:
        for service in services:
            await service.start()
            started.append(service)
    except BaseException:
        for service in reversed(started):
            try:
                await service.close()
            except Exception:
                log.exception("service close failed", extra={"room": context.room.id})
        raise
    return services


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """A room service as the list names it: how to build it, and the commands it answers
    (the rows, for the catalogue, without building a room)."""

    name: str
    build: ServiceFactory
    commands: CommandTable[Any]

    def __call__(self, context: ServiceContext) -> RoomService:
        return self.build(context)


def kernel_service(context: ServiceContext) -> KernelService:
    policy, room_id = context.policy, context.room.id
    # Wheels only (a build script would run outside any sandbox), by name from the index only.
    cache = EnvironmentCache(options=SERVER_INSTALL)
    environment = NotebookEnvironment(context.handle, context.path, cache)
    kernels: KernelFactory = (
        GatewayKernelSessions(policy.kernel_gateway, room_id)
        if policy.kernel_gateway is not None
        else KernelSessions(context.path.parent, policy.confinement, environment)
    )
    runner = Runner(
        context.handle,
        kernels,
        kernel_name_of(context.room.doc),
        output_limit=policy.output_limit,
        kernel_state=policy.kernel_state,
        kept=context.kept.take(room_id),
        stopped=context.kept.take_stop(room_id) or moved_kernel(context.room),
        cull_after=policy.cull_idle_after,
    )
    return KernelService(runner)


def moved_kernel(room: Room) -> KernelStopRecord | None:
    """A room taken over from another process whose kernel the document shows live: that
    kernel went with its process (its state is gone), and the panel says so."""
    shown = room.doc.get(KERNEL_MAP, type=Map).get("status")
    if room.ownership is None or shown not in LIVE:
        return None
    return stop_record("moved", time.time())


def mob_service(context: ServiceContext) -> MobService:
    return MobService(context.handle, profiles=context.profiles)


def recording_service(context: ServiceContext) -> RecordingService:
    room, policy = context.room, context.policy
    recorder = Recorder(
        room.id,
        room.doc,
        context.store,
        lambda: room.last_seq + room.inflight,  # the newest change, logged or on its way
        awareness_interval=policy.awareness_interval,
        checkpoint_every=policy.checkpoint_every,
        owner_write=context.handle.owner_write,
        waiting=room.waiting,
    )
    replayer = context.replays.get(room.id)
    return RecordingService(context.handle, recorder, replayer, retention=policy.retention)


def check_service(context: ServiceContext) -> CheckService:
    confinement = context.policy.confinement or Confinement()

    def launch() -> KernelLaunch:
        fence = confinement.jail() if context.policy.confinement is not None else None
        return KernelLaunch(env=confinement.environment(), fence=fence)

    # Wheels only (a build script would run outside any sandbox), by name from the index only.
    cache = EnvironmentCache(options=SERVER_INSTALL)
    return CheckService(context.handle, context.path, cache, launch)


KERNEL = ServiceSpec("kernel", kernel_service, KERNEL_COMMANDS)
MOB = ServiceSpec("mob", mob_service, MOB_COMMANDS)
RECORDING = ServiceSpec("record", recording_service, RECORD_COMMANDS)
CHECK = ServiceSpec("check", check_service, CHECK_COMMANDS)

ROOM_SERVICES: Sequence[ServiceSpec] = (KERNEL, MOB, RECORDING, CHECK)
"""The services of every room, in the order they are attached (and their hooks called)."""

MOB_GATE = ServiceSpec("mob", lambda context: MobGate(context.handle), CommandTable("mob"))
FOLLOWER_SERVICES: Sequence[ServiceSpec] = (MOB_GATE,)
"""The services of a room whose services run on another process (its owner): only the
mob's edit gate, reading the rotation the owner writes (pairbook.rooms.ownership)."""

SPEC = Path(__file__).resolve().parents[3] / "spec" / "protocol.json"
"""Where the catalogue lives in a checkout."""


def catalogue(services: Sequence[ServiceSpec] = ROOM_SERVICES) -> dict[str, Any]:
    """The protocol as the server speaks it: commands, message types, close codes, and the
    document's top-level names."""
    table = CommandTable.merge([CORE_COMMANDS, *(spec.commands for spec in services)])
    return {
        "commands": table.to_json(),
        "message_types": {kind.name.lower(): kind.value for kind in MessageType},
        "sync_types": {kind.name.lower(): kind.value for kind in SyncType},
        "close_codes": {code.name: code.value for code in CloseCode},
        "document": {"maps": DOCUMENT_MAPS, "server_author_prefix": SERVER_AUTHOR_PREFIX},
    }


def catalogue_text() -> str:
    return json.dumps(catalogue(), indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str]) -> int:
    """`--write [PATH]`: write the catalogue (to spec/protocol.json); else print it."""
    if argv and argv[0] == "--write":
        path = Path(argv[1]) if len(argv) > 1 else SPEC
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(catalogue_text(), encoding="utf-8")
        print(f"wrote {path}")
        return 0
    sys.stdout.write(catalogue_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
