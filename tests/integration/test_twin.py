"""The readable twin and quiet diffs against a real server, a real kernel and real git: the
`.py` twin is written beside the notebook, an edit to it on disk is merged into the open
room (never clobbered), and running an unchanged cell leaves a commit's diff empty."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Doc, Map

from support.client import YClient
from support.server import PAIRBOOK, ServerProcess

pytestmark = pytest.mark.integration

QUICK = ("--autosave-delay", "0.1")


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)
    return done.stdout


def init_repository(root: Path) -> None:
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "config", "user.name", "Test Committer")
    git(root, "config", "user.email", "committer@example.org")


async def pairbook(*args: str) -> subprocess.CompletedProcess[str]:
    command = [str(PAIRBOOK), *args]
    return await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, check=False
    )


async def wait_for(predicate: Callable[[], bool], timeout: float = 20) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110 - the server process writes the files
            await asyncio.sleep(0.05)  # polling files another process writes


def runs_of(client: YClient, cell_id: str) -> list[dict[str, Any]]:
    return [r for r in client.map("executions").values() if r["cell_id"] == cell_id]


async def run_times(client: YClient, cell_id: str, times: int) -> None:
    before = len(runs_of(client, cell_id))
    for _ in range(times):
        reply = await client.command("run", cells=[cell_id])
        assert reply["ok"], reply
    await client.wait_until(
        lambda: sum(r["status"] == "ok" for r in runs_of(client, cell_id)) == before + times,
        timeout=60,
    )


def changed_lines(diff: str) -> list[str]:
    return [
        line
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


async def test_ten_runs_of_an_unchanged_cell_leave_the_commits_diff_empty(
    workdir: Path, store_path: str
) -> None:
    init_repository(workdir)
    notebook = workdir / "demo.ipynb"
    with ServerProcess(workdir, store=store_path, args=QUICK) as server:
        async with YClient(server.ws_url("demo.ipynb")) as client:
            await run_times(client, "code-0", 1)
            assert client.cells[1]["metadata"]["pairbook"]["last_run"]["user"]["name"]
            await wait_for(lambda: '"execution_count": 1,' in notebook.read_text())
            await wait_for(lambda: (workdir / "demo.py").is_file())
            done = await pairbook("commit", str(notebook), "--store", store_path)
            assert done.returncode == 0, done.stderr
            assert "demo.py" in git(workdir, "show", "--name-only", "--format=", "HEAD")

            await run_times(client, "code-0", 10)
            await wait_for(lambda: '"execution_count": 11,' in notebook.read_text())
            # Only what Jupyter itself writes changed: the execution count.
            lines = changed_lines(git(workdir, "diff", "-U0", "HEAD", "--", "demo.ipynb"))
            assert lines == ['-   "execution_count": 1,', '+   "execution_count": 11,']
            assert "last_run" not in notebook.read_text()
            assert git(workdir, "diff", "HEAD", "--", "demo.py") == ""

            strip = ("--strip-outputs-on-commit", "--store", store_path)
            done = await pairbook("commit", str(notebook), *strip)
            assert done.returncode == 0, done.stderr
            committed = git(workdir, "show", "HEAD:demo.ipynb")
            assert '"execution_count": null' in committed
            assert '"outputs": []' in committed

            await run_times(client, "code-0", 10)
            await wait_for(lambda: '"execution_count": 21,' in notebook.read_text())
            again = await pairbook("commit", str(notebook), *strip)
            assert again.returncode == 2, again.stdout
            assert "nothing to commit" in again.stderr
            # The room keeps the attribution the file leaves out, also across a reload of
            # the file changed on disk (as by a git pull).
            assert len(runs_of(client, "code-0")) == 21
            text = notebook.read_text().replace('"y = x + 1', '"y = x + 2')
            notebook.write_text(text)
            await client.wait_until(lambda: client.source(2) == "y = x + 2\ny", timeout=20)
            assert client.cells[1]["metadata"]["pairbook"]["last_run"]["execution_count"] == 21
            assert "last_run" not in notebook.read_text()


def edit_twin(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, text
    path.write_text(text.replace(old, new))


async def test_a_twin_edited_on_disk_is_merged_into_the_open_room_not_clobbered(
    workdir: Path, store_path: str
) -> None:
    twin = workdir / "demo.py"
    with ServerProcess(workdir, store=store_path, args=QUICK) as server:
        async with YClient(server.ws_url("demo.ipynb")) as client:
            await wait_for(lambda: twin.is_file() and "y = x + 1" in twin.read_text())
            assert twin.read_text().count("# %%") == 3
            _, listing = server.get("/api/notebooks")
            assert listing == {"notebooks": [listing["notebooks"][0]]}  # type: ignore[index]
            assert listing["notebooks"][0]["twin"] == "demo.py"

            # The .py is edited on disk, and right after the room edits another cell: the
            # room's save must read and merge the .py first, not write over it.
            edit_twin(twin, "y = x + 1", "y = x + 100  # from the editor")
            client.type_into(1, 0, "# room edit\n")
            await client.wait_until(lambda: "from the editor" in client.source(2), timeout=20)
            assert client.source(1) == "# room edit\nx = 1\nprint(x)"
            await wait_for(lambda: "# room edit" in twin.read_text())
            assert "y = x + 100  # from the editor" in twin.read_text()
            await wait_for(lambda: "from the editor" in (workdir / "demo.ipynb").read_text())

            # A new cell at the end of the .py becomes a new cell in the room.
            twin.write_text(twin.read_text() + "\n# %%\nz = y * 2\n")
            await client.wait_until(
                lambda: len(client.cells) == 4 and client.source(3) == "z = y * 2", timeout=20
            )
            assert client.source(1) == "# room edit\nx = 1\nprint(x)"


async def test_the_same_cell_changed_in_the_twin_and_the_room_is_a_conflict_not_a_loss(
    workdir: Path, store_path: str
) -> None:
    twin = workdir / "demo.py"
    args = ("--autosave-delay", "60")
    with ServerProcess(workdir, store=store_path, args=args) as server:
        async with YClient(server.ws_url("demo.ipynb")) as client:
            await wait_for(lambda: twin.is_file())
            client.type_into(2, 0, "# room side\n")
            async with YClient(server.ws_url("demo.ipynb")) as check:
                await check.wait_until(lambda: check.source(2).startswith("# room side"))
            edit_twin(twin, "y = x + 1", "y = 'twin side'")

            def conflict() -> str | None:
                _, body = server.get("/api/notebooks")
                return body["notebooks"][0].get("conflict")  # type: ignore[index,no-any-return]

            await wait_for(lambda: conflict() is not None)
            assert "demo.py" in str(conflict())
            assert "y = 'twin side'" in twin.read_text()  # not clobbered
            assert client.source(2).startswith("# room side")  # not lost
            status, _ = server.request(
                "POST", "/api/notebooks/demo.ipynb/resolve", {"keep": "disk"}
            )
            assert status == 200
            await client.wait_until(lambda: client.source(2) == "y = 'twin side'\ny", timeout=20)
            assert conflict() is None


def set_pairing(formats: str) -> Callable[[Doc[Any]], None]:
    def change(doc: Doc[Any]) -> None:
        ymetadata = doc.get("meta", type=Map)["metadata"]
        ymetadata["jupytext"] = {"formats": formats}

    return change


async def test_the_per_notebook_switch_turns_the_twin_off_and_on(
    workdir: Path, store_path: str
) -> None:
    notebook = workdir / "demo.ipynb"
    done = await pairbook("twin", str(notebook), "off")
    assert done.returncode == 0, done.stderr
    twin = workdir / "demo.py"
    with ServerProcess(workdir, store=store_path, args=QUICK) as server:
        async with YClient(server.ws_url("demo.ipynb")) as client:
            client.type_into(2, 0, "# one\n")
            await wait_for(lambda: "# one" in notebook.read_text())
            assert not twin.exists()
            _, listing = server.get("/api/notebooks")
            assert "twin" not in listing["notebooks"][0]  # type: ignore[index]

            await client.edit(set_pairing("ipynb,py:percent"))  # the page's switch
            await wait_for(lambda: twin.is_file() and "# one" in twin.read_text())
            # The .ipynb's autosave and the twin's write are separate: either may land first.
            await wait_for(lambda: '"formats": "ipynb,py:percent"' in notebook.read_text())

            await client.edit(set_pairing("ipynb"))
            client.type_into(2, 0, "# two\n")
            await wait_for(lambda: "# two" in notebook.read_text())
            assert "# two" not in twin.read_text()  # no longer kept in step


async def test_a_twin_edited_while_the_server_was_down_is_merged_when_the_room_opens(
    workdir: Path, store_path: str
) -> None:
    twin = workdir / "demo.py"
    server = ServerProcess(workdir, store=store_path, args=QUICK).start()
    try:
        async with YClient(server.ws_url("demo.ipynb")) as client:
            client.type_into(1, 0, "# before\n")
            await wait_for(lambda: twin.is_file() and "# before" in twin.read_text())
    finally:
        server.stop()
    edit_twin(twin, "y = x + 1", "y = 'edited offline'")
    with ServerProcess(workdir, store=store_path, port=server.port, args=QUICK):
        async with YClient(server.ws_url("demo.ipynb")) as client:
            await client.wait_until(
                lambda: client.source(2) == "y = 'edited offline'\ny", timeout=20
            )
            assert client.source(1) == "# before\nx = 1\nprint(x)"
            await wait_for(lambda: "edited offline" in (workdir / "demo.ipynb").read_text())


async def test_a_py_beside_the_notebook_that_jupytext_did_not_write_is_left_alone(
    workdir: Path, store_path: str
) -> None:
    module = workdir / "demo.py"
    module.write_text("def helper():\n    return 1\n")
    with ServerProcess(workdir, store=store_path, args=QUICK) as server:
        async with YClient(server.ws_url("demo.ipynb")) as client:
            client.type_into(2, 0, "# saved\n")
            await wait_for(lambda: "# saved" in (workdir / "demo.ipynb").read_text())

            def twin_listed() -> bool:
                _, listing = server.get("/api/notebooks")
                return "twin" in listing["notebooks"][0]  # type: ignore[index]

            await wait_for(lambda: not twin_listed())  # pairbook looked at it, and declined
            assert module.read_text() == "def helper():\n    return 1\n"
            assert client.source(1) == "x = 1\nprint(x)"
