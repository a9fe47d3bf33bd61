"""The shared kernel: real ipykernel runs, attributed, streamed into every peer's document."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
from pathlib import Path
from typing import Any

import nbformat
import pytest
from pycrdt import Doc, Map

from pairbook.protocol.messages import encode_sync_update
from support.client import RawPeer, YClient
from support.notebooks import write_notebook
from support.server import ServerProcess

pytestmark = pytest.mark.integration


def outputs(client: YClient, index: int) -> list[dict[str, Any]]:
    cell = client.cells[index]
    return [
        {k: (str(v) if k == "text" else v) for k, v in output.to_py().items()}
        if hasattr(output, "to_py")
        else output
        for output in cell["outputs"]
    ]


def last_run(client: YClient, cell_id: str) -> dict[str, Any] | None:
    runs = [r for r in client.map("executions").values() if r["cell_id"] == cell_id]
    return max(runs, key=lambda r: r["queued_at"]) if runs else None


def host_pid_of_kernel(connection_file: str) -> int:
    """The kernel's pid as this test sees it: in a sandbox the kernel has its own pid
    namespace, so its own os.getpid() means nothing here. Found by its connection file."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        wrapper = Path(argv[0].decode(errors="replace")).name in ("bwrap", "sh", "prlimit")
        if connection_file.encode() in argv and not wrapper:
            return int(entry.name)
    raise AssertionError(f"no kernel process with {connection_file}")


KERNEL_ID = "import sys\nprint(sys.argv[sys.argv.index('-f') + 1])"
"""A cell printing the kernel's connection file: unique to this kernel, seen from outside."""


async def wait_for_run(client: YClient, cell_id: str, status: str = "ok") -> dict[str, Any]:
    def done() -> bool:
        run = last_run(client, cell_id)
        return run is not None and run["status"] == status

    try:
        await client.wait_until(done, timeout=60)
    except TimeoutError:
        pytest.fail(f"run of {cell_id} never became {status}: {last_run(client, cell_id)}")
    run = last_run(client, cell_id)
    assert run is not None
    return run


async def kernel_connection_file(ana: YClient, before: str = "") -> str:
    """Run KERNEL_ID (after `before`) as the first code cell; the connection file it printed."""
    await ana.set_source(1, before + KERNEL_ID)
    await ana.command("run", cells=["code-0"])
    await wait_for_run(ana, "code-0")
    await ana.wait_until(lambda: bool(outputs(ana, 1)))
    return str(outputs(ana, 1)[0]["text"]).strip()


async def test_two_people_queue_runs_in_order_and_each_is_attributed(
    server: ServerProcess,
) -> None:
    bo_token, _ = server.join("editor", "Bo")
    url = server.ws_url("demo.ipynb")
    async with YClient(url) as ana, YClient(server.ws_url("demo.ipynb", bo_token)) as bo:
        first = await ana.command("run", cells=["code-0"])
        second = await bo.command("run", cells=["code-1"])
        assert first["ok"], first
        assert second["ok"], second
        run0 = await wait_for_run(bo, "code-0")
        run1 = await wait_for_run(ana, "code-1")
        assert run0["user"]["name"] == "Owner"
        assert run1["user"]["name"] == "Bo"
        assert run0["execution_count"] == 1
        assert run1["execution_count"] == 2
        assert run0["finished_at"] <= run1["started_at"]
        assert run0["source_hash"]
        assert run0["queued_at"] <= run0["started_at"]
        await ana.wait_until(lambda: len(outputs(ana, 2)) == 1)
        assert outputs(bo, 1) == [{"output_type": "stream", "name": "stdout", "text": "1\n"}]
        assert outputs(ana, 2)[0]["data"] == {"text/plain": "2"}
        assert int(ana.cells[2]["execution_count"]) == 2
        meta = ana.cells[2]["metadata"]["pairbook"]
        assert meta["last_run"]["user"]["name"] == "Bo"


def logged_after(store_path: str, seq: int) -> list[tuple[int, str]]:
    """The log's records after `seq` (seq, author), read beside the running server."""
    with contextlib.closing(sqlite3.connect(f"file:{store_path}?mode=ro", uri=True)) as db:
        query = "SELECT seq, user_id FROM records WHERE room = ? AND seq > ? ORDER BY seq"
        return db.execute(query, ("demo.ipynb", seq)).fetchall()


