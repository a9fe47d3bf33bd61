"""What the runner needs of a room, a peer and a kernel, so kernel/ never imports rooms/.

`rooms.Room` and `rooms.Peer` satisfy RunnerRoom and RunnerPeer; `KernelSessions` (real
jupyter kernels) satisfies KernelFactory, and tests pass a scripted kernel instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

from pycrdt import Doc

from pairbook.auth import Role
from pairbook.kernel.session import ExecutionOutcome, InputCallback, KernelStatus, OutputCallback
from pairbook.state.view import ViewPeer, ViewRoom
from pairbook.types import UserId

StatusCallback = Callable[[KernelStatus], None]


class RunnerPeer(ViewPeer, Protocol):
    """A connection that sends kernel commands: who it is and what it may do."""

    @property
    def key(self) -> str: ...

    @property
    def role(self) -> Role: ...


class RunnerRoom(ViewRoom, Protocol):
    """The room a runner writes into: the view's room, plus relayed edits and events."""

    @property
    def peers(self) -> Iterable[RunnerPeer]: ...

    def start_server_edit(
        self, edit: Callable[[Doc[Any]], None], author: UserId, *, protected: bool = False
    ) -> Awaitable[int] | None: ...

    # Any: the room's own peer type, one of those its `peers` yields.
    def notify_peer(self, peer: Any, event: dict[str, Any]) -> None: ...


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
                      user_expressions: dict[str, str] | None = None) -> ExecutionOutcome: ...
    # fmt: on

    async def evaluate(self, expressions: dict[str, str]) -> dict[str, Any]: ...

    async def interrupt(self) -> None: ...

    async def restart(self) -> None: ...

    async def shutdown(self) -> None: ...


class KernelFactory(Protocol):
    """Makes a room's kernels by name, and says which kernels there are."""

    def specs(self) -> dict[str, str]:
        """Installed kernels: name -> display name."""
        ...

    def __call__(self, kernel_name: str, on_status: StatusCallback) -> Kernel: ...
