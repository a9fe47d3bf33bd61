"""What the runner needs of its room and of a kernel, so kernel/ never imports rooms/.

The room's `service.RoomHandle` satisfies RunnerRoom (a connection is a `service.Member`);
`KernelSessions` (real jupyter kernels) satisfies KernelFactory, and tests pass a scripted
kernel instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from pycrdt import Doc

from pairbook.kernel.outcome import ExecutionOutcome
from pairbook.kernel.running import InputCallback, OutputCallback
from pairbook.kernel.session import KernelStatus, Observer, StatusCallback
from pairbook.service import Member
from pairbook.state.view import ViewRoom
from pairbook.types import UserId


class RunnerRoom(ViewRoom, Protocol):
    """The room a runner writes into (a `service.RoomHandle` is one): the view's room, plus
    server edits it need not wait for and events to one member."""

    def members(self) -> Sequence[Member]: ...

    def start_server_edit(
        self, edit: Callable[[Doc[Any]], None], author: UserId, *, protected: bool = False
    ) -> asyncio.Future[int | None]: ...

    def notify_member(self, member: Member, event: dict[str, Any]) -> None: ...

    def note(self, kind: str, user: UserId, data: dict[str, Any]) -> None:
        """An event for the room's timeline (a no-op when nothing records)."""
        ...


class Kernel(Protocol):
    """One kernel: run code with streamed outputs and stdin, probe silently, control it."""

    @property
    def kernel_name(self) -> str: ...

    @property
    def status(self) -> KernelStatus: ...

    @property
    def started(self) -> bool: ...

    # fmt: off
    async def execute(self, code: str, on_output: OutputCallback, on_input: InputCallback,
                      user_expressions: dict[str, str] | None = None, *,
                      on_sent: Callable[[], None] | None = None) -> ExecutionOutcome:
        """Run code; `on_sent()` is called once the request is on its way to the kernel,
        before any of its outputs."""
        ...
    # fmt: on

    async def evaluate(self, expressions: dict[str, str]) -> dict[str, Any]: ...

    observer: Observer | None
    """Sees every IOPub message first (the room's widgets)."""

    async def comm(self, comm_id: str, data: dict[str, Any]) -> bool:
        """Send a comm message; the observer sees what it causes until the kernel is idle
        again. False if the kernel died meanwhile."""
        ...

    async def alive(self) -> bool:
        """Whether the kernel's process is still there."""
        ...

    async def interrupt(self) -> None: ...

    async def restart(self) -> None: ...

    async def shutdown(self) -> None: ...


@runtime_checkable
class Releasable(Protocol):
    """A kernel that outlives the server (a gateway's): let go of, not shut down, when the
    server stops."""

    async def release(self) -> None: ...


class KernelFactory(Protocol):
    """Makes a room's kernels by name, and says which kernels there are."""

    def specs(self) -> dict[str, str]:
        """Installed kernels: name -> display name."""
        ...

    def __call__(self, kernel_name: str, on_status: StatusCallback) -> Kernel: ...