async def test_a_trivial_run_is_logged_as_five_edits(workdir: Path, store_path: str) -> None:
    # Counted in the log, not in a peer's updates: a peer that falls behind gets its queued
    # updates merged into one frame. The kernel-state view is off: its probe edits after
    # the run, at a time of its own.
    with ServerProcess(workdir, store=store_path, args=("--no-kernel-state",)) as server:
        async with YClient(server.ws_url("demo.ipynb")) as ana:
            await ana.command("run", cells=["code-0", "code-1"])
            await wait_for_run(ana, "code-1")
            await ana.wait_until(lambda: ana.map("kernel").get("status") == "idle")
            (before,) = logged_after(store_path, 0)[-1:]
            reply = await ana.command("run", cells=["code-1"])
            (run,) = reply["result"]["queued"]

            def over() -> bool:
                record = ana.map("executions").get(run, {})
                return record.get("status") == "ok" and ana.map("kernel").get("status") == "idle"

            await ana.wait_until(over)
            logged = logged_after(store_path, before[0])
            # Its record running with the kernel busy; its cell cleared and running; its
            # result; its cell idle with its count; its record final with the kernel idle.
            # (Eight before: queued, running, busy, the cell, the result, idle, the cell, final.)
            assert len(logged) == 5, logged
            assert all(user.startswith("pairbook:server") for _, user in logged), logged
            assert outputs(ana, 2)[0]["data"] == {"text/plain": "2"}
            assert int(ana.cells[2]["execution_count"]) == 3


async def test_every_kind_of_output_lands_in_the_document(server: ServerProcess) -> None:
    async with YClient(server.ws_url("demo.ipynb")) as ana:
        await ana.set_source(
            1,
            "import sys\nfrom IPython.display import display, HTML, clear_output\n"
            "print('out'); print('err', file=sys.stderr)\n"
            "display(HTML('<b>bold</b>'))\n"
            "h = display('v1', display_id=True)\nh.update('v2')\n"
            "42",
        )
        await ana.set_source(2, "print('gone'); clear_output(wait=True); print('kept'); 1/0")
        await ana.command("run", cells=["code-0", "code-1"])
        await wait_for_run(ana, "code-1", "error")
        first = outputs(ana, 1)
        kinds = [(o["output_type"], o.get("name")) for o in first]
        assert ("stream", "stdout") in kinds
        assert ("stream", "stderr") in kinds
        html = [o for o in first if o["output_type"] == "display_data"]
        assert html[0]["data"]["text/html"] == "<b>bold</b>"
        assert html[1]["data"]["text/plain"] == "'v2'"  # updated in place
        assert first[-1]["output_type"] == "execute_result"
        assert first[-1]["data"]["text/plain"] == "42"
        second = outputs(ana, 2)
        assert second[0] == {"output_type": "stream", "name": "stdout", "text": "kept\n"}
        assert second[1]["output_type"] == "error"
        assert second[1]["ename"] == "ZeroDivisionError"


async def test_interrupt_stops_a_sleeping_loop(server: ServerProcess) -> None:
    async with YClient(server.ws_url("demo.ipynb")) as ana:
        await ana.set_source(1, "import time\nfor i in range(600):\n    time.sleep(0.1)")
        await ana.command("run", cells=["code-0"])
        await wait_for_run(ana, "code-0", "running")
        reply = await ana.command("interrupt")
        assert reply["ok"]
        run = await wait_for_run(ana, "code-0", "interrupted")
        assert run["finished_at"] - run["started_at"] < 30
        assert ana.map("kernel")["last_event"]["kind"] == "interrupt"


async def interrupt_once_hooked(ana: YClient, hook: str, code: str) -> dict[str, Any]:
    """Run `hook` in the first code cell, then `code` there; interrupt it as soon as it is
    running. The interrupted run's record."""
    await ana.set_source(1, hook)
    await ana.command("run", cells=["code-0"])
    await wait_for_run(ana, "code-0")
    await ana.set_source(1, code)
    await ana.command("run", cells=["code-0"])
    await wait_for_run(ana, "code-0", "running")
    assert (await ana.command("interrupt"))["ok"]
    return await wait_for_run(ana, "code-0", "interrupted")


