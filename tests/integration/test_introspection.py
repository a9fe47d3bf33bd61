"""Completion and inspection from the shared kernel (real ipykernel): answered to the person
who asked only, never into the document, and while another person's long run executes."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pairbook.kernel.confine import bwrap_works
from pairbook.kernel.introspection import Introspection
from pairbook.kernel.session import KernelSession
from support.client import YClient
from support.notebooks import write_notebook
from support.server import ServerProcess

pytestmark = pytest.mark.integration

LONG_RUN = "import os, time\ntime.sleep(120)"


def run_of(client: YClient, cell_id: str) -> dict[str, Any] | None:
    runs = [r for r in client.map("executions").values() if r["cell_id"] == cell_id]
    return max(runs, key=lambda r: r["queued_at"]) if runs else None


async def rooms_loaded(server: ServerProcess, count: int) -> None:
    async with asyncio.timeout(20):
        while server.get("/api/health")[1] != {"status": "ok", "rooms": count}:  # noqa: ASYNC110
            await asyncio.sleep(0.1)  # polling another process


async def start_long_run(bo: YClient) -> None:
    """Bo runs a cell that imports os and then sleeps: the kernel stays busy (the sleep
    has started once the kernel printed what the cell prints first)."""
    await bo.set_source(2, "print('sleeping')\n" + LONG_RUN)
    assert (await bo.command("run", cells=["code-1"]))["ok"]

    def sleeping() -> bool:
        return any("sleeping" in str(o) for o in bo.cells[2]["outputs"])

    await bo.wait_until(sleeping, timeout=60)


async def test_completion_and_inspection_answer_only_the_asker_during_a_partners_run(
    server: ServerProcess,
) -> None:
    url = server.ws_url("demo.ipynb")
    bo_url = server.ws_url("demo.ipynb", server.join("editor", "Bo")[0])
    async with YClient(url) as ana, YClient(bo_url) as bo:
        await start_long_run(bo)
        # The first answer may wait for the kernel's warm-up (jedi's first inference: 1 s on a
        # quiet machine, 6–9 s at load average 15), which holds the introspection client.
        completed = await ana.command("complete", code="os.pa", cursor_pos=5, timeout=60)
        assert completed["ok"], completed
        result = completed["result"]
        assert "path" in result["matches"]
        assert (result["cursor_start"], result["cursor_end"]) == (3, 5)
        # IPython says the types too (`module`, or `<unknown>` when its inference gives up).
        assert "path" in [typed["text"] for typed in result["types"]]
        inspected = await ana.command(
            "inspect", code="os.path.join(", cursor_pos=12, detail_level=0, timeout=60
        )
        assert inspected["ok"], inspected
        assert inspected["result"]["found"] is True
        assert "Join two or more pathname components" in inspected["result"]["text"]
        # Bo's run is still going: the answers did not wait for it.
        assert run_of(ana, "code-1")["status"] == "running"  # type: ignore[index]
        # Nothing reached Bo, and nothing reached the document.
        await asyncio.sleep(0)  # let anything sent to Bo arrive before looking
        assert bo._channel.pairbook.empty()
        for peer in (ana, bo):
            assert b"pathconf" not in peer.doc.get_update()
            assert b"pathname components" not in peer.doc.get_update()
        assert (await bo.command("interrupt"))["ok"]
        await bo.wait_until(lambda: run_of(bo, "code-1")["status"] == "interrupted", timeout=30)  # type: ignore[index]


async def test_viewers_may_inspect_but_get_no_completions(server: ServerProcess) -> None:
    url = server.ws_url("demo.ipynb")
    vic_url = server.ws_url("demo.ipynb", server.join("viewer", "Vic")[0])
    async with YClient(url) as ana, YClient(vic_url) as vic:
        assert (await ana.command("run", cells=["code-0"]))["ok"]
        await ana.wait_until(lambda: (run_of(ana, "code-0") or {}).get("status") == "ok", 60)
        refused = await vic.command("complete", code="pri", cursor_pos=3)
        assert refused == {"id": refused["id"], "ok": False,
                           "error": "viewers cannot edit, so they get no completions"}  # fmt: skip
        inspected = await vic.command("inspect", code="x", cursor_pos=1)
        assert inspected["ok"], inspected
        assert "int" in inspected["result"]["text"]
        completed = await ana.command("complete", code="pri", cursor_pos=3)
        assert completed["ok"], completed
        assert "print" in completed["result"]["matches"]


async def test_a_stopped_kernel_or_a_bad_cursor_gets_a_clear_answer(server: ServerProcess) -> None:
    async with YClient(server.ws_url("demo.ipynb")) as ana:
        before = await ana.command("complete", code="pri", cursor_pos=3)
        assert not before["ok"]
        assert "the kernel is not running: run a cell to start it" in before["error"]
        assert (await ana.command("run", cells=["code-0"]))["ok"]
        # Asked while that run starts the kernel: answered once it is up, as JupyterLab does.
        starting = await ana.command("complete", code="pri", cursor_pos=3)
        assert starting["ok"], starting
        assert "print" in starting["result"]["matches"]
        await ana.wait_until(lambda: (run_of(ana, "code-0") or {}).get("status") == "ok", 60)
        outside = await ana.command("complete", code="pri", cursor_pos=9)
        assert outside["error"] == "cursor_pos 9 is outside the code (0 to 3)"
        # A restart ends the kernel's subshells: the next question gets a new one.
        assert (await ana.command("complete", code="pri", cursor_pos=3))["ok"]
        assert (await ana.command("restart", timeout=60))["ok"]
        again = await ana.command("complete", code="pri", cursor_pos=3)
        assert "print" in again["result"]["matches"], again


SUBSHELLS = (
    "import threading\nprint(sum(t.name.startswith('subshell-') for t in threading.enumerate()))"
)


async def run_and_wait(peer: YClient, cell_id: str) -> None:
    """Run the cell and wait until that run (not an earlier one) ended well."""
    runs = len(peer.map("executions"))
    assert (await peer.command("run", cells=[cell_id]))["ok"]
    await peer.wait_until(lambda: len(peer.map("executions")) > runs, 10)
    try:
        await peer.wait_until(lambda: run_of(peer, cell_id)["status"] == "ok", 60)  # type: ignore[index]
    except TimeoutError:  # say how the run stands, and the kernel
        kernel = {k: v for k, v in peer.map("kernel").items() if k != "packages"}
        raise AssertionError(f"{run_of(peer, cell_id)}; kernel {kernel}") from None


async def test_a_kept_kernel_answers_again_from_the_same_subshell(
    workdir: Path, store_path: str
) -> None:
    """The room unloads and opens again around a kept kernel: completion works again and
    the kernel still has one subshell, not one per opening."""
    write_notebook(workdir / "other.ipynb")
    with ServerProcess(workdir, store=store_path, args=("--room-unload-delay", "0.2")) as server:
        for opening in range(2):
            async with YClient(server.ws_url("demo.ipynb")) as ana:
                await ana.set_source(2, SUBSHELLS)
                completed = await ana.command("complete", code="threading.enu", cursor_pos=13)
                if opening == 0:  # the kernel starts with the first run
                    assert not completed["ok"]
                    await run_and_wait(ana, "code-1")
                    completed = await ana.command("complete", code="threading.enu", cursor_pos=13)
                assert completed["ok"], completed
                assert "enumerate" in completed["result"]["matches"], (opening, completed)
                await run_and_wait(ana, "code-1")
                printed = "".join(str(o.get("text", "")) for o in ana.cells[2]["outputs"].to_py())
                assert printed == "1\n", (opening, printed)  # one subshell, made once
            async with YClient(server.ws_url("other.ipynb")):
                await rooms_loaded(server, 1)


@pytest.fixture
def empty_cache_folder() -> Iterator[Path]:
    """An empty cache folder outside /tmp: what a sandboxed kernel sees read-only (its /tmp
    is a fresh tmpfs), like the home's ~/.cache on a server whose jedi never cached."""
    folder = Path(tempfile.mkdtemp(prefix="pairbook-test-cache-", dir="/var/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.skipif(bwrap_works() is not None, reason="bubblewrap cannot sandbox a kernel here")
async def test_a_sandboxed_kernel_completes_what_its_cache_lacks(
    workdir: Path, store_path: str, empty_cache_folder: Path
) -> None:
    """Jedi pickles each module it parses into its cache folder. The sandbox makes the home
    read-only; a kernel whose cache folder was read-only answered no completions at all for
    anything not cached yet (parso took EROFS for a crash), so completion depended on what
    an unsandboxed process had cached before."""
    env = {"XDG_CACHE_HOME": str(empty_cache_folder)}
    args = ("--kernel-sandbox", "bwrap")
    with ServerProcess(workdir, store=store_path, args=args, env=env) as server:
        async with YClient(server.ws_url("demo.ipynb")) as ana:
            await ana.set_source(2, "import os")
            await run_and_wait(ana, "code-1")
            completed = await ana.command("complete", code="os.pa", cursor_pos=5, timeout=30)
            assert completed["ok"], completed
            assert "path" in completed["result"]["matches"], completed
            # Matplotlib's config and font cache are writable too: no warning in the output.
            await ana.set_source(2, "import matplotlib\nprint('ok', matplotlib.get_cachedir())")
            await run_and_wait(ana, "code-1")
            outputs = ana.cells[2]["outputs"].to_py()
            assert [o.get("name") for o in outputs] == ["stdout"], outputs
            assert str(outputs[0]["text"]).rstrip().endswith("/matplotlib"), (
                outputs
            )  # not a temp one
    # The kernel cached in a folder of its own; the server's holds only the jedi seed the
    # server built itself (kernel/caches.py), nothing of the kernel's.
    assert [p.name for p in empty_cache_folder.iterdir()] in ([], ["pairbook"])
    assert [p.name for p in empty_cache_folder.glob("pairbook/*")] in ([], ["jedi-seed"])


JEDI_WARM = """import sys
def warm():
    cache = sys.modules.get('parso.cache')
    return 'jedi' in sys.modules and cache is not None and any(cache.parser_cache.values())
print('jedi warm:', warm())"""
"""A cell that says whether jedi has parsed a module in the kernel (IPython imports jedi,
but parses nothing until a first completion)."""

BUSY_THEN_WARM = "import time\ntime.sleep(3)\n" + JEDI_WARM
"""A run that keeps the new kernel busy for 3 s, then says whether jedi parsed meanwhile."""


async def wait_until_warm(client: YClient) -> None:
    """Run the check every 2 s (runs leave the kernel quiet in between, which the warm-up
    waits for) until jedi has parsed, for up to 90 s (a cold cache on a busy machine)."""
    for _ in range(45):
        await run_and_wait(client, "code-1")
        if "jedi warm: True" in str(client.cells[2]["outputs"]):
            return
        await asyncio.sleep(2)
    raise AssertionError(f"jedi never warmed up: {client.cells[2]['outputs']}")


async def test_a_kernel_that_starts_is_warmed_up_for_completion_before_anyone_asks(
    server: ServerProcess,
) -> None:
    async with YClient(server.ws_url("demo.ipynb")) as ana:
        # Nobody asks for a completion: the kernel's runs only look whether jedi has
        # parsed. Its first run keeps it busy: the warm-up waits until runs stop.
        await ana.set_source(2, BUSY_THEN_WARM)
        await run_and_wait(ana, "code-1")
        assert "jedi warm: False" in str(ana.cells[2]["outputs"])
        await ana.set_source(2, JEDI_WARM)
        await wait_until_warm(ana)
        # Restarted, the new kernel process is warmed up too.
        assert (await ana.command("restart", timeout=60))["ok"]
        await wait_until_warm(ana)


async def test_a_kernels_first_completion_may_take_as_long_as_its_warm_up(
    tmp_path: Path,
) -> None:
    """Tab right after the first runs, before the warm-up: that completion loads jedi (6-9 s
    at a load average of 15). It may take the warm-up's time; before, past the usual timeout
    (10 s) the person was told the kernel did not answer, and the test of Tab after a run
    (tests/browser/test_editing.py) failed under load. A timeout shorter than any first
    completion stands for the loaded machine; later answers keep the usual one."""
    kernel = KernelSession("python3", tmp_path, ignore)
    introspection = Introspection(timeout=0.001)
    try:
        assert (await kernel.execute("import os", ignore, no_input)).status == "ok"
        completed = await introspection.complete(kernel, "os.pa", 5, busy=False)
        assert "path" in completed["matches"]
    finally:
        await introspection.close()
        await kernel.shutdown()


def ignore(*args: Any) -> None:
    return None


async def no_input(prompt: str, password: bool) -> str:
    return ""
