"""Real Redis for the broker tests: a fresh key prefix on the machine's Redis per test, or
a redis-server of the test's own (on a free port) that the test may stop and start again."""

from __future__ import annotations

import contextlib
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import redis

from support.reaper import released, spawn
from support.server import free_port

SHARED_REDIS = "redis://127.0.0.1:6379/0"


@contextlib.contextmanager
def fresh_prefix(base: str = SHARED_REDIS) -> Iterator[str]:
    """A broker URL whose keys start with a prefix of their own; its keys are deleted after."""
    prefix = f"pairbook-test:{secrets.token_hex(6)}:"
    try:
        yield f"{base}?prefix={prefix}"
    finally:
        client = redis.Redis.from_url(base)
        try:
            keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
            if keys:
                client.delete(*keys)
        finally:
            client.close()


class OwnRedis:
    """A redis-server for one test (no persistence: a restart loses everything, the worst
    case for the processes that use it)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary is not None, "redis-server is missing: run scripts/install.sh"
        self.folder.mkdir(parents=True, exist_ok=True)
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                   "--appendonly", "no", "--dir", str(self.folder)]  # fmt: skip
        with (self.folder / "redis.log").open("ab") as log:
            self.proc = spawn(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.ConnectionError):
                client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
                try:
                    if client.ping():
                        return
                finally:
                    client.close()
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            released(self.proc)
            self.proc = None


@contextlib.contextmanager
def own_redis(folder: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()