SWALLOWS_INTERRUPTS = (
    "import time\nget_ipython().events.register('pre_run_cell', lambda *args: time.sleep(3))"
)
"""An IPython callback that runs after `execute_input` and before each cell's code: IPython
catches a KeyboardInterrupt in it (prints it) and runs the code on, as with autoreload's."""


async def test_an_interrupt_that_lands_before_the_code_starts_is_sent_again(
    server: ServerProcess,
) -> None:
    async with YClient(server.ws_url("demo.ipynb")) as ana:
        # Asked while the run waits for its callback: the SIGINT lands in the callback.
        await interrupt_once_hooked(ana, SWALLOWS_INTERRUPTS, "import time\ntime.sleep(300)")
    assert "interrupt sent again" in server.log()


CUTS_REQUESTS_SHORT = (
    "import time\n"
    "get_ipython().input_transformers_post.append(lambda lines: (time.sleep(2), lines)[1])"
)
"""An input transformer: ipykernel runs it after `execute_input`, outside IPython's guard, so
a KeyboardInterrupt in it ends ipykernel's handling of the request with no reply."""


async def test_a_run_whose_request_the_interrupt_cut_short_says_it_was_interrupted(
    server: ServerProcess,
) -> None:
    async with YClient(server.ws_url("demo.ipynb")) as ana:
        run = await interrupt_once_hooked(ana, CUTS_REQUESTS_SHORT, "print('ran')")
        (output,) = outputs(ana, 1)
        assert output["ename"] == "KeyboardInterrupt"
        assert run["error"] == "KeyboardInterrupt"


SAVES_ON_INTERRUPT = (
    "import time\n"
    "try:\n"
    "    print('started', flush=True)\n"
    "    time.sleep(60)\n"
    "except KeyboardInterrupt:\n"
    "    time.sleep(2.5)  # saving its work\n"
    "    print('saved')"
)
"""Code that catches KeyboardInterrupt to save its work, as JupyterLab lets it."""


async def test_code_interrupted_as_it_starts_gets_one_sigint_to_save_its_work(
    server: ServerProcess,
) -> None:
    # The interrupt lands in the code (it printed); sent again (in the run's first half
    # second, it once was), it would cut the saving short.
    async with YClient(server.ws_url("demo.ipynb")) as ana:
        await ana.set_source(1, "1")
        await ana.command("run", cells=["code-0"])
        await wait_for_run(ana, "code-0")
        await ana.set_source(1, SAVES_ON_INTERRUPT)
        await ana.command("run", cells=["code-0"])
        await ana.wait_until(lambda: "started" in str(outputs(ana, 1)), timeout=60)
        assert (await ana.command("interrupt"))["ok"]
        ended = ("ok", "interrupted", "error")
        await ana.wait_until(lambda: (last_run(ana, "code-0") or {})["status"] in ended, 60)
        shown = outputs(ana, 1)
        assert [o["output_type"] for o in shown] == ["stream"]  # no KeyboardInterrupt
        assert shown[0]["text"] == "started\nsaved\n"
        assert (last_run(ana, "code-0") or {})["status"] == "ok"  # it caught the interrupt


async def test_the_first_run_shows_the_kernel_busy_once_it_has_started(
    server: ServerProcess,
) -> None:
    """The first run starts the kernel: the page says "starting", then "busy" while the
    cell runs (it said "starting" until the run ended: a long first cell looked stuck)."""
    async with YClient(server.ws_url("demo.ipynb")) as ana:
        await ana.set_source(1, "print('up', flush=True)\nimport time\ntime.sleep(600)")
        await ana.command("run", cells=["code-0"])
        await ana.wait_until(lambda: ana.map("kernel").get("status") == "starting", 30)
        await ana.wait_until(lambda: "up" in str(outputs(ana, 1)), 60)
        await ana.wait_until(lambda: ana.map("kernel").get("status") == "busy", 10)
        assert (await ana.command("interrupt"))["ok"]
        await wait_for_run(ana, "code-0", "interrupted")
        await ana.wait_until(lambda: ana.map("kernel").get("status") == "idle", 10)


