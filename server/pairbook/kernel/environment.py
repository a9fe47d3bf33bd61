"""NotebookEnvironment: the room kernel's own virtual environment, for a notebook that
declares its requirements (`pairbook.envs`: its metadata, a PEP 723 block, a requirements
file or pyproject beside it). It is built with uv when the kernel first starts, cached by the
requirements' hash, and reused; its progress and state are the `kernel` map's `environment`
key, so everyone sees the kernel wait for it. A notebook that declares nothing gets the
server's own kernel, as before.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from pycrdt import Doc, Map

from pairbook.envs import Environment, EnvironmentCache, find_requirements
from pairbook.envs.kernelspec import environment_kernel_spec
from pairbook.envs.progress import LatestLine
from pairbook.errors import EnvError, KernelError
from pairbook.notebook.ynotebook import ydoc_to_notebook
from pairbook.schema import KERNEL_MAP
from pairbook.service.port import Edit
from pairbook.types import SERVER_USER, UserId

ENVIRONMENT_KEY = "environment"
"""The `kernel` map's key for the notebook's environment (`KernelEnvironmentRecord`)."""


def kernel_specs() -> dict[str, str]:
    """Installed kernelspecs: name -> display name."""
    manager = KernelSpecManager()
    specs: dict[str, str] = {}
    for name, info in manager.get_all_specs().items():
        specs[name] = str(info.get("spec", {}).get("display_name", name))
    return specs


class EnvironmentRoom(Protocol):
    """What the environment needs of the room (a `service.RoomHandle` is one)."""

    @property
    def doc(self) -> Doc[Any]: ...

    async def apply_server_edit(
        self, edit: Edit, author: UserId, *, protected: bool = False
    ) -> int | None: ...


class NotebookEnvironment:
    """Prepares the environment the room's kernel starts from (None: the server's own)."""

    def __init__(
        self,
        room: EnvironmentRoom,
        path: Path,
        cache: EnvironmentCache,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.room = room
        self.path = path
        self.cache = cache
        self._clock = clock
        self.current: Environment | None = None

    async def prepare(self) -> Environment | None:
        """The declared environment, built if it is not cached yet (KernelError: it cannot
        be read or built; the message is uv's or says what to fix)."""
        try:
            requirements = find_requirements(self.path, ydoc_to_notebook(self.room.doc))
        except EnvError as exc:
            await self._write({"status": "failed", "error": str(exc)})
            raise KernelError(f"the notebook's environment: {exc}") from exc
        if not requirements.declared:
            self.current = None
            if self.room.doc.get(KERNEL_MAP, type=Map).get(ENVIRONMENT_KEY) is not None:
                await self._write(None)
            return None
        about = {"source": requirements.source, "requirements": list(requirements.lines)}
        await self._write({**about, "status": "preparing", "progress": "", "at": self._clock()})
        try:
            async with LatestLine(self._write_progress).publishing() as progress:
                env = await self.cache.ensure(requirements, progress)
        except EnvError as exc:
            await self._write({**about, "status": "failed", "error": str(exc)})
            raise KernelError(f"the notebook's environment could not be built: {exc}") from exc
        await self._write({**about, "status": "ready", "key": env.key, "built": env.built,
                           "at": self._clock()})  # fmt: skip
        self.current = env
        return env

    async def changed(self) -> bool:
        """Whether the declared environment is another one than the kernel's (prepares it)."""
        before = self.current.key if self.current else None
        after = await self.prepare()
        return before != (after.key if after else None)

    async def _write_progress(self, line: str) -> None:
        def edit(doc: Doc[Any]) -> None:
            record = doc.get(KERNEL_MAP, type=Map).get(ENVIRONMENT_KEY)
            if isinstance(record, dict) and record.get("status") == "preparing":
                doc.get(KERNEL_MAP, type=Map)[ENVIRONMENT_KEY] = {**record, "progress": line}

        await self.room.apply_server_edit(edit, SERVER_USER, protected=True)

    async def _write(self, record: dict[str, Any] | None) -> None:
        def edit(doc: Doc[Any]) -> None:
            ykernel = doc.get(KERNEL_MAP, type=Map)
            if record is None:
                ykernel.pop(ENVIRONMENT_KEY, None)
            else:
                ykernel[ENVIRONMENT_KEY] = record

        await self.room.apply_server_edit(edit, SERVER_USER, protected=True)


def manager_spec(env: Environment | None, private: Path, kernel_name: str) -> dict[str, Any]:
    """The kernel manager's spec arguments: the installed kernel by name, or (`env`) a kernel
    spec for the environment, written in the kernel's private folder."""
    if env is None:
        return {"kernel_name": kernel_name}
    specs = private / "kernels"
    (specs / "pairbook-env").mkdir(parents=True, exist_ok=True)
    spec = environment_kernel_spec(env, f"Python 3 (the notebook's environment {env.key})")
    (specs / "pairbook-env" / "kernel.json").write_text(json.dumps(spec))
    return {"kernel_name": "pairbook-env", "kernel_spec_manager": _specs_in(specs)}


def spec_of(
    manager: KernelManager, env: Environment | None, private: Any, kernel_name: str
) -> None:
    """Point a kernel manager at another environment's kernel (or the installed one), for
    its next start. `private` is the kernel's private folder (a TemporaryDirectory)."""
    found = manager_spec(env, Path(private.name), kernel_name)
    manager.kernel_spec_manager = found.get("kernel_spec_manager") or KernelSpecManager()
    manager._kernel_spec = None  # jupyter_client caches the spec it read
    manager.kernel_name = found["kernel_name"]


def _specs_in(folder: Path) -> KernelSpecManager:
    return KernelSpecManager(kernel_dirs=[str(folder)])
