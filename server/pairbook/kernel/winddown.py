"""Winding a kernel's run down before the kernel is shut down."""

from __future__ import annotations

import contextlib
import time

from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager


async def wind_down(
    manager: AsyncKernelManager, client: AsyncKernelClient, timeout: float = 2.0
) -> None:
    """Interrupt the run under way and wait (up to `timeout` s) for its reply. Told to shut
    down mid-run (waiting in input(), say), ipykernel answers the run as its sockets close,
    and logs the ZMQError that sending on a closed socket raises, with its traceback."""
    with contextlib.suppress(Exception):  # a kernel that cannot be interrupted is shut down
        await manager.interrupt_kernel()
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            reply = await client.get_shell_msg(timeout=left)
        except Exception:  # queue.Empty: no reply in time; anything else: the kernel is gone
            return
        if reply["header"]["msg_type"] == "execute_reply":
            return