async def test_a_sandboxed_kernel_prints_nothing_into_the_servers_output(
    server: ServerProcess,
) -> None:
    """ipykernel run from a terminal prints a note on Ctrl-C and its connection file; a
    kernel of pairbook's is not, and the person running `pairbook serve` is not told."""
    async with YClient(server.ws_url("demo.ipynb")) as ana:
        await ana.command("run", cells=["code-0"])
        await wait_for_run(ana, "code-0")
    log = server.log()
    assert "kernel started" in log
    assert "Ctrl-C will not work" not in log
    assert "To connect another client to this kernel" not in log


async def test_restart_clears_the_namespace_and_is_attributed(server: ServerProcess) -> None:
    async with YClient(server.ws_url("demo.ipynb")) as ana:
        await ana.command("run", cells=["code-0"])
        await wait_for_run(ana, "code-0")
        reply = await ana.command("restart")
        assert reply["ok"], reply
        assert ana.map("kernel")["last_event"]["kind"] == "restart"
        await ana.command("run", cells=["code-1"])
        run = await wait_for_run(ana, "code-1", "error")  # x is gone
        assert run["execution_count"] == 1
        assert "NameError" in str(outputs(ana, 2))


async def test_a_kernel_killed_from_outside_is_stopped_and_restart_brings_it_back(
    server: ServerProcess,
) -> None:
    async with YClient(server.ws_url("demo.ipynb")) as ana:
        pid = host_pid_of_kernel(await kernel_connection_file(ana))
        await ana.set_source(1, "import time\ntime.sleep(60)")
        await ana.command("run", cells=["code-0"])
        await wait_for_run(ana, "code-0", "running")
        os.kill(pid, signal.SIGKILL)
        await wait_for_run(ana, "code-0", "dead")
        await ana.wait_until(lambda: ana.map("kernel").get("status") == "stopped")
        assert ana.map("kernel")["stopped"]["reason"] == "died"
        assert [str(c["id"]) for c in ana.cells] == ["intro", "code-0", "code-1"]
        await ana.command("run", cells=["code-1"])  # the next run starts a fresh kernel
        await wait_for_run(ana, "code-1", "error")
        assert "NameError" in str(outputs(ana, 2))
        assert (await ana.command("restart"))["ok"]
        await ana.command("run", cells=["code-1"])
        await wait_for_run(ana, "code-1", "error")  # fresh kernel: x is not defined


async def test_a_viewer_cannot_run_cells(server: ServerProcess) -> None:
    vi_token, _ = server.join("viewer", "Vi")
    async with YClient(server.ws_url("demo.ipynb", vi_token)) as viewer:
        reply = await viewer.command("run", cells=["code-0"])
        assert not reply["ok"]
        assert "viewers cannot run" in reply["error"]
        assert viewer.map("executions") == {}


async def test_a_flood_of_output_stays_bounded(server: ServerProcess) -> None:
    async with YClient(server.ws_url("demo.ipynb")) as ana:
        await ana.set_source(1, "for i in range(200_000):\n    print('line', i)")
        await ana.command("run", cells=["code-0"])
        await wait_for_run(ana, "code-0")
        kept = outputs(ana, 1)
        text = "".join(o.get("text", "") for o in kept)
        assert len(text) < 1_100_000
        assert text.startswith("line 0\n")
        # The note is the last output, and counts the lines it did not show.
        note = kept[-1]["text"]
        assert note.startswith("\n[pairbook: output truncated: ")
        shown = sum(o["text"].count("\n") for o in kept[:-1])
        assert f"truncated: {200_000 - shown:,} lines (" in note
        assert "line 199999" not in text


