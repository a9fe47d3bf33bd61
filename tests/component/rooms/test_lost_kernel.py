"""What a room that lost its log does with its kernel. Lost to a newer owner (its write was
fenced off), the room is that owner's now: its kernel is let go — a gateway's lives on, and
the new owner re-attaches to it — and not kept here, where a later cull would shut it down
under the new owner. Lost for another reason, the room reloads here, kernel and all."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from pycrdt import Map

from pairbook.kernel.runner import Runner
from pairbook.kernel.service import KernelService
from pairbook.kernel.session import StatusCallback
from pairbook.protocol.closecodes import CloseCode
from pairbook.rooms import RoomPolicy, Rooms
from pairbook.rooms.commits import MOVED
from pairbook.rooms.services import ServiceContext
from pairbook.service import RoomService
from pairbook.store import MemoryStore
from pairbook.types import RoomId
from support.kernelkit import ScriptedKernel, ScriptedKernels, person
from support.notebooks import write_notebook

ROOM = RoomId("demo.ipynb")
ANA = person("ana")


class GatewayKernel(ScriptedKernel):
    """A kernel that outlives the server (a gateway's): let go of, or shut down."""

    released = False
    shut_down = False

    async def release(self) -> None:
        self.released = True
        self.started = False

    async def shutdown(self) -> None:
        self.shut_down = True
        await super().shutdown()


class GatewayKernels(ScriptedKernels):
    def __call__(self, kernel_name: str, on_status: StatusCallback) -> GatewayKernel:
        kernel = GatewayKernel(kernel_name, on_status, self.scripts)
        self.made.append(kernel)
        return kernel


@contextlib.asynccontextmanager
async def lost_with_a_kernel(
    tmp_path: Path, reason: str
) -> AsyncIterator[tuple[Rooms, GatewayKernel]]:
    """Open the room, run a cell (its kernel starts), then lose the room for `reason`."""
    kernels = GatewayKernels()

    def kernel_service(context: ServiceContext) -> RoomService:
        kept = context.kept.take(context.room.id)  # as the room's kernel service does
        return KernelService(
            Runner(context.handle, kernels, "python3", kernel_state=False, kept=kept)
        )

    write_notebook(tmp_path / ROOM)
    policy = RoomPolicy(tick=0.01)
    async with (
        MemoryStore() as store,
        Rooms(tmp_path, store, policy, services=[kernel_service]) as rooms,
    ):
        entry = await rooms.open(ROOM)
        kernel = entry.service(KernelService)
        (run,) = (await kernel.runner.run_cells(ANA, ["code-0"]))["queued"]
        executions = entry.room.doc.get("executions", type=Map)
        while executions[run]["status"] != "ok" or kernel.busy:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        entry.room.lose(reason, CloseCode.GOING_AWAY)
        assert entry.task is not None
        await asyncio.wait_for(asyncio.shield(entry.task), 10)
        (made,) = kernels.made
        assert isinstance(made, GatewayKernel)
        yield rooms, made


async def test_a_room_lost_to_a_newer_owner_lets_its_kernel_go(tmp_path: Path) -> None:
    async with lost_with_a_kernel(tmp_path, MOVED) as (rooms, kernel):
        assert ROOM not in rooms.kept  # the new owner's: no cull here may shut it down
        assert kernel.released
        assert not kernel.shut_down


async def test_a_room_lost_for_another_reason_keeps_its_kernel_for_its_reload(
    tmp_path: Path,
) -> None:
    async with lost_with_a_kernel(tmp_path, "the server could not save a change") as (
        rooms,
        kernel,
    ):
        assert ROOM in rooms.kept
        assert not kernel.released
        assert not kernel.shut_down
        entry = await rooms.open(ROOM)  # the next join reloads it with the same kernel
        assert entry.service(KernelService).runner.session is kernel
