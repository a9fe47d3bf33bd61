"""KernelSession: one real Jupyter kernel, started on demand, run one cell at a time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from jupyter_client.kernelspec import NoSuchKernel
from jupyter_client.manager import AsyncKernelManager

from pairbook.envs import Environment
from pairbook.errors import KernelError
from pairbook.kernel.confine import Confinement, KernelJail
from pairbook.kernel.confined import confined_manager, follow_comm, kernel_environment
from pairbook.kernel.environment import NotebookEnvironment, kernel_specs, manager_spec, spec_of
from pairbook.kernel.landing import ABANDONED_REPLY_TRIES, Landing, LandingFactory
from pairbook.kernel.outcome import ExecutionOutcome, outcome_of
from pairbook.kernel.running import REPLY_TRIES, InputCallback, OutputCallback, Running, reply_to
from pairbook.kernel.winddown import wind_down

log = logging.getLogger("pairbook.kernel")

KernelStatus = Literal["not started", "starting", "idle", "busy", "restarting", "dead"]
StatusCallback = Callable[[KernelStatus], None]
Observer = Callable[[dict[str, Any]], bool]  # sees every IOPub message first; True: took it

OUTPUT_TYPES = frozenset(
    {"stream", "display_data", "execute_result", "error", "clear_output", "update_display_data"}
)


class KernelSession:
    """A kernel for one room: start, execute with streamed outputs and stdin, interrupt,
    restart, shut down. Status changes are reported through `on_status`."""

    def __init__(
        self,
        kernel_name: str,
        cwd: Path,
        on_status: StatusCallback,
        *,
        confinement: Confinement | None = None,
        startup_timeout: float = 60.0,
        environment: NotebookEnvironment | None = None,
        landing: LandingFactory = Landing,
    ) -> None:
        self.kernel_name = kernel_name
        self._landing = landing
        self._notebook_env = environment
        self._confinement = confinement or Confinement()
        self._jail: KernelJail | None = None
        self._cwd = cwd
        self._on_status = on_status
        self._startup_timeout = startup_timeout
        self._manager: AsyncKernelManager | None = None
        self._client: Any = None
        self.status: KernelStatus = "not started"
        self._executing = self._interrupt_pending = self._interrupted = False
        self._run: Running | None = None
        self._sockets: tempfile.TemporaryDirectory[str] | None = None
        self.observer: Observer | None = None

    def _set_status(self, status: KernelStatus) -> None:
        if status != self.status:
            self.status = status
            self._on_status(status)

    @property
    def started(self) -> bool:
        return self._manager is not None and self._manager.has_kernel

    async def start(self) -> None:
        if self.started:
            return
        self._set_status("starting")
        try:
            env = await self._notebook_env.prepare() if self._notebook_env else None
        except KernelError:
            self._set_status("dead")
            raise
        manager = self._new_manager(env)
        try:
            await manager.start_kernel(
                cwd=str(self._cwd), env=await asyncio.to_thread(self._environment)
            )
        except NoSuchKernel as exc:
            self._forget_sockets()
            self._set_status("dead")
            raise KernelError(
                f"no kernel named {self.kernel_name!r} is installed; pick one of: "
                f"{', '.join(sorted(kernel_specs())) or 'none'}"
            ) from exc
        except Exception as exc:
            self._forget_sockets()
            self._set_status("dead")
            raise KernelError(f"the {self.kernel_name} kernel failed to start: {exc}") from exc
        client = manager.client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=self._startup_timeout)
        except RuntimeError as exc:
            client.stop_channels()
            await manager.shutdown_kernel(now=True)
            self._forget_sockets()
            self._set_status("dead")
            raise KernelError(f"the {self.kernel_name} kernel did not become ready: {exc}") from exc
        self._manager, self._client = manager, client
        self._note_started()
        self._set_status("idle")
        log.info("kernel started", extra={"kernel": self.kernel_name})

    def _new_manager(self, env: Environment | None = None) -> AsyncKernelManager:
        """On POSIX, a confined manager talking over Unix sockets (`confined_manager`)."""
        if os.name != "posix":
            return AsyncKernelManager(kernel_name=self.kernel_name)
        self._sockets = tempfile.TemporaryDirectory(prefix="pairbook-kernel-")
        sockets = Path(self._sockets.name)
        self._jail = self._jail or self._confinement.jail()
        spec = manager_spec(env, sockets, self.kernel_name)
        return confined_manager(spec, sockets, self._jail, self._cwd)

    def _environment(self) -> dict[str, str]:
        sockets = Path(self._sockets.name) if self._sockets is not None else None
        return kernel_environment(self._confinement, sockets)

    def _note_started(self) -> None:
        pid = getattr(getattr(self._manager, "provisioner", None), "pid", None)
        if self._jail is not None and isinstance(pid, int):
            self._jail.started(pid)

    async def _kill_leftovers(self) -> None:
        """Kill every process the kernel left (forked children, daemons), then its cgroup."""
        jail, self._jail = self._jail, None
        if jail is not None and not await jail.released():
            log.warning("kernel processes outlived their kill", extra={"kernel": self.kernel_name})

    def _forget_sockets(self) -> None:
        if self._sockets is not None:
            self._sockets.cleanup()
            self._sockets = None

    def connection_info(self) -> dict[str, Any] | None:
        """How a client of its own reaches the running kernel (completion and inspection
        ask through one), or None when no kernel runs."""
        if self._manager is None or not self.started:
            return None
        return dict(self._manager.get_connection_info())

    async def alive(self) -> bool:
        return self._manager is not None and bool(await self._manager.is_alive())

    async def execute(
        self,
        code: str,
        on_output: OutputCallback,
        on_input: InputCallback,
        user_expressions: dict[str, str] | None = None,
        *,
        on_sent: Callable[[], None] | None = None,
    ) -> ExecutionOutcome:
        """Run code; call `on_output(msg_type, content)` for every output as it arrives and
        `on_input(prompt, password)` for every stdin prompt; starts the kernel if needed.
        `on_sent()` is called once the request is sent (the kernel is busy), before any
        output is read."""
        self._interrupt_pending = False  # asked with no run under way: for one that ended
        if not self.started:
            await self.start()
        msg_id = self._client.execute(
            code, allow_stdin=True, stop_on_error=False, user_expressions=user_expressions or {}
        )
        self._interrupted = False
        self._set_status("busy")
        if on_sent is not None:
            on_sent()
        landing = self._landing(self._interrupt_again_now)
        run = self._run = Running(msg_id, on_output, on_input, landing)
        try:
            if alive := await self._follow(run):  # idle: its reply is on its way (or lost)
                tries = ABANDONED_REPLY_TRIES if run.landing.interrupted else REPLY_TRIES
                reply = await reply_to(self._client, msg_id, self.alive, tries, run.ended)
            if run.gone:  # the restart or shutdown says what the kernel is now
                return ExecutionOutcome("error", run.execution_count, "KeyboardInterrupt")
            if not alive:
                self._set_status("dead")
                return ExecutionOutcome("dead", run.execution_count)
            run.landing.explain(reply, on_output)
        finally:
            run.landing.close()
            self._executing = self._interrupt_pending = False
            self._run = None
            if run.asking is not None:
                run.asking.cancel()
        self._set_status("idle")
        return outcome_of(reply, run.execution_count, self._interrupted)

    async def _follow(self, run: Running) -> bool:
        """Relay the run's outputs and stdin prompts until the kernel is idle (False: it
        died, or went under the run: `gone`)."""
        while True:
            try:
                message = await self._client.get_iopub_msg(timeout=0.1)
            except queue.Empty:
                message = None
            if run.gone:
                return False
            if message is not None and self.observer is not None and self.observer(message):
                continue
            ours = message is not None and message["parent_header"].get("msg_id") == run.msg_id
            if ours and await self._on_iopub(run, message):
                return True
            await self._relay_input(run)
            if message is None and not await self.alive():
                return False

    async def _on_iopub(self, run: Running, message: dict[str, Any]) -> bool:
        """One IOPub message of the run; True when it says the kernel is idle again."""
        kind, content = message["header"]["msg_type"], message["content"]
        if kind == "status" and content.get("execution_state") == "idle":
            return True
        if kind == "execute_input":
            # Only now is the kernel running our code: a SIGINT any earlier could land in
            # the kernel's own message handling.
            run.execution_count = content.get("execution_count")
            self._executing = True
            run.landing.began()
            if self._interrupt_pending:  # asked for before the code started
                self._interrupt_pending = False
                await self.interrupt()
        elif kind in OUTPUT_TYPES:
            run.landing.shown(kind)
            run.on_output(kind, content)
        return False

    async def _relay_input(self, run: Running) -> None:
        """A stdin prompt goes to `on_input`; its answer, once there, to the kernel."""
        if run.gone:
            return
        if run.asking is None:
            with contextlib.suppress(queue.Empty):
                request = await self._client.get_stdin_msg(timeout=0)
                if request["header"]["msg_type"] == "input_request":
                    await self._drain_iopub(run)
                    prompt = str(request["content"].get("prompt", ""))
                    password = bool(request["content"].get("password", False))
                    run.asking = asyncio.ensure_future(run.on_input(prompt, password))
        elif run.asking.done():
            self._client.input(run.asking.result())
            run.asking = None

    async def _drain_iopub(self, run: Running) -> None:
        """Relay the run's outputs already here before its stdin prompt: the kernel flushed
        them before asking, and the prompt's echo must come after them, not before."""
        while True:
            try:
                message = await self._client.get_iopub_msg(timeout=0)
            except queue.Empty:
                return
            if self.observer is not None and self.observer(message):
                continue
            if message["parent_header"].get("msg_id") == run.msg_id:
                await self._on_iopub(run, message)  # not idle: the kernel waits in input()

    async def comm(self, comm_id: str, data: dict[str, Any]) -> bool:
        """Send a `comm_msg` (to a started kernel); the observer sees what it causes (False:
        the kernel died). An interrupt meanwhile reaches its handler (see `_interrupt_again`);
        one asked before, with nothing under way, is dropped, as `execute` drops it."""
        self._interrupt_pending = False
        message = self._client.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
        self._client.shell_channel.send(message)
        self._interrupted = False
        try:
            async with asyncio.TaskGroup() as group:
                again = group.create_task(self._interrupt_again())
                idle = await follow_comm(self._client, message["header"]["msg_id"],
                                         self.observer, self.alive, self._handling)  # fmt: skip
                again.cancel()
            return idle
        finally:
            self._executing = self._interrupt_pending = False

    async def _handling(self) -> None:  # busy with it: `interrupt` now reaches its handler
        self._executing = True
        await (self.interrupt() if self._interrupt_pending else asyncio.sleep(0))

    async def _interrupt_again(self, times: int = 3) -> None:
        """An interrupt sent while the kernel is busy with a comm message is sent again every
        half second (`times` at most) until it is idle: ipykernel ignores SIGINT between its
        handlers, so one landing after "busy" but before the callback began was lost."""
        while times:
            await asyncio.sleep(0.5)
            if self._interrupted and self._executing:
                times -= 1
                await self.interrupt()

    async def evaluate(self, expressions: dict[str, str]) -> dict[str, Any]:
        """Evaluate expressions silently: no history, no execution count, no outputs in any
        cell. Only between runs (the caller serialises it with `execute`)."""
        if not self.started:
            raise KernelError("the kernel is not running")
        msg_id = self._client.execute(
            "", silent=True, store_history=False, user_expressions=expressions, allow_stdin=False
        )
        reply = await reply_to(self._client, msg_id, self.alive)
        if reply is None:
            raise KernelError("the kernel did not answer")
        return dict(reply.get("content", {}).get("user_expressions") or {})

    async def interrupt(self) -> None:
        """Interrupt the running code (or widget callback); asked before it starts, it applies
        once it does (asked with nothing under way, it is dropped when the next run or widget
        message begins: it was meant for one that ended)."""
        if self._manager is not None and self.started and self._executing:
            self._interrupted = True
            await self._manager.interrupt_kernel()
            if self._run is not None:
                self._run.landing.sent()
        else:
            self._interrupt_pending = True

    async def _interrupt_again_now(self) -> None:  # see `Landing`
        if self._manager is not None and self._executing:
            await self._manager.interrupt_kernel()

    def _end_run(self) -> None:
        """The kernel goes (restart, shutdown): so does the run under way, and no interrupt of
        its (one to send again, one pending until its code starts) reaches the next kernel."""
        if self._run is not None:
            self._run.end()
        self._executing = self._interrupt_pending = False

    async def restart(self) -> None:
        if self._manager is None:
            await self.start()
            return
        if self._notebook_env and await self._notebook_env.changed():
            # Its requirements changed: the same manager starts the new environment's kernel.
            spec_of(self._manager, self._notebook_env.current, self._sockets, self.kernel_name)
        self._end_run()
        self._set_status("restarting")
        try:
            await self._manager.shutdown_kernel(now=True, restart=True)
            if self._jail is not None:  # what the old kernel forked goes with it
                self._jail.kill()
            await self._manager.start_kernel(
                cwd=str(self._cwd), env=await asyncio.to_thread(self._environment)
            )
            await self._client.wait_for_ready(timeout=self._startup_timeout)
        except Exception as exc:
            self._set_status("dead")
            raise KernelError(f"the kernel could not restart: {exc}") from exc
        self._note_started()
        self._set_status("idle")

    async def shutdown(self) -> None:
        self._end_run()
        manager, client = self._manager, self._client
        self._manager, self._client = None, None
        if manager is not None and self.status == "busy":  # a run under way, or cut short
            await wind_down(manager, client)
        if client is not None:
            client.stop_channels()
        if manager is not None:
            with contextlib.suppress(Exception):
                await manager.shutdown_kernel(now=False)
        await self._kill_leftovers()
        self._forget_sockets()
        self._set_status("not started")
