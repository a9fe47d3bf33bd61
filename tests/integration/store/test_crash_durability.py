"""An append acknowledged by SQLiteStore survives the process being killed right after."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import pairbook
from pairbook.store import SQLiteStore

APPENDER = Path(__file__).with_name("appender_process.py")
ACKNOWLEDGED_BEFORE_KILL = 2000


def start_appender(path: Path | str, writers: int, name: str = "p") -> subprocess.Popen[bytes]:
    server_dir = Path(pairbook.__file__).resolve().parents[1]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(server_dir), env.get("PYTHONPATH")]))
    return subprocess.Popen(
        [sys.executable, str(APPENDER), str(path), str(writers), name],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


def read_acknowledged(appender: subprocess.Popen[bytes], count: int) -> dict[int, bytes]:
    """Read `count` acknowledgements ("seq hex(update)"), as the appender printed them."""
    assert appender.stdout is not None
    acknowledged: dict[int, bytes] = {}
    while len(acknowledged) < count:
        line = appender.stdout.readline()
        if not line:
            assert appender.stderr is not None
            pytest.fail(f"the appender died early:\n{appender.stderr.read().decode()}")
        seq, update = line.split()
        acknowledged[int(seq)] = bytes.fromhex(update.decode())
    return acknowledged


async def read_log(path: Path) -> dict[int, bytes]:
    async with SQLiteStore(path) as store:
        return {record.seq: record.update for record in await store.records("crash.ipynb")}


@pytest.mark.integration
@pytest.mark.parametrize("writers", [1, 32])
def test_every_acknowledged_append_survives_a_sigkill(tmp_path: Path, writers: int) -> None:
    path = tmp_path / "pairbook.sqlite"
    appender = start_appender(path, writers)
    # A hung appender must not hang the suite: kill it after a minute whatever happens.
    watchdog = threading.Timer(60, appender.kill)
    watchdog.start()
    try:
        acknowledged = read_acknowledged(appender, ACKNOWLEDGED_BEFORE_KILL)
        appender.send_signal(signal.SIGKILL)
        assert appender.wait() == -signal.SIGKILL
    finally:
        watchdog.cancel()
        appender.kill()
        appender.wait()
        for stream in (appender.stdout, appender.stderr):
            if stream is not None:
                stream.close()

    stored = asyncio.run(read_log(path))
    missing = sorted(seq for seq in acknowledged if seq not in stored)
    assert not missing, f"{len(missing)} acknowledged appends were lost, first {missing[:5]}"
    assert all(stored[seq] == update for seq, update in acknowledged.items())
    assert sorted(stored) == list(range(1, len(stored) + 1)), "the log has a gap"
