"""Confinement: how a kernel process is fenced in — a sandbox that hides pairbook's state,
its own process tree killed as a whole, and the operator's memory and process limits.

A kernel runs whatever an editor types, as the user pairbook runs as. Without a sandbox that
code can read the owner token and the log in `.pairbook/`; a child it forks can outlive the
kernel. So a kernel is started as

    sh -c 'join the kernel's cgroup; exec "$@"'      (pids cgroup v1, when it is writable)
      prlimit --as=MEMORY --nproc=PROCESSES          (when limits are set)
        bwrap --ro-bind / / --tmpfs STATE ... --unshare-pid --die-with-parent
          the kernelspec's own command               (python -m ipykernel_launcher ...)

bwrap's pid namespace ends every process of the kernel when the kernel's sandbox ends (or
when pairbook dies, even by kill -9); the cgroup catches what a sandbox-less kernel starts in
a new session. Killing a kernel means killing its sandbox, its process group and its cgroup.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

log = logging.getLogger("pairbook.kernel")

Sandbox = Literal["bwrap", "none"]
SandboxChoice = Literal["auto", "bwrap", "none"]

PIDS_CGROUP = Path("/sys/fs/cgroup/pids")
"""cgroup v1 pids controller: counts and caps every process of a kernel, and lists them."""

_SECRET_ENV = ("PAIRBOOK_",)
"""Environment variables a kernel never inherits (PAIRBOOK_SETTINGS carries the owner token)."""

_numbers = itertools.count(1)


def bwrap_works() -> str | None:
    """None if bubblewrap can start a sandbox here, else why not."""
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed"
    try:
        done = subprocess.run(
            ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
             "--unshare-pid", "--die-with-parent", "--cap-drop", "ALL", "--", "true"],
            capture_output=True, text=True, timeout=20, check=False,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        return f"bwrap cannot run: {exc}"
    if done.returncode != 0:
        return f"bwrap cannot create a sandbox here: {done.stderr.strip() or done.returncode}"
    return None


def choose_sandbox(choice: SandboxChoice) -> tuple[Sandbox, str | None]:
    """The sandbox to use for `--kernel-sandbox CHOICE`, and a warning to print (auto without
    a working bwrap). `bwrap` that does not work is an error (ValueError) the CLI reports."""
    if choice == "none":
        return "none", None
    problem = bwrap_works()
    if problem is None:
        return "bwrap", None
    if choice == "bwrap":
        raise ValueError(f"--kernel-sandbox bwrap: {problem}")
    return "none", (
        f"kernels run WITHOUT a sandbox ({problem}): an editor's code can read "
        "pairbook's state folder (tokens, log); install bubblewrap or pass "
        "--kernel-sandbox none to silence this"
    )


@dataclass(frozen=True, slots=True)
class Confinement:
    """How every kernel of a server is confined; one frozen value from the settings."""

    sandbox: Sandbox = "none"
    hidden: tuple[Path, ...] = ()  # folders and files the kernel must not see
    memory: int | None = None  # bytes of address space per kernel process (RLIMIT_AS)
    processes: int | None = None  # processes (and threads) of one kernel, together
    cgroups: Path | None = PIDS_CGROUP  # None: never use cgroups

    def environment(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """The kernel's environment: pairbook's own, minus its secrets."""
        env = dict(os.environ if base is None else base)
        return {k: v for k, v in env.items() if not k.startswith(_SECRET_ENV)}

    def jail(self) -> KernelJail:
        """A fresh jail for one kernel session (one cgroup, reused across restarts)."""
        return KernelJail(self)


class KernelJail:
    """One kernel's fence: wraps its command, and kills every process in it."""

    def __init__(self, confinement: Confinement) -> None:
        self.confinement = confinement
        self._cgroup: Path | None = None
        self._pgids: set[int] = set()

    def command(self, argv: list[str], cwd: Path, writable: Iterable[Path] = ()) -> list[str]:
        """The full command that starts `argv` confined, in `cwd`, able to write only in
        `cwd`, a private /tmp and the `writable` folders (the kernel's sockets)."""
        c = self.confinement
        wrapped = list(argv)
        if c.sandbox == "bwrap":
            wrapped = [*self._bwrap(cwd, writable, argv), "--", *wrapped]
        limits = []
        if c.memory is not None:
            limits.append(f"--as={c.memory}")
        cgroup = self._ensure_cgroup()
        if c.processes is not None and cgroup is None:
            limits.append(f"--nproc={c.processes}")  # per user, and not for root: see README
        if limits:
            wrapped = ["prlimit", *limits, "--", *wrapped]
        if cgroup is not None:
            join = 'echo $$ > "$0/cgroup.procs" && exec "$@"'
            wrapped = ["sh", "-c", join, str(cgroup), *wrapped]
        return wrapped

    def _bwrap(self, cwd: Path, writable: Iterable[Path], argv: list[str]) -> list[str]:
        args = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                "--tmpfs", "/tmp", "--tmpfs", "/dev/shm"]  # fmt: skip
        for needed in _under_private_folders(_runtime_paths(argv)):
            args += ["--ro-bind", str(needed), str(needed)]  # e.g. a venv cloned into /tmp
        for folder in (*writable, cwd):
            args += ["--bind", str(folder), str(folder)]
        for path in self.confinement.hidden:
            if path.is_dir():
                args += ["--tmpfs", str(path)]
            elif path.exists():
                args += ["--ro-bind", "/dev/null", str(path)]
        args += [
            "--chdir", str(cwd),
            "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent", "--new-session",
            "--cap-drop", "ALL",
            # Inside the pid namespace the kernel's parent is pid 1: ipykernel's parent
            # poller would take that for an orphaning and exit. --die-with-parent does its job.
            # 1 is the one parent ipykernel does not poll; unset, it takes itself for a
            # terminal's `ipython kernel` and prints its Ctrl-C note into pairbook's output.
            "--setenv", "JPY_PARENT_PID", "1",
        ]  # fmt: skip
        return args

    def _ensure_cgroup(self) -> Path | None:
        base = self.confinement.cgroups
        if self._cgroup is not None or base is None:
            return self._cgroup
        try:
            if not (base / "cgroup.procs").exists():
                return None
            _sweep(base / "pairbook")
            group = base / "pairbook" / f"kernel-{os.getpid()}-{next(_numbers)}"
            group.mkdir(parents=True, exist_ok=True)
            if self.confinement.processes is not None:
                (group / "pids.max").write_text(f"{self.confinement.processes}\n")
        except OSError:
            return None  # not root, or no pids controller: process groups only
        self._cgroup = group
        return group

    def started(self, pid: int) -> None:
        """The kernel's first process started: remember its process group."""
        with contextlib.suppress(OSError):
            self._pgids.add(os.getpgid(pid))

    def kill(self) -> int:
        """Kill every process of the kernel (its group and its cgroup); returns how many
        processes were still there. Safe to call when they are gone already."""
        killed = 0
        for pgid in self._pgids:
            with contextlib.suppress(OSError):
                os.killpg(pgid, signal.SIGKILL)
                killed += 1
        self._pgids.clear()
        group = self._cgroup
        if group is not None:
            # A process may fork while we kill: repeat until the cgroup is empty.
            for _ in range(100):
                pids = _cgroup_pids(group)
                if not pids:
                    break
                for pid in pids:
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
                        killed += 1
        return killed

    async def released(self, tries: int = 500) -> bool:
        """`release`, tried again every hundredth of a second (SIGKILLed processes leave
        their cgroup a moment later); False if they are still there after `tries`."""
        for _ in range(tries):
            if self.release():
                return True
            await asyncio.sleep(0.01)
        return False

    def release(self) -> bool:
        """Kill what is left and remove the cgroup; False while killed processes are still
        leaving it (call again a moment later)."""
        self.kill()
        group = self._cgroup
        if group is None:
            return True
        try:
            group.rmdir()
        except FileNotFoundError:
            pass
        except OSError:
            return False
        self._cgroup = None
        return True


