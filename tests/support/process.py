"""HelperProcess: a program a test starts beside pairbook (JupyterLab, nginx, a kernel
gateway), in a process group of its own that dies with the test session (support.reaper),
waited for until it answers, stopped with its whole group."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

from support.reaper import released, spawn


class HelperProcess:
    """Subclasses say what they run (`start`, through `launch`) and when it is ready
    (`ready`); stopping sends `stop_signal` to the group, SIGKILL after `stop_seconds`."""

    name = "helper"
    stop_signal = signal.SIGTERM
    stop_seconds = 20.0
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Self:
        raise NotImplementedError

    def ready(self) -> bool:
        raise NotImplementedError

    def launch(
        self, command: Sequence[str], log_path: Path, timeout: float,
        env: Mapping[str, str] | None = None, cwd: Path | None = None,
    ) -> None:  # fmt: skip
        """Start `command` (output to `log_path`) and return once `ready()`; a process that
        exits, or is not ready within `timeout` seconds, is stopped and raises with the
        end of its log."""
        with log_path.open("ab") as log:
            self.proc = spawn(list(command), stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{tail(log_path)}")
            if self.ready():
                return
            time.sleep(0.05)  # readiness poll of a process we just started
        self.stop()
        raise TimeoutError(f"{self.name} was not ready in {timeout:g} s:\n{tail(log_path)}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, self.stop_signal)
        try:
            self.proc.wait(self.stop_seconds)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        released(self.proc)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def answers(url: str) -> bool:
    """True once `url` answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return bool(reply.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def listens(port: int) -> bool:
    """True once something accepts connections on 127.0.0.1:`port`."""
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def tail(log_path: Path, chars: int = 3000) -> str:
    return log_path.read_text(errors="replace")[-chars:] if log_path.exists() else ""
