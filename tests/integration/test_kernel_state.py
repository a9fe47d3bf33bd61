"""The shared kernel-state view with a real ipykernel: variables, provenance, warnings."""

from __future__ import annotations

import asyncio
import itertools
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from pycrdt import Array, Doc, Map

from pairbook.protocol.messages import encode_sync_update
from support.client import RawPeer, YClient
from support.notebooks import write_notebook
from support.server import OWNER_TOKEN, PAIRBOOK, ServerProcess

pytestmark = pytest.mark.integration

_names = itertools.count()


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("state") / "notebooks"
    root.mkdir()
    with ServerProcess(root, store=str(root.parent / "store.sqlite")) as running:
        yield running


def notebook(server: ServerProcess, sources: list[str]) -> str:
    """A fresh notebook (its own room and kernel) with code cells code-0, code-1, ..."""
    name = f"state-{next(_names)}.ipynb"
    write_notebook(server.root / name, sources)
    return name


def variables(client: YClient) -> dict[str, Any]:
    return dict(client.map("kernel").get("variables") or {})


def analysis(client: YClient) -> dict[str, Any]:
    return dict(client.map("kernel").get("analysis") or {})


def warnings_of(client: YClient, cell_id: str, kind: str | None = None) -> list[dict[str, Any]]:
    found = analysis(client).get("warnings", {}).get(cell_id, [])
    return [w for w in found if kind is None or w["kind"] == kind]


async def run(client: YClient, *cells: str) -> None:
    """Run cells and wait until each has finished and the view has caught up."""
    reply = await client.command("run", cells=list(cells))
    assert reply["ok"], reply
    ids = reply["result"]["queued"]

    def done() -> bool:
        records = client.map("executions")
        return all(records.get(i, {}).get("status") in ("ok", "error", "interrupted") for i in ids)

    await client.wait_until(done, timeout=60)


_joined: dict[tuple[int, str], str] = {}  # display names are unique on a server: join once


async def join(server: ServerProcess, name: str, path: str) -> YClient:
    token = _joined.get((server.port, name))
    if token is None:
        token = _joined[(server.port, name)] = server.join("editor", name)[0]
    return YClient(server.ws_url(path, token))


async def pairbook_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run, [str(PAIRBOOK), *args], capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip


def delete_cell(doc: Doc[Any], cell_id: str) -> None:
    cells = doc.get("cells", type=Array)
    index = [str(c["id"]) for c in cells].index(cell_id)
    del cells[index]


async def test_define_redefine_and_provenance(shared_server: ServerProcess) -> None:
    path = notebook(shared_server, ["a = 1\nb = [1, 2, 3]", "a = a + 10", "c = b * 2"])
    async with (
        YClient(shared_server.ws_url(path)) as ana,
        await join(shared_server, "Bo", path) as bo,
    ):
        await run(ana, "code-0")
        await bo.wait_until(lambda: "b" in variables(bo))
        seen = variables(bo)
        assert seen["a"]["type"] == "int"
        assert seen["a"]["summary"] == "1"
        assert seen["b"]["len"] == 3
        assert seen["b"]["created"]["cell"] == "code-0"
        assert seen["b"]["created"]["user"]["name"] == "Owner"
        assert seen["b"]["created"]["count"] == 1
        await run(bo, "code-1")
        await ana.wait_until(lambda: variables(ana)["a"]["summary"] == "11")
        a = variables(ana)["a"]
        assert a["created"]["cell"] == "code-0"
        assert a["created"]["user"]["name"] == "Owner"
        assert a["changed"]["cell"] == "code-1"
        assert a["changed"]["user"]["name"] == "Bo"
        assert a["changed"]["count"] == 2
        assert a["fingerprint"] != seen["a"]["fingerprint"]
        # IPython's own names and the silent probe leave no trace.
        names = set(variables(ana))
        assert names == {"a", "b"}
        assert not {"In", "Out", "_", "get_ipython", "_pairbook_probe"} & names
        cells = analysis(ana)["cells"]
        assert cells["code-1"] == {"reads": ["a"], "writes": ["a"]}
        assert cells["code-2"] == {"reads": ["b"], "writes": ["c"]}
        # code-0 read nothing, so nothing is stale; the run of code-1 changed `a`
        assert warnings_of(ana, "code-0") == []


