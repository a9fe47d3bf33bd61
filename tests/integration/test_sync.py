"""Two or more real clients editing one notebook through a real server process."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from support.client import YClient
from support.handshake import handshake
from support.notebooks import read_sources
from support.server import ServerProcess

pytestmark = pytest.mark.integration


def cell_texts(client: YClient) -> list[tuple[str, str]]:
    return [(str(cell["id"]), str(cell["source"])) for cell in client.cells]


async def test_two_clients_edit_concurrently_and_converge(server: ServerProcess) -> None:
    url = server.ws_url("demo.ipynb")
    async with YClient(url) as ana, YClient(url) as bo:
        assert ana.source(1) == "x = 1\nprint(x)"
        for i in range(20):
            ana.type_into(1, 0, f"a{i};")
            bo.type_into(2, 0, f"b{i};")
        ana.add_code_cell("from-ana", "ana's cell")
        bo.add_code_cell("from-bo", "bo's cell")
        await ana.wait_until(lambda: len(ana.cells) == 5 and "b19;" in ana.source(2))
        await bo.wait_until(lambda: len(bo.cells) == 5 and "a19;" in bo.source(1))
        assert cell_texts(ana) == cell_texts(bo)
        ids = [cell_id for cell_id, _ in cell_texts(ana)]
        assert len(set(ids)) == len(ids)


async def test_a_late_joiner_receives_the_full_state(server: ServerProcess) -> None:
    url = server.ws_url("demo.ipynb")
    async with YClient(url) as ana:
        ana.type_into(1, 0, "# edited\n")
        async with YClient(url) as bo:
            await bo.wait_until(lambda: bo.source(1).startswith("# edited\n"))
            assert cell_texts(bo) == cell_texts(ana)


async def test_edits_survive_a_clean_restart_and_reach_the_file(
    workdir: Path, store_path: str
) -> None:
    server = ServerProcess(workdir, store=store_path).start()
    url = server.ws_url("demo.ipynb")
    async with YClient(url) as ana:
        ana.type_into(1, 0, "# kept\n")
        async with YClient(url) as bo:
            await bo.wait_until(lambda: bo.source(1).startswith("# kept\n"))
    assert server.stop() == 0
    assert read_sources(workdir / "demo.ipynb")[1] == "# kept\nx = 1\nprint(x)"
    with ServerProcess(workdir, store=store_path, port=server.port):
        async with YClient(url) as fresh:
            assert fresh.source(1) == "# kept\nx = 1\nprint(x)"


async def test_an_update_relayed_before_kill_9_is_in_the_log(
    workdir: Path, store_path: str
) -> None:
    server = ServerProcess(workdir, store=store_path, args=("--autosave-delay", "60")).start()
    url = server.ws_url("demo.ipynb")
    async with YClient(url) as ana, YClient(url) as bo:
        ana.type_into(2, 0, "acknowledged = True\n")
        # Relayed means durable: once bo has it, the log has it.
        await bo.wait_until(lambda: bo.source(2).startswith("acknowledged"))
        server.kill()
    assert read_sources(workdir / "demo.ipynb")[2] == "y = x + 1\ny"  # autosave never ran
    with ServerProcess(workdir, store=store_path, port=server.port):
        async with YClient(url) as fresh:
            assert fresh.source(2) == "acknowledged = True\ny = x + 1\ny"


async def test_clients_connected_across_a_restart_with_the_store_resync_without_duplicates(
    workdir: Path, store_path: str
) -> None:
    server = ServerProcess(workdir, store=store_path).start()
    url = server.ws_url("demo.ipynb")
    async with YClient(url) as ana, YClient(url) as bo:
        ana.type_into(1, 0, "# ana\n")
        bo.add_code_cell("bo-cell", "bo = 1")
        await ana.wait_until(lambda: len(ana.cells) == 4)
        await bo.wait_until(lambda: bo.source(1).startswith("# ana"))
        before = cell_texts(ana)
        old_ana, old_bo = ana.doc, bo.doc
    server.stop()
    with ServerProcess(workdir, store=store_path, port=server.port):
        async with YClient(url, doc=old_ana) as ana, YClient(url, doc=old_bo) as bo:
            async with YClient(url) as fresh:
                assert cell_texts(fresh) == before
            assert cell_texts(ana) == before
            assert cell_texts(bo) == before


async def test_a_client_from_a_lost_history_is_told_to_reload_and_nothing_is_duplicated(
    workdir: Path, store_path: str
) -> None:
    server = ServerProcess(workdir, store=store_path).start()
    url = server.ws_url("demo.ipynb")
    async with YClient(url) as ana:
        ana.type_into(1, 0, "# saved to the file\n")
        async with YClient(url) as bo:
            await bo.wait_until(lambda: bo.source(1).startswith("# saved"))
        before = cell_texts(ana)
        old_doc = ana.doc
    server.stop()
    for suffix in ("", "-wal", "-shm"):
        Path(store_path + suffix).unlink(missing_ok=True)
    with ServerProcess(workdir, store=store_path, port=server.port):
        result = await handshake(url, old_doc)
        assert result.close_code == 4409, result
        assert "reload" in result.close_reason
        assert not result.received_state
        async with YClient(url) as fresh:
            assert cell_texts(fresh) == before  # rebuilt from the autosaved file, once


async def test_browsers_bring_back_edits_when_the_store_and_autosave_were_lost(
    workdir: Path, store_path: str
) -> None:
    original = (workdir / "demo.ipynb").read_bytes()
    server = ServerProcess(workdir, store=store_path, args=("--autosave-delay", "60")).start()
    url = server.ws_url("demo.ipynb")
    async with YClient(url) as ana:
        ana.type_into(1, 0, "# only in the browser\n")
        async with YClient(url) as bo:
            await bo.wait_until(lambda: bo.source(1).startswith("# only"))
        old_doc = ana.doc
        expected = cell_texts(ana)
        server.kill()
    for suffix in ("", "-wal", "-shm"):
        Path(store_path + suffix).unlink(missing_ok=True)
    assert (workdir / "demo.ipynb").read_bytes() == original
    with ServerProcess(workdir, store=store_path, port=server.port):
        # Same file, so the same deterministic history: the browser's edit merges back once.
        async with YClient(url, doc=old_doc) as ana:
            assert cell_texts(ana) == expected
            async with YClient(url) as fresh:
                await fresh.wait_until(lambda: fresh.source(1).startswith("# only"))
                assert cell_texts(fresh) == expected


async def test_many_edits_in_a_burst_all_arrive_in_order(server: ServerProcess) -> None:
    url = server.ws_url("demo.ipynb")
    async with YClient(url) as ana, YClient(url) as bo:
        for i in range(300):
            ana.type_into(2, len(ana.source(2)), str(i % 10))
            if i % 50 == 0:
                await asyncio.sleep(0)  # let the provider flush
        await bo.wait_until(lambda: bo.source(2) == ana.source(2), timeout=20)
