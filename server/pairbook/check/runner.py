"""Run a notebook top to bottom with nbclient, in a new kernel started from an environment's
Python, each cell within its own time and all of them within the overall time.

The kernel is started and stopped here rather than by nbclient's `async_setup_kernel`: that
one installs SIGINT/SIGTERM handlers on the event loop and removes them afterwards, which
inside a server would take the server's own handlers away.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_async
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from traitlets import Integer

from pairbook.envs import Environment, Progress
from pairbook.envs.kernelspec import environment_kernel_spec
from pairbook.notebook.node import notebook_node

KERNEL_NAME = "pairbook-check"
TIMEOUT_ENAME = "CellTimeoutError"


OUTPUT_BYTES = 8_000_000  # of one cell, kept by the server while a check runs


@dataclass(frozen=True, slots=True)
class Limits:
    """Seconds a cell may run, and all of them together (None: no limit); and the bytes of
    one cell's outputs (and widget messages) the server keeps: they are held in the server's
    memory, not the confined kernel's, until the report is made."""

    cell: float | None = 600.0
    overall: float | None = 3600.0
    output_bytes: int = OUTPUT_BYTES


OUTPUT_CUT = "[pairbook check: this cell printed more than {:,} bytes; the rest was dropped]\n"
_KEPT_MESSAGES = frozenset(
    {"stream", "display_data", "execute_result", "error", "update_display_data",
     "comm_open", "comm_msg", "comm_close"}
)  # fmt: skip


class Fence(Protocol):
    """How a server confines the kernel (pairbook.kernel.confine's KernelJail fits)."""

    def command(self, argv: list[str], cwd: Path, writable: Iterable[Path] = ()) -> list[str]:
        """The command that starts `argv` confined."""
        ...

    def release(self) -> bool:
        """Kill what is left of the kernel's processes."""
        ...


@dataclass(frozen=True, slots=True)
class KernelLaunch:
    """Where and how the kernel starts: its environment variables (None: this process's)
    and its fence (None: not confined, as on a developer's machine or in CI)."""

    env: dict[str, str] | None = None
    fence: Fence | None = None


@dataclass(slots=True)
class CellRun:
    """A code cell after the fresh run: the cell (with its new outputs), its time, and why it
    did not run (`stopped`: "" when it did)."""

    cell: dict[str, Any]
    seconds: float = 0.0
    stopped: str = ""
    timed_out: bool = False


def kernel_spec(env: Environment, specs: Path) -> dict[str, Any]:
    """The environment's kernel spec, with IPython's folder in `specs` (a confined kernel's
    home is read-only)."""
    spec = environment_kernel_spec(env, f"pairbook check ({env.key})")
    spec["env"]["IPYTHONDIR"] = str(specs / "ipython")
    return spec


async def run_notebook(
    nb: dict[str, Any],
    env: Environment,
    folder: Path,
    limits: Limits,
    progress: Progress,
    clock: Callable[[], float] = time.monotonic,
    launch: KernelLaunch = KernelLaunch(),
) -> list[CellRun | None]:
    """Each cell of `nb` after a fresh run (None for a cell that is not code), in order."""
    node = notebook_node(nb)
    runs: list[CellRun | None] = [None] * len(node.cells)
    with tempfile.TemporaryDirectory(prefix="pairbook-check-") as specs:
        client = _notebook_client(
            node, env, Path(specs), folder, runs, launch.fence, limits.output_bytes
        )
        progress("starting a kernel in the environment")
        try:
            await client.async_start_new_kernel(env=launch.env or dict(os.environ))
            await client.async_start_new_kernel_client()
            await _run_cells(client, node, runs, limits, progress, clock)
        finally:
            await _stop_kernel(client)
            if launch.fence is not None:
                launch.fence.release()
    return runs


