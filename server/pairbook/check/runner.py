"""Run a notebook top to bottom with nbclient, in a new kernel started from an environment's
Python, each cell within its own time and all of them within the overall time."""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from pairbook.envs import Environment, Progress
from pairbook.notebook.node import notebook_node

KERNEL_NAME = "pairbook-check"
TIMEOUT_ENAME = "CellTimeoutError"


@dataclass(frozen=True, slots=True)
class Limits:
    """Seconds a cell may run, and all of them together (None: no limit)."""

    cell: float | None = 600.0
    overall: float | None = 3600.0


@dataclass(slots=True)
class CellRun:
    """A code cell after the fresh run: the cell (with its new outputs), its time, and why it
    did not run (`stopped`: "" when it did)."""

    cell: dict[str, Any]
    seconds: float = 0.0
    stopped: str = ""
    timed_out: bool = False


def kernel_spec(env: Environment) -> dict[str, Any]:
    """A kernel spec starting ipykernel with the environment's Python and nothing else on its
    path: no PYTHONPATH, no user site-packages."""
    path = f"{env.path / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    return {
        "argv": [str(env.python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"pairbook check ({env.key})",
        "language": "python",
        "env": {
            "PYTHONPATH": "",
            "PYTHONNOUSERSITE": "1",
            "VIRTUAL_ENV": str(env.path),
            "PATH": path,
        },
    }


async def run_notebook(
    nb: dict[str, Any],
    env: Environment,
    folder: Path,
    limits: Limits,
    progress: Progress,
    clock: Callable[[], float] = time.monotonic,
) -> list[CellRun | None]:
    """Each cell of `nb` after a fresh run (None for a cell that is not code), in order."""
    node = notebook_node(nb)
    runs: list[CellRun | None] = [None] * len(node.cells)
    code = [i for i, cell in enumerate(node.cells) if cell.cell_type == "code"]
    with tempfile.TemporaryDirectory(prefix="pairbook-check-") as specs:
        client = _notebook_client(node, env, Path(specs), folder, runs)
        started = clock()
        progress("starting a kernel in the environment")
        # We made the manager, so nbclient would leave the kernel running: ask it to stop it.
        async with client.async_setup_kernel(cleanup_kc=True):
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
                    _stop_rest(runs, node.cells, code[done:], "the kernel died before it")
                    break
                finally:
                    run.seconds = clock() - began
                progress(f"[{done}/{len(code)}] cell {index + 1} ran in {run.seconds:.1f} s")
    return runs


def _notebook_client(
    node: Any, env: Environment, specs: Path, folder: Path, runs: list[CellRun | None]
) -> NotebookClient:
    """An nbclient client whose kernel is the environment's, talking over Unix sockets in the
    private folder `specs` (mode 0700): no TCP port another local user could reach."""
    (specs / KERNEL_NAME).mkdir()
    (specs / KERNEL_NAME / "kernel.json").write_text(json.dumps(kernel_spec(env)))
    manager = AsyncKernelManager(
        kernel_name=KERNEL_NAME,
        kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(specs)]),
        transport="ipc",
        ip=str(specs / "k"),
        connection_file=str(specs / "kernel-connection.json"),
    )
    timeout = {"ename": TIMEOUT_ENAME, "evalue": "the cell ran past its time", "traceback": []}
    client = NotebookClient(
        node,
        km=manager,
        timeout=None,
        allow_errors=True,
        interrupt_on_timeout=True,
        error_on_timeout=timeout,
        record_timing=False,
        resources={"metadata": {"path": str(folder)}},
    )

    async def on_error(cell: Any, cell_index: int, execute_reply: dict[str, Any]) -> None:
        run = runs[cell_index]
        if run is not None and execute_reply["content"].get("ename") == TIMEOUT_ENAME:
            run.timed_out = True

    client.on_cell_error = on_error
    return client


def _cell_timeout(cell: float | None, left: float | None) -> int | None:
    limit = min((x for x in (cell, left) if x is not None), default=None)
    return None if limit is None else max(1, int(limit + 0.999))


def _stop_rest(runs: list[CellRun | None], cells: Any, rest: list[int], why: str) -> None:
    for index in rest:
        runs[index] = CellRun(cells[index], stopped=why)
