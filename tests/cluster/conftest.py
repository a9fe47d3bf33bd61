"""Fixtures for the scale-out tests: the machine's real Redis (127.0.0.1:6379), a key prefix
of their own per test, every key under it deleted afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from redis.asyncio import Redis

from support.notebooks import write_notebook
from support.postgres import fresh_schema
from support.redis import fresh_prefix
from support.server import ServerProcess

pytestmark = pytest.mark.cluster

REDIS_URL = os.environ.get("PAIRBOOK_TEST_REDIS", "redis://127.0.0.1:6379/0")


@pytest.fixture
def prefix() -> str:
    return f"pairbook-test:{uuid.uuid4().hex[:12]}:"


@pytest.fixture
async def redis(prefix: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    try:
        yield client
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def until(check: Callable[[], Awaitable[bool]], *, within: float = 10.0) -> None:
    """Wait for `check` to hold, looking again on every Redis round trip; fails past `within`
    seconds (a bound on a hang, not a measured time)."""
    import asyncio

    async with asyncio.timeout(within):
        # Redis holds the state looked at: there is no event to wait on.
        while not await check():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


@contextmanager
def two_processes(tmp_path: Path, *extra: str) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Two processes serving one notebooks folder (as deploy/ shares one volume), one log,
    one Redis; leases of 1 s so a dead owner's rooms move within seconds; `extra` arguments
    for both. Each has its own PROCESS_NAME, which its kernels inherit. (With a folder of
    its own, a process that took a room over read its own stale copy of the file as an edit
    on disk and reverted the other's work: processes must share the folder;
    docs/operations.md says so.)"""
    root = tmp_path / "notebooks"
    write_notebook(root / "demo.ipynb")
    with fresh_schema() as store, fresh_prefix() as broker:
        started: list[ServerProcess] = []
        try:
            for name in ("a", "b"):
                args = ("--broker", broker, "--owner-lease", "1", *extra)
                env = {"PROCESS_NAME": name}
                started.append(ServerProcess(root, store=store, args=args, env=env).start())
            yield started[0], started[1]
        finally:
            for server in started:
                if server.proc is not None and server.proc.poll() is None:
                    server.stop()


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Two processes on one folder, log and Redis (`two_processes`)."""
    with two_processes(tmp_path) as pair:
        yield pair


@pytest.fixture
def slow_savers(tmp_path: Path) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Two processes on one folder whose rooms wait a minute before saving: an edit made in
    the room stays unsaved, so a change to the file meanwhile is a conflict."""
    with two_processes(tmp_path, "--autosave-delay", "60") as pair:
        yield pair