async def test_input_prompts_the_person_who_ran_the_cell(server: ServerProcess) -> None:
    async with (
        YClient(server.ws_url("demo.ipynb")) as ana,
        YClient(server.ws_url("demo.ipynb")) as bo,
    ):
        await ana.set_source(1, "name = input('who? ')\nprint('hi', name)")
        await ana.command("run", cells=["code-0"])
        request = await ana.event("input-request")
        assert request["prompt"] == "who? "
        await bo.wait_until(lambda: (last_run(bo, "code-0") or {}).get("status") == "waiting-input")
        reply = await ana.command("input-reply", execution=request["execution"], value="Ada")
        assert reply["ok"]
        await wait_for_run(ana, "code-0")
        # The prompt and its answer are echoed before what the code printed, for everyone.
        assert outputs(ana, 1)[0]["text"] == "who? Ada\nhi Ada\n"
        await bo.wait_until(lambda: bool(outputs(bo, 1)) and outputs(bo, 1) == outputs(ana, 1))
        assert not [e for e in bo.events if e.get("event") == "input-request"]


async def test_a_queued_run_can_be_cancelled_by_its_requester(server: ServerProcess) -> None:
    async with YClient(server.ws_url("demo.ipynb")) as ana:
        await ana.set_source(1, "import time\ntime.sleep(3)")
        await ana.command("run", cells=["code-0"])
        queued = await ana.command("run", cells=["code-1"])
        execution = queued["result"]["queued"][0]
        reply = await ana.command("cancel", execution=execution)
        assert reply["ok"], reply
        run = await wait_for_run(ana, "code-1", "cancelled")
        assert run["id"] == execution
        await ana.command("interrupt")


async def test_the_saved_notebook_is_valid_and_the_room_keeps_who_ran_what(
    server: ServerProcess, workdir: Path
) -> None:
    async with YClient(server.ws_url("demo.ipynb")) as ana:
        await ana.command("run", cells=["code-0", "code-1"])
        await wait_for_run(ana, "code-1")
    async with asyncio.timeout(10):
        while True:
            notebook = nbformat.read(workdir / "demo.ipynb", as_version=4)
            if notebook.cells[2].get("execution_count") == 2:
                break
            await asyncio.sleep(0.1)  # the autosave of another process
    nbformat.validate(notebook)
    # Who ran it stays in the document (and the log); the file gets what Jupyter writes.
    assert "pairbook" not in notebook.cells[2].metadata
    assert "execution_state" not in notebook.cells[2]
    async with YClient(server.ws_url("demo.ipynb")) as bo:
        last = bo.cells[2]["metadata"]["pairbook"]["last_run"]
        assert last["user"]["name"] == "Owner"
        assert last["status"] == "ok"
    assert not isinstance(notebook, Map)


async def test_the_kernel_maps_stay_server_only_across_a_restart(
    workdir: Path, store_path: str
) -> None:
    server = ServerProcess(workdir, store=store_path).start()
    async with YClient(server.ws_url("demo.ipynb")) as ana:
        await ana.command("run", cells=["code-0"])
        await wait_for_run(ana, "code-0")
    server.stop()
    with ServerProcess(workdir, store=store_path, port=server.port):
        async with YClient(server.ws_url("demo.ipynb")) as ana:
            assert ana.map("kernel")["name"] == "python3"
            forged: Doc[Any] = Doc(client_id=4242)
            forged.apply_update(ana.doc.get_update())
            before = forged.get_state()
            forged.get("kernel", type=Map)["status"] = "hacked"
            async with RawPeer(server.ws_url("demo.ipynb")) as rogue:
                await rogue.send(encode_sync_update(forged.get_update(before)))
                code, reason = await rogue.closed_with()
            assert code == 4403
            assert "server only" in reason
            assert ana.map("kernel")["status"] != "hacked"


async def until_gone(pid: int) -> None:
    async with asyncio.timeout(20):
        while True:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            await asyncio.sleep(0.1)  # another process's kernel going away


async def rooms_loaded(server: ServerProcess, count: int) -> None:
    async with asyncio.timeout(20):
        while server.get("/api/health")[1] != {"status": "ok", "rooms": count}:  # noqa: ASYNC110
            await asyncio.sleep(0.1)  # polling another process


