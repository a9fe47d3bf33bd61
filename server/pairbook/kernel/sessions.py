"""KernelSessions: the factory of a room's real kernels (a KernelFactory)."""

from __future__ import annotations

from pathlib import Path

from pairbook.kernel.confine import Confinement
from pairbook.kernel.environment import NotebookEnvironment, kernel_specs
from pairbook.kernel.session import KernelSession, StatusCallback


class KernelSessions:
    """Makes a room's real kernels: jupyter kernels working in `cwd`, fenced in by
    `confinement`, started from the notebook's own environment when it declares one."""

    def __init__(
        self,
        cwd: Path,
        confinement: Confinement | None = None,
        environment: NotebookEnvironment | None = None,
    ) -> None:
        self._cwd = cwd
        self._confinement = confinement
        self._environment = environment

    def specs(self) -> dict[str, str]:
        return kernel_specs()

    def __call__(self, kernel_name: str, on_status: StatusCallback) -> KernelSession:
        return KernelSession(
            kernel_name,
            self._cwd,
            on_status,
            confinement=self._confinement,
            environment=self._environment,
        )
