"""A stopping server shuts down the kernels of its open rooms and those it keeps for rooms
that unloaded all at once: a kernel's shutdown is mostly waiting for its process to end."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from pycrdt import Map

from pairbook.auth import Role, User
from pairbook.kernel.runner import Runner
from pairbook.kernel.service import KernelService
from pairbook.kernel.session import StatusCallback
from pairbook.rooms import Peer, RoomPolicy, Rooms, TokenBucket, memory_channel_pair
from pairbook.rooms.openroom import OpenRoom
from pairbook.rooms.services import ServiceContext
from pairbook.service import RoomService
from pairbook.store import MemoryStore
from pairbook.types import RoomId, UserId
from support.kernelkit import ScriptedKernel, ScriptedKernels, person
from support.notebooks import write_notebook

ANA = person("ana")


class TogetherShutdowns(ScriptedKernels):
    """Kernels whose shutdown waits (a while at most) until `count` kernels were asked to
    shut down; `alone` names those that were not joined by the others meanwhile."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count
        self.asked = 0
        self.everyone_asked = asyncio.Event()
        self.alone: list[int] = []

    def __call__(self, kernel_name: str, on_status: StatusCallback) -> ScriptedKernel:
        kernel = super().__call__(kernel_name, on_status)
        plain, which = kernel.shutdown, len(self.made)

        async def shutdown() -> None:
            self.asked += 1
            if self.asked == self.count:
                self.everyone_asked.set()
            try:
                # A bound on a hang, not a measured time: before, the next kernel was asked
                # only once this one had ended.
                await asyncio.wait_for(self.everyone_asked.wait(), 5)
            except TimeoutError:
                self.alone.append(which)
            await plain()

        kernel.shutdown = shutdown  # type: ignore[method-assign]
        return kernel


async def run_first_cell(entry: OpenRoom) -> None:
    """Run the room's first cell (its kernel starts) and wait until the kernel is idle."""
    kernel = entry.service(KernelService)
    (run,) = (await kernel.runner.run_cells(ANA, ["code-0"]))["queued"]
    executions = entry.room.doc.get("executions", type=Map)
    while executions[run]["status"] != "ok" or kernel.busy:  # noqa: ASYNC110
        await asyncio.sleep(0.01)


def kernel_service(kernels: ScriptedKernels) -> Callable[[ServiceContext], RoomService]:
    def make(context: ServiceContext) -> RoomService:
        kept = context.kept.take(context.room.id)  # as the room's kernel service does
        return KernelService(
            Runner(context.handle, kernels, "python3", kernel_state=False, kept=kept)
        )

    return make


def peer(name: str) -> Peer:
    ours, _theirs = memory_channel_pair()
    user = User(UserId(name), name.title(), "#336699")
    return Peer(
        name, user, Role.EDITOR, ours, queue_limit=64, limiter=TokenBucket(1e9, 1_000_000_000)
    )


async def test_open_rooms_and_kept_kernels_are_shut_down_at_once(tmp_path: Path) -> None:
    kernels = TogetherShutdowns(2)
    write_notebook(tmp_path / "kept.ipynb")
    write_notebook(tmp_path / "open.ipynb")
    policy = RoomPolicy(tick=0.01)
    async with (
        MemoryStore() as store,
        Rooms(tmp_path, store, policy, services=[kernel_service(kernels)]) as rooms,
    ):
        kept = await rooms.open(RoomId("kept.ipynb"))
        await run_first_cell(kept)
        kept.room.lose("the server could not save a change")  # its kernel is kept
        assert kept.task is not None
        await asyncio.wait_for(asyncio.shield(kept.task), 10)
        assert "kept.ipynb" in rooms.kept
        await run_first_cell(await rooms.open(RoomId("open.ipynb")))
        assert len(kernels.made) == 2
    assert kernels.asked == 2
    assert kernels.alone == []


async def test_a_draining_server_keeps_its_rooms_and_their_kernels_until_it_stops(
    tmp_path: Path,
) -> None:
    """Stopping drains first (every peer told to go), then stops: a room its last peer left
    in between used to unload, its kernel kept and then shut down with the kept ones, so the
    document never said when the server stopped it (after a restart: "stopped, at unknown").
    The gap is the supervisor's drain request to the ASGI server's shutdown: long under load."""
    write_notebook(tmp_path / "open.ipynb")
    policy = RoomPolicy(tick=0.01, unload_delay=0.05)
    async with (
        MemoryStore() as store,
        Rooms(tmp_path, store, policy, services=[kernel_service(ScriptedKernels())]) as rooms,
    ):
        entry = await rooms.open(RoomId("open.ipynb"))
        ana = peer("ana")
        entry.room.join(ana)
        await run_first_cell(entry)
        draining = asyncio.ensure_future(rooms.drain())
        await asyncio.sleep(0)  # the drain tells every peer to go, then waits for them
        entry.room.leave(ana)  # as the peer does once told to go
        assert await draining == 1
        await asyncio.sleep(policy.unload_delay * 6)  # past the delay an empty room waits
        assert rooms.get(RoomId("open.ipynb")) is entry
        assert "open.ipynb" not in rooms.kept
    stopped = entry.room.doc.get("kernel", type=Map)["stopped"]
    assert stopped["reason"] == "server"
    assert stopped["at"] is not None