def _sweep(parent: Path) -> None:
    """Remove the cgroups of pairbook processes that are gone (killed with -9), killing
    what is left in them; those of live servers (other pairbooks on this machine) stay."""
    if not parent.is_dir():
        return
    for group in parent.glob("kernel-*-*"):
        owner = group.name.split("-")[1]
        if not owner.isdigit() or Path("/proc", owner).exists():
            continue
        for pid in _cgroup_pids(group):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            group.rmdir()  # a moment too early for the killed: the next sweep removes it


def _cgroup_pids(group: Path) -> list[int]:
    try:
        text = (group / "cgroup.procs").read_text()
    except OSError:
        return []
    return [int(line) for line in text.split() if line.strip()]


_PRIVATE = (Path("/tmp"), Path("/dev/shm"))  # each kernel gets empty ones of its own


def _runtime_paths(argv: list[str]) -> set[Path]:
    """What the kernel needs to start: its interpreter's environment and this one's."""
    paths = {Path(sys.prefix), Path(sys.base_prefix)}
    if argv:
        executable = Path(argv[0])
        if executable.is_absolute():
            paths.add(executable.parent.parent)  # the venv or prefix of the kernel's python
            paths.add(Path(os.path.realpath(executable)).parent.parent)
    return paths


def _under_private_folders(paths: Iterable[Path]) -> list[Path]:
    """Of `paths`, those the sandbox's private /tmp or /dev/shm would hide (read-only binds
    put them back); sorted so that a parent comes before what it holds."""
    hidden = [
        p
        for p in paths
        if p.exists() and any(p.is_relative_to(root) and p != root for root in _PRIVATE)
    ]
    return sorted(set(hidden))