async def test_the_kernel_outlives_the_empty_room_and_stops_with_the_server(
    workdir: Path, store_path: str
) -> None:
    write_notebook(workdir / "other.ipynb")
    with ServerProcess(workdir, store=store_path, args=("--room-unload-delay", "0.2")) as server:
        async with YClient(server.ws_url("demo.ipynb")) as ana:
            await ana.set_source(1, "x = 41")
            await ana.set_source(2, KERNEL_ID)
            await ana.command("run", cells=["code-0", "code-1"])
            await wait_for_run(ana, "code-1")
            await ana.wait_until(lambda: bool(outputs(ana, 2)))
            connection_file = outputs(ana, 2)[0]["text"].strip()
        # Everyone left to open another notebook: the empty room unloads, its kernel stays.
        async with YClient(server.ws_url("other.ipynb")):
            await rooms_loaded(server, 1)
        pid = host_pid_of_kernel(connection_file)
        os.kill(pid, 0)
        await rooms_loaded(server, 0)
        assert "pairbook_kept_kernels 1.0" in str(server.get("/metrics", token=None)[1])
        async with YClient(server.ws_url("demo.ipynb")) as ana:
            assert ana.map("kernel")["status"] == "idle"
            await ana.set_source(1, "print(x + 1)")
            await ana.command("run", cells=["code-0", "code-1"])
            await wait_for_run(ana, "code-1")
            await ana.wait_until(lambda: bool(outputs(ana, 1)) and bool(outputs(ana, 2)))
            assert outputs(ana, 1)[0]["text"] == "42\n"  # x is still defined
            assert outputs(ana, 2)[0]["text"].strip() == connection_file  # the same kernel
        await rooms_loaded(server, 0)
        os.kill(pid, 0)
    await until_gone(pid)  # the server shut the kept kernel down as it stopped


CULL = 2.0
"""Seconds idle before the cull in the cull test; the warning comes CULL / 4 before."""


def kept_kernels(server: ServerProcess) -> int:
    metrics = str(server.get("/metrics", token=None)[1])
    (line,) = [line for line in metrics.splitlines() if line.startswith("pairbook_kept_kernels ")]
    return round(float(line.split()[1]))


async def test_an_idle_kernel_is_announced_then_culled_loaded_or_not(
    workdir: Path, store_path: str
) -> None:
    args = ("--cull-idle-after", str(CULL), "--room-unload-delay", "0.2")
    with ServerProcess(workdir, store=store_path, args=args) as server:
        async with YClient(server.ws_url("demo.ipynb")) as ana:
            changes: list[dict[str, Any]] = []
            ana.on_change("kernel", changes.append)
            await ana.command("run", cells=["code-0"])
            await wait_for_run(ana, "code-0")
            await ana.wait_until(lambda: ana.map("kernel").get("status") == "stopped", 30)
            # Before the cull, the kernel map said when it would happen, the kernel idle.
            status, warned = None, []
            for change in changes:
                status = change.get("status", status)
                if change.get("cull_at") is not None:
                    warned.append(status)
            assert warned  # once at least (a later write of the map may repeat it)
            assert set(warned) == {"idle"}
            stopped = ana.map("kernel")["stopped"]
            assert stopped["reason"] == "idle"
            assert stopped["by"] is None
            assert stopped["idle_for"] >= CULL
            assert ana.map("kernel").get("cull_at") is None
            # A run starts a new kernel: the variables of the culled one are gone.
            await ana.set_source(2, "print(x)")
            await ana.command("run", cells=["code-1"])
            await wait_for_run(ana, "code-1", "error")
            await ana.wait_until(lambda: ana.map("kernel").get("status") == "idle")
            assert ana.map("kernel").get("stopped") is None
        # Everyone left: the room unloads, and its kept kernel is culled all the same.
        await rooms_loaded(server, 0)
        async with asyncio.timeout(30):
            while kept_kernels(server) != 0:  # noqa: ASYNC110
                await asyncio.sleep(0.1)  # polling another process
        async with YClient(server.ws_url("demo.ipynb")) as ana:
            await ana.wait_until(lambda: ana.map("kernel").get("status") == "stopped")
            assert ana.map("kernel")["stopped"]["reason"] == "idle"


