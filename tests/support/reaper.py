"""The reaper: helper processes die with the test session, however it ends (a timeout's
os._exit, kill -9, Ctrl-C). Each starts as the leader of a process group of its own, so a test
stops its whole tree; PR_SET_PDEATHSIG kills the leader as soon as this pytest process is gone;
and a reaper (one small process per session, reading this process's pipe) then kills what is
left of each group still registered, such as nginx's workers, which outlive their master."""

from __future__ import annotations

import atexit
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from pairbook.app import die_with_parent

# The reaper: reads "+pgid start" / "-pgid start" lines; at end of input (pytest exited or
# died) kills every group still registered whose leader is gone or is still the same process
# (its start time: pids wrap around, and a group's id is reused only once all of it is gone).
REAPER = """
import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
def started(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None
groups = set()
for line in sys.stdin:
    sign, pgid, start = line[0], int(line[1:].split()[0]), line.split()[1]
    (groups.add if sign == "+" else groups.discard)((pgid, start))
for pgid, start in groups:
    if started(pgid) in (None, start):
        try:
            os.killpg(pgid, signal.SIGKILL)
        except OSError:
            pass
"""


def started(pid: int) -> str:
    """The process's start time in clock ticks since boot (/proc/<pid>/stat field 22)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "gone"
    return stat.rsplit(")", 1)[1].split()[19]


class Reaper:
    """This session's reaper process and the groups registered with it (started with the
    first group; told to finish at exit, which a kill -9 of pytest does by closing the pipe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._starts: dict[int, str] = {}

    def _write(self, line: str) -> None:
        if self._proc is None:
            # Its own session: a Ctrl-C to the terminal's group must not reach it.
            self._proc = subprocess.Popen(
                [sys.executable, "-c", REAPER], stdin=subprocess.PIPE, start_new_session=True
            )
            atexit.register(self.close)
        assert self._proc.stdin is not None
        self._proc.stdin.write(line.encode() + b"\n")
        self._proc.stdin.flush()

    def register(self, pid: int) -> None:
        with self._lock:
            self._starts[pid] = started(pid)
            self._write(f"+{pid} {self._starts[pid]}")

    def release(self, pid: int) -> None:
        with self._lock:
            if pid in self._starts:
                self._write(f"-{pid} {self._starts.pop(pid)}")

    def close(self) -> None:
        """The session ends: the reaper kills what is left and exits."""
        with self._lock:
            if self._proc is not None and self._proc.stdin is not None:
                self._proc.stdin.close()
                self._proc.wait(30)
            self._proc = None


REAPER_OF_SESSION = Reaper()


def spawn(command: list[str], **popen: Any) -> subprocess.Popen[Any]:
    """Popen as the leader of a process group of its own that dies with the test session;
    call `released` once the test has stopped the group."""
    proc: subprocess.Popen[Any] = subprocess.Popen(
        command, start_new_session=True, preexec_fn=die_with_parent, **popen
    )
    REAPER_OF_SESSION.register(proc.pid)
    return proc


def released(proc: subprocess.Popen[Any]) -> None:
    """The test stopped this spawned process's group: the reaper no longer kills it."""
    REAPER_OF_SESSION.release(proc.pid)
