"""deploy/'s topology as plain processes: two `pairbook serve` processes on the machine's
PostgreSQL (a fresh schema) and Redis (a fresh key prefix), behind Debian's nginx running
deploy/nginx/pairbook.conf (round robin, no sticky sessions). Stock yjs / y-websocket /
@jupyter/ydoc clients connect through nginx, land on both processes, and converge."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.client import YClient
from support.nginx import NginxProxy
from support.nodepeer import node_peer
from support.postgres import fresh_schema
from support.redis import fresh_prefix
from support.server import OWNER_TOKEN, ServerProcess

pytestmark = pytest.mark.integration


@pytest.fixture
def cluster(workdir: Path, tmp_path: Path) -> Iterator[tuple[NginxProxy, list[ServerProcess]]]:
    with fresh_schema() as store, fresh_prefix() as broker:
        servers = [ServerProcess(workdir, store=store, args=("--broker", broker)) for _ in "ab"]
        try:
            for server in servers:
                server.start()
            with NginxProxy(tmp_path / "nginx", [s.port for s in servers]) as proxy:
                yield proxy, servers
        finally:
            for server in servers:
                if server.proc is not None and server.proc.poll() is None:
                    server.stop()


def read_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=10) as response:
        result: dict[str, Any] = json.loads(response.read())
        return result


def open_rooms(server: ServerProcess) -> int:
    status, health = server.get("/api/health", token=None)
    assert status == 200, health
    assert isinstance(health, dict)
    return int(health["rooms"])


async def until(condition: Any, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_stock_clients_through_nginx_on_two_processes_converge(
    cluster: tuple[NginxProxy, list[ServerProcess]],
) -> None:
    proxy, servers = cluster
    health = await asyncio.to_thread(read_json, proxy.base + "/api/health")
    assert health["status"] == "ok"  # plain HTTP through the proxy
    waiting = asyncio.create_task(node_peer(proxy.port, "wait-for", "across = 1"))
    await until(lambda: sum(open_rooms(server) for server in servers) == 1)
    # Round robin, no affinity: the next connections go to the other process first.
    inserted = await node_peer(proxy.port, "insert", "across = 1")
    notebook = await asyncio.wait_for(waiting, 30)
    assert [open_rooms(server) for server in servers] == [1, 1]  # the room is on both
    assert [c["source"] for c in notebook["cells"]] == [c["source"] for c in inserted["cells"]]
    assert notebook["cells"][-1]["source"] == "across = 1"
    assert [c["id"] for c in notebook["cells"]] == [c["id"] for c in inserted["cells"]]
    # A pycrdt peer on each process, straight and through nginx, types; all see both edits.
    direct = [YClient(server.ws_url("demo.ipynb")) for server in servers]
    async with direct[0] as ana, direct[1] as bo:
        ana.type_into(1, 0, "# ana\n")
        bo.type_into(2, 0, "# bo\n")
        for peer in (ana, bo):

            def sees_both(p: YClient = peer) -> bool:
                return "# ana" in p.source(1) and "# bo" in p.source(2)

            await peer.wait_until(sees_both)
        url = f"ws://127.0.0.1:{proxy.port}/rooms/demo.ipynb?token={OWNER_TOKEN}"
        async with YClient(url) as late:
            assert late.sources() == ana.sources() == bo.sources()
            assert late.sources()[-1] == "across = 1"
