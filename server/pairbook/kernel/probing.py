"""Prober: silent probes of the kernel's namespace and packages, fed to the kernel-state view.

Probes and runs never overlap: both hold `lock` while they talk to the kernel. A restart,
shutdown or kernel change bumps `epoch` (`forget`) and cancels the probe (`abandon`): what a
run or probe of the previous kernel learned is dropped, not written over the reset.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from pycrdt import Map

from pairbook.errors import KernelError
from pairbook.kernel.outcome import ExecutionOutcome
from pairbook.kernel.ports import Kernel, RunnerRoom
from pairbook.kernel.probe import (
    packages_expressions,
    probe_answer,
    probe_expressions,
    probe_missing,
)
from pairbook.kernel.queue import Execution, ExecutionStatus
from pairbook.schema import KERNEL_MAP
from pairbook.state.model import Run, source_hash
from pairbook.state.view import StateView, Write
from pairbook.types import SERVER_USER

log = logging.getLogger("pairbook.runner")

PROBE_SECONDS = 10.0  # a namespace probe that takes longer is abandoned


class Prober:
    """Keeps the kernel-state view (None: turned off) in step with the kernel."""

    def __init__(
        self,
        room: RunnerRoom,
        view: StateView | None,
        *,
        clock: Callable[[], float] = time.time,
        probe_seconds: float = PROBE_SECONDS,
    ) -> None:
        self._room, self.view = room, view
        self._clock, self._probe_seconds = clock, probe_seconds
        self.lock = asyncio.Lock()
        self.epoch = 0
        self.modules_seen = 0  # the imports whose packages were looked up
        self._probe: asyncio.Future[dict[str, Any]] | None = None
        self._installed = False  # the kernel has the probe module: a probe answered

    @property
    def new_modules(self) -> bool:
        """Whether the kernel imported modules whose packages are not looked up yet."""
        return self.view is not None and self.view.model.modules != self.modules_seen

    def run_expressions(self, kernel: Kernel) -> dict[str, str] | None:
        """The probe to send along with a run on `kernel` (None: the view is off); the
        module's source goes along only to a kernel that may lack it."""
        if self.view is None:
            return None
        if not kernel.started:  # this run starts a new kernel process
            self._installed = False
        return probe_expressions(self.view.model.generation, installed=self._installed)

    def forget(self) -> None:
        """The kernel's namespace is going: what runs and probes now under way learn of it
        is dropped."""
        self.epoch += 1
        self._installed = False

    def abandon(self) -> None:
        """Cancel the probe under way, if any (its caller sees a KernelError)."""
        if self._probe is not None:
            self._probe.cancel()

    async def reset(self) -> None:
        """Clear the view (the kernel's namespace is gone)."""
        if self.view is not None:
            self.modules_seen = 0
            await self._room.apply_server_edit(self.view.reset(), SERVER_USER, protected=True)

    async def after_run(
        self,
        kernel: Kernel,
        execution: Execution,
        source: str,
        outcome: ExecutionOutcome | None,
        epoch: int,
    ) -> Write | None:
        """The view's edit after a run: its probe answer came with the run's reply; a run
        that failed gets a silent probe of its own. None: nothing to write."""
        if self.view is None:
            return None
        if execution.status is ExecutionStatus.DEAD:
            return self.view.reset()
        answer = None
        try:
            if outcome is not None and outcome.user_expressions:
                if probe_missing(outcome.user_expressions):
                    self._installed = False  # a new kernel process: send the module
                    answer = await self._silent_probe(kernel)
                else:
                    answer = self._answered(outcome.user_expressions)
            elif kernel.started:
                answer = await self._silent_probe(kernel)
        except KernelError as exc:
            log.warning("namespace probe failed", extra={"room": self._room.id, "error": str(exc)})
        if epoch != self.epoch:
            return None  # the kernel restarted meanwhile: this run's namespace is gone
        run = Run(
            execution.id,
            execution.cell_id,
            execution.execution_count,
            execution.user.copy(),
            execution.finished_at or self._clock(),
            source,
            execution.source_hash or source_hash(source),
        )
        return self.view.after_run(run, answer)

    async def refresh(self, kernel: Kernel, *, running: bool) -> dict[str, Any]:
        """Probe the namespace now, between runs (`running`: a run is under way or queued,
        and the view refreshes when it ends). Another probe holding the kernel meanwhile
        (the packages lookup after a run) is waited for: nothing is running then."""
        if self.view is None:
            raise ValueError("the kernel-state view is turned off on this server")
        if not kernel.started:
            return {"refreshed": False, "reason": "the kernel is not running"}
        if running:
            return {"refreshed": False, "reason": "a run is in progress; the view refreshes "
                    "when it ends"}  # fmt: skip
        epoch = self.epoch
        async with self.lock:
            if not kernel.started:  # stopped while the other probe held it
                return {"refreshed": False, "reason": "the kernel is not running"}
            answer = await self._silent_probe(kernel)
        if epoch != self.epoch:
            return {"refreshed": False, "reason": "the kernel restarted meanwhile"}
        await self._room.apply_server_edit(
            self.view.after_refresh(answer), SERVER_USER, protected=True
        )
        return {"refreshed": True, "count": len(self.view.model.names)}

    async def packages(
        self, kernel: Kernel, *, running: bool, wait: bool = True
    ) -> list[dict[str, Any]] | None:
        """The distributions behind the modules the kernel imported (the last known list
        when a run is under way or queued, or the kernel stopped); another probe holding
        the kernel meanwhile is waited for. Not `wait`ing for the kernel's index of its
        distributions (built in a thread of its own, seconds when cold): None while it is
        being built, so that the lookup never holds the kernel up for a run."""
        if self.view is None:
            raise ValueError("the kernel-state view is turned off on this server")
        if not kernel.started or running:
            return self._known_packages()
        async with self.lock:
            if not kernel.started:
                return self._known_packages()
            expressions = packages_expressions(wait=wait)
            packages = probe_answer(await self._evaluate(kernel, expressions))
        if packages is None:
            return None
        self.modules_seen = self.view.model.modules
        await self._room.apply_server_edit(
            self.view.set_packages(packages), SERVER_USER, protected=True
        )
        return list(packages)

    async def look_up_packages(self, kernel: Kernel, *, running: bool) -> bool:
        """The packages lookup after new imports: False while the kernel is still indexing
        its distributions (look again in a moment), True once done or failed (logged)."""
        try:
            return await self.packages(kernel, running=running, wait=False) is not None
        except KernelError as exc:
            log.info("packages lookup failed", extra={"room": self._room.id, "error": str(exc)})
            return True

    async def _silent_probe(self, kernel: Kernel) -> Any:
        """A probe of its own, between runs; the module goes along if the kernel lacks it."""
        assert self.view is not None
        if self._installed:
            reply = await self._evaluate(kernel, probe_expressions(self.view.model.generation,
                                                                   installed=True))  # fmt: skip
            if not probe_missing(reply):
                return self._answered(reply)
            self._installed = False
        return self._answered(
            await self._evaluate(kernel, probe_expressions(self.view.model.generation))
        )

    def _answered(self, user_expressions: dict[str, Any]) -> Any:
        answer = probe_answer(user_expressions)  # KernelError if the probe failed
        self._installed = True
        return answer

    def _known_packages(self) -> list[dict[str, Any]]:
        known = self._room.doc.get(KERNEL_MAP, type=Map).get("packages")
        return list(known) if isinstance(known, list) else []

    async def _evaluate(self, kernel: Kernel, expressions: dict[str, str]) -> dict[str, Any]:
        """A silent probe that a restart, shutdown or kernel change can abandon."""
        probe = asyncio.ensure_future(
            asyncio.wait_for(kernel.evaluate(expressions), self._probe_seconds)
        )
        self._probe = probe
        try:
            return await probe
        except (asyncio.CancelledError, TimeoutError) as exc:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # we are being cancelled ourselves
            raise KernelError("the namespace probe was abandoned") from exc
        finally:
            self._probe = None