async def test_stale_cell_after_another_run_changes_what_it_read(
    shared_server: ServerProcess,
) -> None:
    path = notebook(shared_server, ["x = 1", "y = x * 2", "x = 5"])
    async with (
        YClient(shared_server.ws_url(path)) as ana,
        await join(shared_server, "Bo", path) as bo,
    ):
        await run(ana, "code-0", "code-1")
        assert warnings_of(ana, "code-1") == []
        await run(bo, "code-2")
        await ana.wait_until(lambda: bool(warnings_of(ana, "code-1", "stale")))
        (stale,) = warnings_of(ana, "code-1", "stale")
        assert stale["name"] == "x"
        assert stale["cell"] == "code-2"
        assert stale["by"]["name"] == "Bo"
        await run(ana, "code-1")  # re-running makes it consistent again
        await ana.wait_until(lambda: not warnings_of(ana, "code-1", "stale"))


async def test_out_of_order_unrun_edit_and_hidden_state(shared_server: ServerProcess) -> None:
    path = notebook(shared_server, ["total = base + 1", "base = 10", "tmp = 3\nkeep = 4"])
    async with (
        YClient(shared_server.ws_url(path)) as ana,
        await join(shared_server, "Bo", path) as bo,
    ):
        # Run the lower cell first: code-0's result depends on a cell below it.
        await run(ana, "code-1", "code-0", "code-2")
        await ana.wait_until(lambda: bool(warnings_of(ana, "code-0", "out-of-order")))
        (order,) = warnings_of(ana, "code-0", "out-of-order")
        assert order == {"kind": "out-of-order", "name": "base", "cell": "code-1",
                         "reason": "below", "by": order["by"]}  # fmt: skip
        assert order["by"]["name"] == "Owner"
        # Bo edits code-2 without running it: un-run edit, and `tmp` is now hidden state.
        await bo.set_source(3, "keep = 4")
        await ana.wait_until(lambda: bool(warnings_of(ana, "code-2", "unrun-edit")))
        assert warnings_of(ana, "code-2", "unrun-edit")[0]["by"]["name"] == "Bo"
        await ana.wait_until(lambda: any(h["name"] == "tmp" for h in analysis(ana)["hidden"]))
        (tmp,) = [h for h in analysis(ana)["hidden"] if h["name"] == "tmp"]
        assert tmp["reason"] == "edited"
        assert tmp["cell"] == "code-2"
        assert tmp["by"]["name"] == "Bo"
        assert "tmp" in variables(ana)  # still in the kernel
        # Bo deletes the cell that defined `base`.
        await bo.edit(lambda doc: delete_cell(doc, "code-1"))
        await ana.wait_until(lambda: any(h["name"] == "base" for h in analysis(ana)["hidden"]))
        (base,) = [h for h in analysis(ana)["hidden"] if h["name"] == "base"]
        assert base["reason"] == "deleted"
        assert base["by"]["name"] == "Bo"
        await ana.wait_until(
            lambda: any(w.get("reason") == "deleted" for w in warnings_of(ana, "code-0"))
        )


async def test_exec_star_imports_and_deletion_are_reported(shared_server: ServerProcess) -> None:
    path = notebook(shared_server, ["exec('made = 7')\nfrom string import *", "del made"])
    async with YClient(shared_server.ws_url(path)) as ana:
        await run(ana, "code-0")
        await ana.wait_until(lambda: "made" in variables(ana))
        seen = variables(ana)
        assert seen["made"]["created"]["cell"] == "code-0"  # known: it appeared in that run
        assert seen["ascii_letters"]["type"] == "str"
        assert seen["ascii_letters"]["created"]["cell"] == "code-0"
        # Neither is hidden state: the cell that made them is unchanged.
        assert not analysis(ana)["hidden"]
        await run(ana, "code-1")
        await ana.wait_until(lambda: "made" not in variables(ana))


