"""The shared kernel: one jupyter_client kernel per room, and its execution queue."""

from pairbook.kernel.environment import kernel_specs
from pairbook.kernel.outcome import ExecutionOutcome
from pairbook.kernel.queue import Execution, ExecutionQueue, ExecutionStatus
from pairbook.kernel.session import KernelSession
from pairbook.kernel.sessions import KernelSessions

__all__ = [
    "Execution",
    "ExecutionOutcome",
    "ExecutionQueue",
    "ExecutionStatus",
    "KernelSession",
    "KernelSessions",
    "kernel_specs",
]
