"""Two processes append to one room of one PostgreSQL store at once: one numbering, no gap."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import threading

import pytest

from integration.store.test_crash_durability import start_appender
from pairbook.store.postgres import PostgresStore
from support.postgres import fresh_schema

ACKNOWLEDGED_EACH = 1000
NAMES = ("one", "two")


class Acknowledgements(threading.Thread):
    """Reads an appender's "seq hex(update)" lines as they come, until its pipe closes."""

    def __init__(self, appender: subprocess.Popen[bytes]) -> None:
        super().__init__(daemon=True)
        self.appender = appender
        self.seen: dict[int, bytes] = {}
        self.enough = threading.Event()

    def run(self) -> None:
        assert self.appender.stdout is not None
        for line in self.appender.stdout:
            seq, update = line.split()
            self.seen[int(seq)] = bytes.fromhex(update.decode())
            if len(self.seen) >= ACKNOWLEDGED_EACH:
                self.enough.set()
        self.enough.set()  # died early: the test says so


async def read_log(url: str) -> dict[int, bytes]:
    async with PostgresStore(url) as store:
        return {record.seq: record.update for record in await store.records("crash.ipynb")}


@pytest.mark.integration
def test_two_processes_appending_to_one_room_number_it_without_gap_or_duplicate() -> None:
    with fresh_schema() as url:
        appenders = [start_appender(url, 8, name) for name in NAMES]
        readers = [Acknowledgements(appender) for appender in appenders]
        for reader in readers:
            reader.start()
        try:
            for reader in readers:
                assert reader.enough.wait(90), "an appender hung"
            for appender in appenders:  # both mid-flight: open transactions die with them
                appender.send_signal(signal.SIGKILL)
        finally:
            for appender in appenders:
                appender.kill()
                appender.wait()
            for reader in readers:
                reader.join(10)
        for appender, reader in zip(appenders, readers, strict=True):
            assert appender.stderr is not None
            errors = appender.stderr.read().decode()
            assert len(reader.seen) >= ACKNOWLEDGED_EACH, f"an appender died early:\n{errors}"
            for stream in (appender.stdout, appender.stderr):
                assert stream is not None
                stream.close()
        stored = asyncio.run(read_log(url))

    one, two = (reader.seen for reader in readers)
    # They really ran at once: each was numbered both before and after the other's records.
    assert min(one) < max(two)
    assert min(two) < max(one)
    assert not one.keys() & two.keys(), "two processes were given the same seq"
    for acknowledged in (one, two):
        missing = sorted(seq for seq in acknowledged if seq not in stored)
        assert not missing, f"{len(missing)} acknowledged appends were lost, first {missing[:5]}"
        assert all(stored[seq] == update for seq, update in acknowledged.items())
    assert sorted(stored) == list(range(1, len(stored) + 1)), "the log has a gap"
    assert {update.split()[0] for update in stored.values()} == {b"one", b"two"}