async def test_hostile_reprs_neither_hang_nor_bloat_the_view(shared_server: ServerProcess) -> None:
    source = (
        "import time\n"
        "class Sleeper:\n    def __repr__(self):\n        time.sleep(3600)\n"
        "class Raiser:\n    def __repr__(self):\n        raise RuntimeError('no')\n"
        "class Huge:\n    def __repr__(self):\n        return 'x' * 10_000_000\n"
        "class Loud:\n    def __repr__(self):\n        print('LOUD'); return 'loud'\n"
        "sleepers = [Sleeper() for _ in range(3)]\n"
        "s1, s2, s3 = sleepers\nraiser, huge, loud = Raiser(), Huge(), Loud()\n"
        "print('done')"
    )
    path = notebook(shared_server, [source])
    async with YClient(shared_server.ws_url(path)) as ana:
        await run(ana, "code-0")
        await ana.wait_until(lambda: "loud" in variables(ana))
        seen = variables(ana)
        assert "longer than" in seen["s1"]["note"]
        assert seen["raiser"]["summary"].startswith("<")
        assert len(seen["huge"]["summary"]) <= 120
        assert seen["loud"]["summary"] == "loud"
        assert len(str(seen)) < 20_000
        # The repr's print went nowhere near the cell.
        outputs = [o.to_py() if hasattr(o, "to_py") else o for o in ana.cells[1]["outputs"]]
        assert [str(o["text"]) for o in outputs] == ["done\n"]
        assert int(ana.cells[1]["execution_count"]) == 1  # the probe took no count
        # and the kernel still answers
        reply = await ana.command("refresh-state")
        assert reply["ok"], reply


async def test_numpy_and_pandas_summaries(shared_server: ServerProcess) -> None:
    pytest.importorskip("numpy")
    pytest.importorskip("pandas")
    source = (
        "import numpy as np, pandas as pd\n"
        "arr = np.zeros((3, 4), dtype='float32')\n"
        "frame = pd.DataFrame({'a': [1, 2], 'b': ['x', 'y']})\n"
        "series = frame['a']"
    )
    path = notebook(shared_server, [source, "arr[0, 0] = 1.0"])
    async with YClient(shared_server.ws_url(path)) as ana:
        await run(ana, "code-0")
        await ana.wait_until(lambda: "series" in variables(ana))
        seen = variables(ana)
        assert seen["arr"]["shape"] == [3, 4]
        assert seen["arr"]["dtype"] == "float32"
        assert seen["arr"]["nbytes"] == 48
        assert seen["frame"]["shape"] == [2, 2]
        assert seen["frame"]["dtypes"]["a"] == "int64"
        assert seen["series"]["type"] == "pandas.Series"
        assert seen["np"]["type"] == "module"
        before = seen["arr"]["fingerprint"]
        await run(ana, "code-1")  # an in-place change of a small array is noticed
        await ana.wait_until(lambda: variables(ana)["arr"]["fingerprint"] != before)
        assert variables(ana)["arr"]["changed"]["cell"] == "code-1"
        reply = await ana.command("packages")
        assert reply["ok"], reply
        names = {p["name"].lower() for p in reply["result"]["packages"]}
        assert {"numpy", "pandas"} <= names
        await ana.wait_until(lambda: bool(ana.map("kernel").get("packages")))
        status, text = shared_server.request("GET", f"/api/requirements/{path}")
        assert status == 200
        assert isinstance(text, str)
        assert any(line.startswith("numpy==") for line in text.splitlines())
        assert not any(line.startswith("ipykernel") for line in text.splitlines())
        # The CLI asks the running server for the same file.
        out = shared_server.root.parent / "requirements.txt"
        done = await pairbook_cli("requirements", path, "--url", shared_server.base,
                                  "--token", OWNER_TOKEN, "-o", str(out))  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "pandas==" in out.read_text()
        refused = await pairbook_cli(
            "requirements", path, "--url", shared_server.base, "--token", "bad"
        )
        assert refused.returncode == 2
        assert "refused: 401" in refused.stderr or "refused: 403" in refused.stderr


INDEX_STARTED, INDEX_RELEASED = "index-started", "index-released"
SLOW_INDEX = f"""import importlib.metadata as m, os, time
real = m.packages_distributions
def slow():
    open({INDEX_STARTED!r}, "w").close()
    while not os.path.exists({INDEX_RELEASED!r}):
        time.sleep(0.05)
    return real()
m.packages_distributions = slow
import numpy"""
"""A kernel whose index of its distributions is built only once the test says so."""


