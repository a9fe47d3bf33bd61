"""The helper processes a test starts die with the test session, even when pytest itself is
killed (a CI timeout, kill -9): a pairbook server with its worker, and a group whose leader's
children know nothing of their parent (as nginx's workers)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from support.server import REPO

SESSION = """
import sys
from pathlib import Path
from support.notebooks import write_notebook
from support.reaper import spawn
from support.server import ServerProcess
root = Path(sys.argv[1])
write_notebook(root / "demo.ipynb")
server = ServerProcess(root, store=str(root.parent / "store.sqlite")).start()
shell = spawn(["sh", "-c", "sleep 600 & sleep 600 & wait"])
print(server.proc.pid, shell.pid, flush=True)
sys.stdin.read()
"""


def group(pgid: int) -> list[int]:
    """The processes of a process group (none once it is gone)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended while looked at
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def holds(check: Callable[[], bool], within: float = 30.0) -> bool:
    """Whether `check` comes to hold (`within` bounds a hang; nothing is timed)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)  # processes are looked at in /proc: there is no event to wait on
    return False


def test_a_killed_session_takes_its_servers_and_their_groups_along(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "tests"), str(REPO / "server")])}
    session = subprocess.Popen(
        [sys.executable, "-c", SESSION, str(tmp_path / "notebooks")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd=REPO,
    )  # fmt: skip
    try:
        assert session.stdout is not None
        pgids = [int(pid) for pid in session.stdout.readline().split()]
        assert len(pgids) == 2, "the session did not start its helpers"
        assert group(pgids[0]) == [pgids[0]]  # pairbook serve (uvicorn: one process)
        assert holds(lambda: len(group(pgids[1])) == 3)  # the shell and its two children
        session.send_signal(signal.SIGKILL)  # no atexit, no finally: as a timeout kills it
        session.wait()
        assert holds(lambda: not any(map(group, pgids))), {pgid: group(pgid) for pgid in pgids}
    finally:
        if session.poll() is None:
            session.kill()
            session.wait()
        for pipe in (session.stdin, session.stdout):
            if pipe is not None:
                pipe.close()
