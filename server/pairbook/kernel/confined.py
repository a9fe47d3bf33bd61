"""ConfinedKernelManager: jupyter_client's kernel manager, starting its kernel in a jail
(`confined_manager` makes one on private Unix sockets, `kernel_environment` gives its
variables); and `follow_comm`, the kernel's IOPub after a comm message, until it is idle."""

from __future__ import annotations

import os
import queue
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager

from pairbook.kernel.caches import private_caches
from pairbook.kernel.confine import Confinement, KernelJail

QUICK_EXIT = "--IPKernelApp.exec_lines=if 1: __import__('atexit').register(__import__('gc').freeze)"
"""Given to an IPython kernel: at exit it freezes the objects then alive, so that the
interpreter's teardown does not walk them for cycles. A kernel that loaded jedi for
completions holds some 250,000 objects: its process outlived its shutdown reply by ~1 s
(2.5 s on a loaded machine, where jupyter_client's patience ends), nearly all of it in those
collections. Exit handlers still all run, and objects freed by reference counting still are;
only cycles still alive at exit keep their finalizers unrun, which Python never promised."""


class ConfinedKernelManager(AsyncKernelManager):
    """jupyter_client's manager, starting the kernel inside its jail."""

    jail: KernelJail
    cwd: Path
    writable: tuple[Path, ...] = ()

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        argv: list[str] = super().format_kernel_cmd(extra_arguments)
        if self.jail.confinement.sandbox == "bwrap" and self.kernel_spec is not None:
            # A SIGINT to the sandbox's process group would end bwrap itself: interrupt by
            # message, the kernel then signals its own process group inside the sandbox.
            self.kernel_spec.interrupt_mode = "message"
        if "ipykernel_launcher" in argv:
            argv = [*argv, QUICK_EXIT]
        return self.jail.command(argv, self.cwd, self.writable)


def confined_manager(
    spec: dict[str, Any], sockets: Path, jail: KernelJail, cwd: Path
) -> ConfinedKernelManager:
    """A manager (`spec`: its kernel spec arguments) whose kernel talks over Unix sockets in
    `sockets`, a private folder (mode 0700): no TCP port another local user could reach, and
    no "running over TCP" warning."""
    manager = ConfinedKernelManager(
        **spec,
        transport="ipc",
        ip=os.path.join(sockets, "k"),
        # Beside the sockets: the one folder a sandboxed kernel sees of pairbook's.
        connection_file=os.path.join(sockets, "kernel.json"),
    )
    manager.jail, manager.cwd = jail, cwd
    manager.writable = (sockets,)
    return manager


def kernel_environment(confinement: Confinement, sockets: Path | None) -> dict[str, str]:
    """The kernel's environment variables. The home folder is read-only in the sandbox:
    IPython's profile and the caches go beside the sockets, jedi's cache seeded with the
    stubs completions parse."""
    env = confinement.environment()
    if confinement.sandbox == "bwrap" and sockets is not None:
        env.update(private_caches(sockets))
    return env


async def follow_comm(
    client: Any,
    msg_id: str,
    observer: Callable[[dict[str, Any]], bool] | None,
    alive: Callable[[], Awaitable[bool]],
    handling: Callable[[], Awaitable[None]] | None = None,
) -> bool:
    """Give every IOPub message to `observer` until the kernel says it is idle after the
    request `msg_id` (`handling` is awaited once it says it is busy with it); False if the
    kernel died first."""
    while True:
        try:
            message = await client.get_iopub_msg(timeout=0.1)
        except queue.Empty:
            if not await alive():
                return False
            continue
        kind, parent = message["header"]["msg_type"], message["parent_header"].get("msg_id")
        if kind == "status" and parent == msg_id:
            state = message["content"].get("execution_state")
            if state == "idle":
                return True
            if state == "busy" and handling is not None:
                await handling()
            continue
        if observer is not None:
            observer(message)
