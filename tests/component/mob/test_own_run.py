"""In mob mode a navigator stops their own run and no other's: whose run the kernel executes
is the runner's word, not the document's `current`, which lags it by a flush."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pycrdt import Doc, Map

from pairbook.auth import Role
from pairbook.kernel.outcome import ExecutionOutcome
from pairbook.kernel.runner import Runner
from pairbook.kernel.service import KernelService
from pairbook.mob.service import MobService
from pairbook.types import SERVER_USER
from support.kernelkit import ScriptedKernel, ScriptedKernels, Turn, running
from support.servicekit import Kit, Person, service_kit, settle

QUICK, LONG = "x = 1\nprint(x)", "y = x + 1\ny"  # the kit notebook's code-0 and code-1


async def until_interrupted(turn: Turn) -> ExecutionOutcome:
    return await turn.until_interrupted()


@dataclass
class Mob:
    kit: Kit
    runner: Runner
    kernels: ScriptedKernels
    olga: Person
    ana: Person
    bo: Person

    @property
    def kernel(self) -> ScriptedKernel:
        (made,) = self.kernels.made
        return made

    def status(self, execution: str) -> str | None:
        record = self.kit.room.doc.get("executions", type=Map).get(execution)
        return record.get("status") if isinstance(record, dict) else None

    async def until(self, check: Callable[[], bool]) -> None:
        """Let the room and the runner's worker work until `check()` holds."""
        for _ in range(10_000):
            if check():
                return
            await settle(self.kit.room)
        raise AssertionError("never happened")

    async def show_current(self, record: dict[str, Any] | None) -> None:
        """The document's `current` as a lagging flush leaves it."""

        def write(doc: Doc[Any]) -> None:
            doc.get("kernel", type=Map)["current"] = record

        await self.kit.room.apply_server_edit(write, SERVER_USER, protected=True)


@contextlib.asynccontextmanager
async def mob_room(tmp_path: Path) -> AsyncIterator[Mob]:
    """A mob room with a runner on the scripted kernel: Olga owns it, Ana and Bo edit."""
    async with service_kit(tmp_path) as kit:
        kernels = ScriptedKernels({LONG: until_interrupted})
        runner = Runner(kit.handle, kernels, "python3", kernel_state=False, flush_seconds=0)
        kernel = KernelService(runner)
        kit.room.attach([MobService(kit.handle, clock=kit.clock), kernel])
        try:
            async with running(kernel.run()):
                olga = await kit.join("olga", Role.OWNER)
                ana, bo = await kit.join("ana"), await kit.join("bo")
                mob = Mob(kit, runner, kernels, olga, ana, bo)
                await olga.ok("mob-mode", mode="mob")
                yield mob
        finally:
            await kernel.close()


async def test_a_navigator_cannot_stop_the_drivers_run_while_the_document_names_their_own(
    tmp_path: Path,
) -> None:
    async with mob_room(tmp_path) as mob:
        assert (await mob.olga.ok("mob-handover"))["driver"] == "ana"
        (anas,) = (await mob.ana.ok("run", cells=["code-0"]))["queued"]
        await mob.until(lambda: mob.status(anas) == "ok")
        record = mob.kit.room.doc.get("executions", type=Map)[anas]
        assert (await mob.ana.ok("mob-handover"))["driver"] == "bo"
        (bos,) = (await mob.bo.ok("run", cells=["code-1"]))["queued"]
        await mob.until(lambda: mob.runner.current is not None)
        await mob.show_current(record)  # Ana's run, ended: its end's flush not made yet
        assert await mob.ana.refused("interrupt") == (
            "mob mode: only the driver (Bo), the owner or whoever started the run can interrupt it"
        )
        assert not mob.kernel.interrupted.is_set()
        assert (await mob.bo.ok("interrupt"))["interrupted"] == bos
        await mob.until(lambda: mob.status(bos) == "interrupted")


async def test_a_navigator_stops_their_own_run_before_the_document_names_it(
    tmp_path: Path,
) -> None:
    async with mob_room(tmp_path) as mob:
        assert (await mob.olga.ok("mob-handover"))["driver"] == "ana"
        (anas,) = (await mob.ana.ok("run", cells=["code-1"]))["queued"]
        await mob.until(lambda: mob.runner.current is not None)
        assert (await mob.ana.ok("mob-handover"))["driver"] == "bo"
        await mob.show_current(None)  # its start's flush not made yet
        assert (await mob.ana.ok("interrupt"))["interrupted"] == anas
        await mob.until(lambda: mob.status(anas) == "interrupted")