async def test_after_a_server_restart_a_room_shows_its_kernel_stopped_not_idle(
    workdir: Path, store_path: str
) -> None:
    write_notebook(workdir / "kept.ipynb")
    args = ("--room-unload-delay", "0.2")
    with ServerProcess(workdir, store=store_path, args=args) as server:
        for name in ("demo.ipynb", "kept.ipynb"):
            async with YClient(server.ws_url(name)) as ana:
                connection_file = await kernel_connection_file(ana, "import numpy\n")
                await ana.wait_until(lambda: bool(ana.map("kernel").get("packages")), 30)
        pid = host_pid_of_kernel(connection_file)  # kept.ipynb's kernel, kept
        await rooms_loaded(server, 0)
        async with YClient(server.ws_url("demo.ipynb")) as ana:  # open while the server stops
            assert ana.map("kernel")["status"] == "idle"
            server.stop()
    await until_gone(pid)  # the kept kernel died with the server
    with ServerProcess(workdir, store=store_path, args=args) as server:
        async with YClient(server.ws_url("demo.ipynb")) as ana:
            kernel = ana.map("kernel")
            assert kernel["status"] == "stopped"
            assert kernel["stopped"]["reason"] == "server"
            assert kernel["stopped"]["at"] is not None  # the server saw it stop
        async with YClient(server.ws_url("kept.ipynb")) as ana:
            kernel = ana.map("kernel")
            assert kernel["status"] == "stopped"
            assert kernel["stopped"] == {"reason": "server", "by": None, "at": None,
                                         "idle_for": None}  # fmt: skip
        # What the kernel had imported is still known after the restart.
        status, text = server.get("/api/requirements/kept.ipynb")
        assert status == 200, text
        assert "numpy==" in str(text)


async def test_a_kernel_killed_while_idle_is_shown_stopped_loaded_or_kept(
    workdir: Path, store_path: str
) -> None:
    with ServerProcess(workdir, store=store_path, args=("--room-unload-delay", "0.2")) as server:
        for kept in (False, True):
            async with YClient(server.ws_url("demo.ipynb")) as ana:
                pid = host_pid_of_kernel(await kernel_connection_file(ana))
                if not kept:  # killed while its room is open: everyone sees it at once
                    os.kill(pid, signal.SIGKILL)
                    await ana.wait_until(lambda: ana.map("kernel")["status"] == "stopped", 30)
                    assert ana.map("kernel")["stopped"]["reason"] == "died"
            if kept:  # killed while kept without its room: the room says so when it loads
                await rooms_loaded(server, 0)
                os.kill(pid, signal.SIGKILL)
                await until_gone(pid)
                async with asyncio.timeout(30):
                    while True:
                        async with YClient(server.ws_url("demo.ipynb")) as ana:
                            if ana.map("kernel")["status"] == "stopped":
                                break
                        await rooms_loaded(server, 0)
                assert ana.map("kernel")["stopped"]["reason"] == "died"


async def test_a_chart_whose_mime_type_nbformat_takes_as_text_is_saved_and_the_room_unloads(
    workdir: Path, store_path: str
) -> None:
    # altair 6 displays `application/vnd.vegalite.v6.json` (not `+json`) as a dict: the file
    # keeps it as JSON text; saving it used to fail, and failing at unload stopped the server.
    spec = "{'mark': 'point', 'data': {'values': [{'x': 1}]}}"
    chart = f"display({{'application/vnd.vegalite.v6.json': {spec}}}, raw=True)"
    with ServerProcess(workdir, store=store_path, args=("--room-unload-delay", "0.2")) as server:
        async with YClient(server.ws_url("demo.ipynb")) as ana:
            await ana.set_source(1, chart)
            await ana.command("run", cells=["code-0"])
            await wait_for_run(ana, "code-0")
            await ana.wait_until(lambda: bool(outputs(ana, 1)))
        async with asyncio.timeout(20):
            while server.get("/api/health")[1] != {"status": "ok", "rooms": 0}:  # noqa: ASYNC110
                await asyncio.sleep(0.1)  # polling another process
        saved = nbformat.read(workdir / "demo.ipynb", as_version=4)
        (output,) = saved.cells[1].outputs
        assert output.data["application/vnd.vegalite.v6.json"].startswith("{")
        async with YClient(server.ws_url("demo.ipynb")) as ana:  # the server still serves
            assert outputs(ana, 1)
