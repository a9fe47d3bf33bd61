"""EnvironmentCache: uv-built virtual environments, one per requirements hash, reused.

An environment is built in a temporary folder beside its final place and renamed there only
once uv succeeded, so a half-built environment is never reused; a lock file per hash keeps two
builders (a `check` and a kernel start) from building the same one twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from pairbook.envs.requirements import Requirements, names_elsewhere
from pairbook.errors import EnvError

Progress = Callable[[str], None]
# What every environment gets besides the notebook's requirements: a kernel to run it.
KERNEL_REQUIREMENTS = ("ipykernel",)
LAYOUT = 1  # bump when what a cached environment holds changes
CACHE_ENV = "PAIRBOOK_ENV_CACHE"


def default_cache_root() -> Path:
    """$PAIRBOOK_ENV_CACHE, else $XDG_CACHE_HOME/pairbook/envs, else ~/.cache/pairbook/envs.

    Outside the served folder's `.pairbook/` on purpose: a confined kernel cannot see that."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pairbook" / "envs"


def uv_executable() -> str:
    """uv installed beside this Python (pairbook depends on it), else the one on PATH."""
    beside = Path(sys.executable).with_name("uv")
    if beside.is_file():
        return str(beside)
    found = shutil.which("uv")
    if found is None:
        raise EnvError("uv is not installed: `pip install uv` (pairbook's own install has it)")
    return found


def base_python() -> str:
    """The interpreter running pairbook, outside any virtual environment it runs in."""
    return str(getattr(sys, "_base_executable", None) or sys.executable)


@dataclass(frozen=True, slots=True)
class Environment:
    """A built virtual environment: its folder, its Python, and whether this call built it."""

    path: Path
    key: str
    built: bool = False

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"


@dataclass(frozen=True, slots=True)
class InstallOptions:
    """How uv may reach packages: only its cache (`offline`), extra wheel folders; and
    `no_build`: wheels only, so that no package's build script runs (what a server asks)."""

    offline: bool = False
    find_links: tuple[str, ...] = ()
    no_build: bool = False
    index_only: bool = False  # packages by name only: no URL or path (see SERVER_INSTALL)


SERVER_INSTALL = InstallOptions(no_build=True, index_only=True)
"""What a server builds for a room: wheels only, and packages by name from the index only. The
requirements are any editor's to write: a `name @ https://…` would have the server fetch
from any address it can reach (its own network included), a path read its own files."""


class EnvironmentCache:
    """Environments under `root`, keyed by the requirements, the Python and the layout."""

    def __init__(
        self,
        root: Path | None = None,
        *,
        python: str | None = None,
        options: InstallOptions = InstallOptions(),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.root = root or default_cache_root()
        self.python = python or base_python()
        self.options = options
        self._clock = clock

    def key(self, requirements: Requirements) -> str:
        spec = {
            "layout": LAYOUT,
            "python": os.path.realpath(self.python),
            "requirements": sorted(set(requirements.lines)),
            "kernel": KERNEL_REQUIREMENTS,
            "wheels-only": self.options.no_build,
        }
        return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:24]

    def cached(self, requirements: Requirements) -> Environment | None:
        """The built environment for these requirements, if there is one."""
        path = self.root / self.key(requirements)
        return Environment(path, path.name) if (path / "bin" / "python").exists() else None

    async def ensure(self, requirements: Requirements, progress: Progress) -> Environment:
        """The environment for `requirements`, built with uv unless cached (EnvError if uv
        fails: its message says which requirement and why)."""
        await self._check_python(requirements)
        if self.options.index_only:
            for line in requirements.lines:
                if names_elsewhere(line):
                    raise EnvError(
                        f"{requirements.source or 'requirements'}: {line[:80]!r} names a URL "
                        "or a path; this server installs packages by name from the package "
                        "index only (`pairbook check` on your own machine takes any)"
                    )
        key = self.key(requirements)
        target = self.root / key
        self.root.mkdir(parents=True, exist_ok=True)
        async with _locked(self.root / f"{key}.lock"):
            if (target / "bin" / "python").exists():
                progress(f"environment {key} is cached")
                return Environment(target, key)
            started = self._clock()
            building = self.root / f"{key}.building-{os.getpid()}"
            shutil.rmtree(building, ignore_errors=True)
            try:
                await self._build(building, requirements, progress)
                building.rename(target)
            finally:
                shutil.rmtree(building, ignore_errors=True)
            progress(f"environment {key} built in {self._clock() - started:.1f} s")
            return Environment(target, key, built=True)

    async def _check_python(self, requirements: Requirements) -> None:
        """EnvError when the interpreter is not one the requirements' requires-python takes."""
        wanted = requirements.requires_python
        if wanted is None:
            return
        try:
            specifier = SpecifierSet(wanted)
        except InvalidSpecifier as exc:
            raise EnvError(f"{requirements.source}: requires-python {wanted!r}: {exc}") from exc
        version = await _python_version(self.python)
        if version not in specifier:
            raise EnvError(
                f"{requirements.source} requires Python {wanted}; {self.python} is {version}: "
                "run pairbook (or `pairbook check --python`) with a Python that fits"
            )

    async def _build(self, path: Path, requirements: Requirements, progress: Progress) -> None:
        uv = uv_executable()
        progress(f"creating a virtual environment with {Path(self.python).name}")
        await _run_uv(
            [
                uv,
                "venv",
                "--quiet",
                "--relocatable",
                "--no-project",
                "--python",
                self.python,
                str(path),
            ],
            progress,
        )
        wanted = [*KERNEL_REQUIREMENTS, *requirements.lines]
        progress(f"installing {', '.join(wanted)}")
        args = [uv, "pip", "install", "--python", str(path / "bin" / "python")]
        if self.options.offline:
            args.append("--offline")
        if self.options.no_build:
            args.append("--no-build")
        for links in self.options.find_links:
            args += ["--find-links", links]
        await _run_uv([*args, "--", *wanted], progress)


async def _python_version(python: str) -> str:
    try:
        process = await asyncio.create_subprocess_exec(
            python, "-c", "import platform; print(platform.python_version())",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
    except OSError as exc:
        raise EnvError(f"cannot run the Python {python} ({exc})") from exc
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise EnvError(f"cannot run the Python {python} (exit {process.returncode})")
    return out.decode().strip()


async def _run_uv(argv: Sequence[str], progress: Progress) -> None:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}
    env.pop("VIRTUAL_ENV", None)
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=env,
        )
    except OSError as exc:
        raise EnvError(f"cannot run uv ({exc}); is it installed?") from exc
    assert process.stdout is not None
    said: list[str] = []
    try:
        async for raw in process.stdout:
            line = raw.decode(errors="replace").rstrip()
            if line:
                said.append(line)
                progress(f"uv: {line}")
        code = await process.wait()
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        raise
    if code != 0:
        tail = "\n".join(said[-15:])
        raise EnvError(f"uv could not build the environment (exit {code}):\n{tail}")


@contextlib.asynccontextmanager
async def _locked(path: Path) -> AsyncIterator[None]:
    """An exclusive lock on `path` across processes, waited for without blocking the loop."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                await asyncio.sleep(0.2)  # another process builds this environment
        yield
    finally:
        os.close(fd)