async def test_a_run_goes_first_while_the_kernel_indexes_its_packages(
    shared_server: ServerProcess,
) -> None:
    """New imports are looked up a moment after the runs stop, and the kernel's index of its
    distributions takes seconds when cold: the lookup held the kernel's shell that long, and
    a run asked for meanwhile waited (6 s for the second Shift+Enter of a fresh server under
    load). Here the index is built only when the test says: the run must not wait for it."""
    name = notebook(shared_server, [SLOW_INDEX, "print('ran')"])
    started, released = shared_server.root / INDEX_STARTED, shared_server.root / INDEX_RELEASED
    async with YClient(shared_server.ws_url(name)) as ana:
        await run(ana, "code-0")
        async with asyncio.timeout(60):
            while not started.exists():  # noqa: ASYNC110
                await asyncio.sleep(0.05)  # the kernel's index is being built: the lookup began
        await run(ana, "code-1")  # before: it waited until the index was released
        ran = [r for r in ana.map("executions").values() if r["cell_id"] == "code-1"]
        assert [r["status"] for r in ran] == ["ok"]
        assert not ana.map("kernel").get("packages")  # the lookup has not answered yet
        released.touch()
        await ana.wait_until(lambda: bool(ana.map("kernel").get("packages")), 60)
        assert "numpy" in {p["name"].lower() for p in ana.map("kernel")["packages"]}


async def test_requirements_need_a_running_kernel_and_the_state_dir_is_git_ignored(
    shared_server: ServerProcess,
) -> None:
    path = notebook(shared_server, ["import json"])
    status, body = shared_server.request("GET", f"/api/requirements/{path}")
    assert status == 409
    assert "not running" in body["error"]  # type: ignore[index]
    refused = await pairbook_cli("requirements", path, "--url", shared_server.base,
                                 "--token", OWNER_TOKEN)  # fmt: skip
    assert refused.returncode == 2
    assert "not running" in refused.stderr
    ignore = shared_server.root / ".pairbook" / ".gitignore"
    assert ignore.read_text().splitlines()[-1] == "*"


async def test_requirements_answer_from_the_last_known_packages_after_the_kernel_stopped(
    shared_server: ServerProcess,
) -> None:
    path = notebook(shared_server, ["import numpy\nn = 1"])
    async with YClient(shared_server.ws_url(path)) as ana:
        await run(ana, "code-0")
        await ana.wait_until(lambda: bool(ana.map("kernel").get("packages")), timeout=30)
        reply = await ana.command("shutdown")
        assert reply["ok"], reply
        await ana.wait_until(lambda: ana.map("kernel").get("status") == "stopped")
        assert "n" in variables(ana)  # the view stays, from the kernel that is gone
    status, text = shared_server.request("GET", f"/api/requirements/{path}")
    assert status == 200, text
    assert isinstance(text, str)
    assert any(line.startswith("numpy==") for line in text.splitlines())
    assert "# The kernel is not running: these are the last known packages." in text
    done = await pairbook_cli("requirements", path, "--url", shared_server.base,
                              "--token", OWNER_TOKEN)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "numpy==" in done.stdout


async def test_a_refresh_right_after_a_run_always_refreshes(shared_server: ServerProcess) -> None:
    path = notebook(shared_server, ["import numpy\nafter = 1"])
    async with YClient(shared_server.ws_url(path)) as ana:
        await run(ana, "code-0")
        # Refresh over and over until the packages lookup after the run (which holds the
        # kernel a moment, with nothing running) has written its answer: never refused.
        replies = []
        async with asyncio.timeout(60):
            while not ana.map("kernel").get("packages"):
                replies.append(await ana.command("refresh-state"))
        assert replies
        assert all(reply["ok"] and reply["result"]["refreshed"] for reply in replies), [
            reply for reply in replies if not reply.get("result", {}).get("refreshed")
        ]
        assert "after" in variables(ana)


async def test_restart_empties_the_view(shared_server: ServerProcess) -> None:
    path = notebook(shared_server, ["gone = 1"])
    async with YClient(shared_server.ws_url(path)) as ana:
        await run(ana, "code-0")
        await ana.wait_until(lambda: "gone" in variables(ana))
        reply = await ana.command("restart")
        assert reply["ok"], reply
        await ana.wait_until(lambda: not variables(ana))
        assert analysis(ana)["hidden"] == []


async def test_peers_cannot_write_the_view(shared_server: ServerProcess) -> None:
    path = notebook(shared_server, ["v = 1"])
    async with YClient(shared_server.ws_url(path)) as ana:
        await run(ana, "code-0")
        await ana.wait_until(lambda: "v" in variables(ana))
        forged: Doc[Any] = Doc(client_id=4243)
        forged.apply_update(ana.doc.get_update())
        before = forged.get_state()
        forged.get("kernel", type=Map)["variables"]["v"] = {"type": "forged"}
        async with RawPeer(shared_server.ws_url(path)) as rogue:
            await rogue.send(encode_sync_update(forged.get_update(before)))
            code, _reason = await rogue.closed_with()
        assert code == 4403
        assert variables(ana)["v"]["type"] == "int"
