"""Runner: the room's shared kernel, its queue, and what runs write into the document."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pycrdt import Map

from pairbook.auth import Role
from pairbook.errors import KernelError
from pairbook.kernel import Execution, ExecutionQueue, ExecutionStatus, KernelSession, kernel_specs
from pairbook.kernel.confine import Confinement
from pairbook.kernel.probe import packages_expressions, probe_answer, probe_expressions
from pairbook.kernel.queue import source_hash
from pairbook.kernel.session import ExecutionOutcome, KernelStatus
from pairbook.notebook.outputs import (
    append_output,
    cell_ids,
    clear_outputs,
    code_cell_source,
    find_ycell,
    output_from_message,
    output_size,
    replace_output,
    truncation_note,
)
from pairbook.rooms.kernelstate import StateView, Write
from pairbook.rooms.peer import Peer
from pairbook.rooms.room import Room
from pairbook.state.model import Run
from pairbook.types import SERVER_USER

log = logging.getLogger("pairbook.runner")

FLUSH_SECONDS = 0.02
PROBE_SECONDS = 10.0  # a namespace probe that takes longer is abandoned
PACKAGES_DELAY = 1.0  # idle seconds after new imports before their packages are looked up

COMMANDS = (
    "kernels", "run", "run-all", "run-above", "run-below", "cancel", "interrupt", "restart",
    "shutdown", "input-reply", "set-kernel", "refresh-state", "packages",
)  # fmt: skip


class Runner:
    """Everyone in a room shares one kernel. Runs are queued in request order, attributed
    to whoever asked, and their outputs stream into the document as they arrive."""

    def __init__(
        self,
        room: Room,
        cwd: Path,
        kernel_name: str,
        *,
        output_limit: int = 1_000_000,
        kernel_state: bool = True,
        confinement: Confinement | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.room = room
        self._cwd = cwd
        self._confinement = confinement
        self.queue = ExecutionQueue(clock)
        self.current: Execution | None = None
        self.session = self._new_session(kernel_name or "python3")
        self._clock = clock
        self._output_limit = output_limit
        self._wakeup = asyncio.Event()
        self._pending: list[tuple[str, dict[str, Any]]] = []
        self._flush_now = asyncio.Event()
        self._inputs: dict[str, tuple[str, asyncio.Future[str]]] = {}  # run -> (user, answer)
        self._displays: dict[str, list[tuple[str, int]]] = {}
        self._status_changed = asyncio.Event()
        self._specs = kernel_specs()
        self._last_event: dict[str, Any] | None = None
        # The kernel-state view (None: turned off). Probes and runs never overlap: both
        # hold this lock while they talk to the kernel.
        self.state = StateView(room, clock) if kernel_state else None
        self._kernel_lock = asyncio.Lock()
        self._modules_seen = 0
        self._probe: asyncio.Future[dict[str, Any]] | None = None
        # Bumped when the kernel's namespace goes (restart, shutdown, another kernel): what a
        # run or probe of the previous kernel learned is dropped, not written over the reset.
        self._epoch = 0

    # -- commands ------------------------------------------------------------------------

    async def command(self, peer: Peer, body: dict[str, Any]) -> dict[str, Any]:
        """Handle a kernel command from a peer; returns the result for the reply."""
        name = body.get("command")
        if name == "kernels":
            self._specs = kernel_specs()
            return {"kernels": self._specs, "current": self.session.kernel_name}
        if not peer.role.can_edit:
            raise PermissionError("viewers cannot run cells or control the kernel")
        if name == "run":
            cells = body.get("cells")
            if not isinstance(cells, list) or not all(isinstance(c, str) for c in cells):
                raise ValueError("run needs 'cells': a list of cell ids")
            return await self._enqueue(peer, cells)
        if name in ("run-all", "run-above", "run-below"):
            ids = cell_ids(self.room.doc)
            anchor = body.get("cell")
            if name != "run-all":
                if anchor not in ids:
                    raise ValueError(f"{name} needs 'cell': the id of a cell in this notebook")
                at = ids.index(str(anchor))
                ids = ids[:at] if name == "run-above" else ids[at:]
            return await self._enqueue(peer, ids)
        if name == "cancel":
            return await self._cancel(peer, str(body.get("execution", "")))
        if name == "interrupt":
            if self.current is None:
                return {"interrupted": None}
            await self.session.interrupt()
            await self._note_event("interrupt", peer)
            return {"interrupted": self.current.id if self.current else None}
        if name == "restart":
            return await self._restart(peer)
        if name == "shutdown":
            dropped = self.queue.clear()
            await self._publish()
            self._epoch += 1
            self._abandon_probe()
            await self.session.shutdown()
            await self._reset_state()
            await self._note_event("shutdown", peer)
            return {"cancelled": [e.id for e in dropped]}
        if name == "refresh-state":
            return await self._refresh_state()
        if name == "packages":
            return {"packages": await self.refresh_packages()}
        if name == "input-reply":
            waiting = self._inputs.get(str(body.get("execution")))
            if waiting is None or waiting[1].done():
                raise ValueError("no run is waiting for your input")
            asker, future = waiting
            if asker != peer.user.id:
                # input() may ask for a password: only the person who ran the cell answers.
                raise PermissionError("only the person who ran this cell can answer its prompt")
            future.set_result(str(body.get("value", "")))
            return {"sent": True}
        if name == "set-kernel":
            if peer.role is not Role.OWNER:
                raise PermissionError("only the owner can change the room's kernel")
            kernel = str(body.get("kernel", ""))
            self._specs = kernel_specs()
            if kernel not in self._specs:
                raise ValueError(f"no kernel named {kernel!r}; installed: {sorted(self._specs)}")
            self._epoch += 1
            self._abandon_probe()
            await self.session.shutdown()
            self.session = self._new_session(kernel)
            await self._reset_state()
            await self._note_event("set-kernel", peer)
            await self._write_kernel()
            return {"kernel": kernel}
        raise LookupError(f"unknown command {name!r}")

    def _new_session(self, kernel_name: str) -> KernelSession:
        return KernelSession(kernel_name, self._cwd, self._on_status, confinement=self._confinement)

    async def _enqueue(self, peer: Peer, cells: list[str]) -> dict[str, Any]:
        runnable = []
        for cell_id in cells:
            ycell = find_ycell(self.room.doc, cell_id)
            if ycell is None:
                raise ValueError(f"no cell {cell_id!r} in this notebook")
            if code_cell_source(ycell) is not None:
                runnable.append(cell_id)
        user = {"id": peer.user.id, "name": peer.user.name, "color": peer.user.colour}
        queued = [self.queue.push(cell_id, user, peer.key) for cell_id in runnable]
        self._wakeup.set()
        await self._publish(*queued)  # queued runs have their record from the start
        return {"queued": [e.id for e in queued]}

    async def _cancel(self, peer: Peer, execution_id: str) -> dict[str, Any]:
        waiting = next((e for e in self.queue if e.id == execution_id), None)
        if waiting is None:
            raise ValueError("that run is not waiting in the queue (it may have started)")
        if waiting.user["id"] != peer.user.id and peer.role is not Role.OWNER:
            raise PermissionError("only the person who queued a run, or the owner, can cancel it")
        cancelled = self.queue.cancel(execution_id)
        assert cancelled is not None
        cancelled.extra["cancelled_by"] = peer.user.id
        await self._publish(cancelled)
        return {"cancelled": execution_id}

    async def _restart(self, peer: Peer) -> dict[str, Any]:
        self._epoch += 1
        dropped = self.queue.clear()
        await self._publish(*dropped)
        await self._note_event("restart", peer)
        if self.current is not None:
            await self.session.interrupt()
        self._abandon_probe()
        await self.session.restart()
        await self._reset_state()
        return {"restarted": True, "cancelled": [e.id for e in dropped]}

    # -- the worker ----------------------------------------------------------------------

    async def run(self) -> None:
        """Run queued executions one at a time and keep the kernel map current, forever;
        owned by the room's task group."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self._run_queue())
            group.create_task(self._keep_status())
            if self.state is not None:
                if self.state.has_leftovers():
                    # A new kernel has an empty namespace: clear what an earlier one left.
                    await self._reset_state()
                group.create_task(self.state.keep_current())

    async def _keep_status(self) -> None:
        while True:
            await self._status_changed.wait()
            self._status_changed.clear()
            try:
                await self._write_kernel()
            except Exception:
                log.exception("kernel status write failed", extra={"room": self.room.id})

    async def _run_queue(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while (execution := self.queue.pop()) is not None:
                try:
                    async with self._kernel_lock:
                        await self._execute(execution)
                except Exception:
                    log.exception("run failed", extra={"room": self.room.id, "run": execution.id})
                    self.current = None
            if self.state is not None and self.state.model.modules != self._modules_seen:
                # New imports: look up their distributions once the kernel has been idle a
                # moment (a run asked for meanwhile goes first).
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), PACKAGES_DELAY)
                if not self._wakeup.is_set():
                    with contextlib.suppress(KernelError):
                        await self.refresh_packages()

    async def _execute(self, execution: Execution) -> None:
        doc = self.room.doc
        ycell = find_ycell(doc, execution.cell_id)
        source = code_cell_source(ycell) if ycell is not None else None
        if ycell is None or source is None:
            execution.status = ExecutionStatus.CANCELLED
            execution.error = "the cell was deleted or is no longer a code cell"
            execution.finished_at = self._clock()
            await self._publish(execution)
            return
        self.current = execution
        since = self.state.model.generation if self.state is not None else None
        epoch = self._epoch
        execution.status = ExecutionStatus.RUNNING
        execution.started_at = self._clock()
        execution.source_hash = source_hash(source)
        await self._publish(execution)
        await self.room.apply_server_edit(lambda _doc: self._start_cell(execution), SERVER_USER)
        budget = _Budget(self._output_limit)
        flusher = asyncio.create_task(self._flush_loop(execution, budget))
        try:
            outcome = await self.session.execute(
                source,
                lambda kind, content: self._collect(kind, content),
                lambda prompt, password: self._ask(execution, prompt, password),
                None if since is None else probe_expressions(since),
            )
            failure = None
        except KernelError as exc:
            outcome, failure = None, str(exc)
        finally:
            budget.finished.set()
            self._flush_now.set()
            await flusher  # it writes what is left and stops

        execution.finished_at = self._clock()
        if outcome is None:
            execution.status, execution.error = ExecutionStatus.ERROR, failure
        else:
            execution.execution_count = outcome.execution_count
            interrupted = outcome.ename == "KeyboardInterrupt"
            execution.status = {
                "ok": ExecutionStatus.OK,
                "dead": ExecutionStatus.DEAD,
                "aborted": ExecutionStatus.CANCELLED,
            }.get(
                outcome.status,
                ExecutionStatus.INTERRUPTED if interrupted else ExecutionStatus.ERROR,
            )
        # Not running any more: an interrupt from now on must not hang over the next run.
        self.current = None
        view = await self._view_after(execution, source, outcome, epoch)
        await self.room.apply_server_edit(lambda _doc: self._finish_cell(execution), SERVER_USER)
        dropped = self.queue.clear() if execution.status is ExecutionStatus.DEAD else []
        await self._publish(execution, *dropped, also=view)

    async def _view_after(
        self, execution: Execution, source: str, outcome: ExecutionOutcome | None, epoch: int
    ) -> Write | None:
        """The kernel-state view after a run: its probe answer came with the run's reply;
        a run that failed gets a silent probe of its own."""
        if self.state is None:
            return None
        if execution.status is ExecutionStatus.DEAD:
            return self.state.reset()
        answer = None
        try:
            if outcome is not None and outcome.user_expressions:
                answer = probe_answer(outcome.user_expressions)
            elif self.session.started:
                answer = probe_answer(
                    await self._evaluate(probe_expressions(self.state.model.generation))
                )
        except KernelError as exc:
            log.warning("namespace probe failed", extra={"room": self.room.id, "error": str(exc)})
        if epoch != self._epoch:
            return None  # the kernel restarted meanwhile: this run's namespace is gone
        run = Run(
            execution.id,
            execution.cell_id,
            execution.execution_count,
            dict(execution.user),
            execution.finished_at or self._clock(),
            source,
            execution.source_hash or source_hash(source),
        )
        return self.state.after_run(run, answer)

    async def _refresh_state(self) -> dict[str, Any]:
        """Probe the namespace now (between runs); a busy kernel refreshes after its run."""
        if self.state is None:
            raise ValueError("the kernel-state view is turned off on this server")
        if not self.session.started:
            return {"refreshed": False, "reason": "the kernel is not running"}
        if self._kernel_lock.locked():
            return {"refreshed": False, "reason": "a run is in progress; the view refreshes "
                    "when it ends"}  # fmt: skip
        epoch = self._epoch
        async with self._kernel_lock:
            expressions = probe_expressions(self.state.model.generation)
            answer = probe_answer(await self._evaluate(expressions))
        if epoch != self._epoch:
            return {"refreshed": False, "reason": "the kernel restarted meanwhile"}
        await self.room.apply_server_edit(
            self.state.after_refresh(answer), SERVER_USER, protected=True
        )
        return {"refreshed": True, "count": len(self.state.model.names)}

    async def refresh_packages(self) -> list[dict[str, Any]]:
        """The distributions behind the modules the kernel imported (the last known list
        when the kernel is busy or stopped)."""
        if self.state is None:
            raise ValueError("the kernel-state view is turned off on this server")
        if not self.session.started or self._kernel_lock.locked():
            known = self.room.doc.get("kernel", type=Map).get("packages")
            return list(known) if isinstance(known, list) else []
        async with self._kernel_lock:
            packages = probe_answer(await self._evaluate(packages_expressions()))
        self._modules_seen = self.state.model.modules
        await self.room.apply_server_edit(
            self.state.set_packages(packages), SERVER_USER, protected=True
        )
        return list(packages)

    async def _evaluate(self, expressions: dict[str, str]) -> dict[str, Any]:
        """A silent probe that a restart, shutdown or kernel change can abandon."""
        probe = asyncio.ensure_future(
            asyncio.wait_for(self.session.evaluate(expressions), PROBE_SECONDS)
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

    def _abandon_probe(self) -> None:
        if self._probe is not None:
            self._probe.cancel()

    async def _reset_state(self) -> None:
        if self.state is not None:
            self._modules_seen = 0
            await self.room.apply_server_edit(self.state.reset(), SERVER_USER, protected=True)

    def _start_cell(self, execution: Execution) -> None:
        ycell = find_ycell(self.room.doc, execution.cell_id)
        if ycell is None:
            return
        clear_outputs(ycell)
        ycell["execution_state"] = "running"

    def _finish_cell(self, execution: Execution) -> None:
        ycell = find_ycell(self.room.doc, execution.cell_id)
        if ycell is None:
            return
        ycell["execution_state"] = "idle"
        if execution.execution_count is not None:
            ycell["execution_count"] = execution.execution_count
        ymeta = ycell.get("metadata")
        if isinstance(ymeta, Map):
            ymeta["pairbook"] = {"last_run": execution.to_json()}

    def _collect(self, kind: str, content: dict[str, Any]) -> None:
        self._pending.append((kind, content))
        self._flush_now.set()

    async def _flush_loop(self, execution: Execution, budget: _Budget) -> None:
        """Write outputs as they come: the first at once, then at most one edit per
        FLUSH_SECONDS, so a flood of prints becomes a few large edits, not thousands."""
        while True:
            await self._flush_now.wait()
            self._flush_now.clear()
            await self._flush(execution, budget)
            if budget.finished.is_set():
                await self._flush(execution, budget)
                return
            with contextlib.suppress(TimeoutError):  # pace the edits, but not past the end
                await asyncio.wait_for(budget.finished.wait(), FLUSH_SECONDS)

    async def _flush(self, execution: Execution, budget: _Budget) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        await self.room.apply_server_edit(
            lambda _doc: self._write_outputs(execution, pending, budget), SERVER_USER
        )

    def _write_outputs(
        self, execution: Execution, pending: list[tuple[str, dict[str, Any]]], budget: _Budget
    ) -> None:
        ycell = find_ycell(self.room.doc, execution.cell_id)
        if ycell is None:
            return
        for kind, content in pending:
            if kind == "clear_output":
                if budget.spent:
                    continue
                if content.get("wait"):
                    budget.clear_pending = True
                else:
                    clear_outputs(ycell)
                    budget.reset()
                continue
            output = output_from_message(kind, content)
            if output is None:
                continue
            display_id = (content.get("transient") or {}).get("display_id")
            if kind == "update_display_data":
                targets = self._displays.get(str(display_id), [])
                # Each update is a new edit every peer receives: it spends the run's budget
                # like new output does, once per display it rewrites.
                if targets and not budget.take(output_size(output) * len(targets)):
                    self._note_truncation(ycell, budget)
                    continue
                for cell_id, index in targets:
                    target = find_ycell(self.room.doc, cell_id)
                    if target is not None:
                        replace_output(target, index, output)
                continue
            if budget.clear_pending:
                clear_outputs(ycell)
                budget.reset()
            if not budget.take(output_size(output)):
                self._note_truncation(ycell, budget)
                continue
            index = append_output(ycell, output)
            if display_id:
                self._displays.setdefault(str(display_id), []).append((execution.cell_id, index))

    @staticmethod
    def _note_truncation(ycell: Map[Any], budget: _Budget) -> None:
        if not budget.noted:
            budget.noted = True
            append_output(ycell, truncation_note(budget.limit))

    async def _ask(self, execution: Execution, prompt: str, password: bool) -> str:
        """input() in a cell: ask the person who ran it; everyone else sees it waiting."""
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._inputs[execution.id] = (str(execution.user.get("id")), future)
        execution.status = ExecutionStatus.WAITING_INPUT
        execution.extra["prompt"] = prompt
        await self._publish(execution)
        event = {"event": "input-request", "execution": execution.id, "cell": execution.cell_id,
                 "prompt": prompt, "password": password}  # fmt: skip
        for peer in self.room.peers:
            if peer.key == execution.requested_by:
                self.room.notify_peer(peer, event)
        try:
            return await future
        finally:
            self._inputs.pop(execution.id, None)
            execution.status = ExecutionStatus.RUNNING
            await self._publish(execution)

    # -- pairbook's own maps -------------------------------------------------------------

    def _on_status(self, status: KernelStatus) -> None:
        self._status_changed.set()

    async def _note_event(self, kind: str, peer: Peer) -> None:
        self._last_event = {"kind": kind, "by": {"id": peer.user.id, "name": peer.user.name},
                            "at": self._clock()}  # fmt: skip
        await self._write_kernel()

    async def _write_kernel(self) -> None:
        specs = self._specs
        state = {
            "name": self.session.kernel_name,
            "display_name": specs.get(self.session.kernel_name, self.session.kernel_name),
            "status": self.session.status,
            "last_event": self._last_event,
        }

        def write(doc: Any) -> None:
            ykernel = doc.get("kernel", type=Map)
            for key, value in state.items():
                if ykernel.get(key) != value:
                    ykernel[key] = value

        await self.room.apply_server_edit(write, SERVER_USER, protected=True)

    async def _publish(self, *executions: Execution, also: Write | None = None) -> None:
        """Write the queue, the current run and these runs' records in one edit (with
        `also`, another write to pairbook's maps, such as the kernel-state view)."""
        commit = self._publish_soon(*executions, also=also)
        if commit is not None:
            await commit

    def _publish_soon(
        self, *executions: Execution, also: Write | None = None
    ) -> asyncio.Task[int] | None:
        waiting = [e.to_json() for e in self.queue]
        current = self.current.to_json() if self.current else None
        records = {e.id: {**e.to_json(), **e.extra} for e in executions}

        def write(doc: Any) -> None:
            ykernel = doc.get("kernel", type=Map)
            if ykernel.get("queue") != waiting:
                ykernel["queue"] = waiting
            if ykernel.get("current") != current:
                ykernel["current"] = current
            if records:
                yexecutions = doc.get("executions", type=Map)
                for execution_id, record in records.items():
                    yexecutions[execution_id] = record
            if also is not None:
                also(doc)

        return self.room.start_server_edit(write, SERVER_USER, protected=True)

    async def close(self) -> None:
        if self.state is not None:
            self.state.close()
        self.queue.clear()
        await self.session.shutdown()


TRAFFIC_FACTOR = 10
"""A run may write at most this many times its output limit in all, cleared output and
display updates included (a clear_output loop must not stream without end to every peer)."""


class _Budget:
    """How many output bytes one run may still keep in its cell, and still send at all."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.written = 0  # never reset by a clear
        self.spent = False
        self.noted = False
        self.clear_pending = False
        self.finished = asyncio.Event()

    def take(self, size: int) -> bool:
        if self.written + size > self.limit * TRAFFIC_FACTOR:
            self.spent = True  # for the rest of the run: the cell stays as it is, note and all
            return False
        if self.used + size > self.limit:
            return False
        self.used += size
        self.written += size
        return True

    def reset(self) -> None:
        self.used = 0
        self.noted = False
        self.clear_pending = False