async def _run_cells(
    client: NotebookClient,
    node: Any,
    runs: list[CellRun | None],
    limits: Limits,
    progress: Progress,
    clock: Callable[[], float],
) -> None:
    code = [i for i, cell in enumerate(node.cells) if cell.cell_type == "code"]
    started = clock()
    for done, index in enumerate(code, 1):
        cell = node.cells[index]
        runs[index] = run = CellRun(cell)
        left = None if limits.overall is None else limits.overall - (clock() - started)
        if left is not None and left <= 0:
            run.stopped = f"the check ran past its overall limit ({limits.overall} s)"
            continue
        client.timeout = _cell_timeout(limits.cell, left)
        began = clock()
        try:
            await client.async_execute_cell(cell, index)
        except DeadKernelError:
            run.stopped = "the kernel died while running it"
            for later in code[done:]:
                runs[later] = CellRun(node.cells[later], stopped="the kernel died before it")
            return
        finally:
            run.seconds = clock() - began
        progress(f"[{done}/{len(code)}] cell {index + 1} ran in {run.seconds:.1f} s")


async def _stop_kernel(client: NotebookClient) -> None:
    manager = client.km
    if client.kc is not None:
        client.kc.stop_channels()
        client.kc = None
    if manager is None:
        return
    with contextlib.suppress(Exception):  # it may have died already: nothing to stop
        if manager.has_kernel:
            await ensure_async(manager.shutdown_kernel(now=True))
    await ensure_async(manager.cleanup_resources())
    manager.context.destroy(linger=0)


def _notebook_client(
    node: Any,
    env: Environment,
    specs: Path,
    folder: Path,
    runs: list[CellRun | None],
    fence: Fence | None,
    output_bytes: int,
) -> NotebookClient:
    """An nbclient client whose kernel is the environment's, talking over Unix sockets in the
    private folder `specs` (mode 0700): no TCP port another local user could reach."""
    spec = kernel_spec(env, specs)
    if fence is not None:
        spec["argv"] = fence.command(spec["argv"], folder, (specs,))
        # A SIGINT to a sandbox's process group would end the sandbox (and the kernel) with
        # it: a timed-out cell is interrupted by message, as the room's kernel is.
        spec["interrupt_mode"] = "message"
    (specs / KERNEL_NAME).mkdir()
    (specs / KERNEL_NAME / "kernel.json").write_text(json.dumps(spec))
    manager = AsyncKernelManager(
        kernel_name=KERNEL_NAME,
        kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(specs)]),
        transport="ipc",
        ip=str(specs / "k"),
        connection_file=str(specs / "kernel-connection.json"),
    )
    timeout = {"ename": TIMEOUT_ENAME, "evalue": "the cell ran past its time", "traceback": []}
    client = BoundedClient(
        node,
        km=manager,
        timeout=None,
        allow_errors=True,
        interrupt_on_timeout=True,
        error_on_timeout=timeout,
        record_timing=False,
        resources={"metadata": {"path": str(folder)}},
        output_bytes=output_bytes,
    )

    async def on_error(cell: Any, cell_index: int, execute_reply: dict[str, Any]) -> None:
        run = runs[cell_index]
        if run is not None and execute_reply["content"].get("ename") == TIMEOUT_ENAME:
            run.timed_out = True

    client.on_cell_error = on_error
    return client


class BoundedClient(NotebookClient):
    """nbclient's client keeping at most `output_bytes` of each cell's outputs and widget
    messages: past that, one note, and nothing more of that cell (a cell printing for ten
    minutes would otherwise fill the server's memory)."""

    output_bytes = Integer(OUTPUT_BYTES).tag(config=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kept: dict[int, int] = {}

    def process_message(self, msg: dict[str, Any], cell: Any, cell_index: int) -> Any:
        if msg["msg_type"] in _KEPT_MESSAGES:
            size = len(json.dumps(msg["content"], default=str))
            size += sum(len(buffer) for buffer in msg.get("buffers") or [])
            kept = self._kept.get(cell_index, 0)
            self._kept[cell_index] = kept + size
            if kept + size > self.output_bytes:
                if kept <= self.output_bytes:  # the first message past the bound
                    note = OUTPUT_CUT.format(self.output_bytes)
                    cell.outputs.append(
                        notebook_node({"output_type": "stream", "name": "stderr", "text": note})
                    )
                return None
        return super().process_message(msg, cell, cell_index)


def _cell_timeout(cell: float | None, left: float | None) -> int | None:
    limit = min((x for x in (cell, left) if x is not None), default=None)
    return None if limit is None else max(1, int(limit + 0.999))
