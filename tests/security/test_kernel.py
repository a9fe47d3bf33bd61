"""Issue #12, part "kernel": an editor's code is confined (no `.pairbook/`, no secrets in its
environment, its whole process tree dies with it), its outputs are bounded, and mob and run
rules hold for restore and input()."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.client import RawPeer, YClient
from support.notebooks import write_notebook
from support.pair import owner_and_bo
from support.server import REPO, ServerProcess

pytestmark = pytest.mark.security


def last_run(client: YClient, cell_id: str) -> dict[str, Any] | None:
    runs = [r for r in client.map("executions").values() if r["cell_id"] == cell_id]
    return max(runs, key=lambda r: r["queued_at"]) if runs else None


async def run_cell(client: YClient, source: str, cell: str = "code-0") -> str:
    """Put `source` in the cell, run it, wait for it to finish; its text output."""
    index = next(i for i, c in enumerate(client.cells) if c["id"] == cell)
    await client.set_source(index, source)
    reply = await client.command("run", cells=[cell])
    assert reply["ok"], reply
    execution = reply["result"]["queued"][0]

    def finished() -> bool:
        record = client.map("executions").get(execution)
        return record is not None and record["status"] not in ("queued", "running")

    await client.wait_until(finished, timeout=60)
    text = []
    for output in client.cells[index]["outputs"]:
        data = output.to_py() if hasattr(output, "to_py") else output
        if data.get("output_type") == "stream":
            text.append(str(output["text"]))
        elif data.get("output_type") == "error":
            text.append(f"{data['ename']}: {data['evalue']}")
    return "".join(text)


def processes_with(marker: str) -> list[int]:
    """Host pids whose command line holds `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            status = (entry / "status").read_text()
        except OSError:
            continue
        named = f"Name:\t{marker}\n" in status
        if (marker.encode() in cmdline or named) and "State:\tZ" not in status:
            found.append(int(entry.name))
    return found


def wait_gone(marker: str, timeout: float = 20.0) -> list[int]:
    """Wait until no process carries `marker`; the ones left at the deadline."""
    deadline = time.monotonic() + timeout
    while (left := processes_with(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)  # polling /proc: there is no event for "a process elsewhere died"
    return left


@pytest.fixture
def markers() -> Iterator[list[str]]:
    """Unique `sleep` durations to find a cell's children by; killed after the test."""
    made: list[str] = []
    yield made
    for marker in made:
        for pid in processes_with(marker):
            os.kill(pid, 9)


def spawn_children(markers: list[str]) -> str:
    """A cell that leaves three children behind: one in the kernel's process group, one
    that escaped into its own session (a daemon), and a forked copy of the kernel itself
    (holding its sockets) renamed so the test can find it."""
    plain, daemon = (f"{9000 + secrets.randbelow(999)}.{secrets.randbelow(10**6)}" for _ in "ab")
    twin = f"pb{secrets.randbelow(10**8):08d}"
    markers += [plain, daemon, twin]
    return (
        "import os, subprocess, time\n"
        f"subprocess.Popen(['sleep', '{plain}'])\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        f"    os.execvp('sleep', ['sleep', '{daemon}'])\n"
        "if os.fork() == 0:\n"
        f"    open('/proc/self/comm', 'w').write('{twin}')\n"
        "    time.sleep(1000)\n"
        "    os._exit(0)\n"
        "print('spawned')\n"
    )


def wait_present(marker: str, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while not processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.05)  # the forked child renames itself a moment after the cell printed
    return bool(processes_with(marker))


def all_gone(markers: list[str]) -> bool:
    return all(wait_gone(marker) == [] for marker in markers)


# -- 1. the kernel cannot read pairbook's state ------------------------------------------


async def test_a_cell_cannot_read_the_state_folder_or_the_log(
    server: ServerProcess, workdir: Path, store_path: str
) -> None:
    state = workdir / ".pairbook"
    (state / "owner-token").write_text("a secret\n")  # the fixture passes --owner-token
    probe = (
        "import os\n"
        "def attempt(path):\n"
        "    try:\n"
        "        with open(path, 'rb') as f:\n"
        "            return 'READ %d' % len(f.read())\n"
        "    except OSError as e:\n"
        "        return 'refused'\n"
        f"for p in [{str(state / 'owner-token')!r}, {str(state / 'tokens.json')!r},\n"
        f"          {store_path!r}, {store_path + '-wal'!r}]:\n"
        "    print(p.rsplit('/', 1)[-1], attempt(p))\n"
        f"print('listing', os.listdir({str(state)!r}))\n"
        "print('env', sorted(k for k in os.environ if k.startswith('PAIRBOOK')))\n"
    )
    async with YClient(server.ws_url("demo.ipynb")) as ana:
        out = await run_cell(ana, probe)
    assert "READ" not in out, out
    assert "owner-token refused" in out, out
    assert "store.sqlite refused" in out, out
    assert "listing []" in out, out
    assert "env []" in out, out  # PAIRBOOK_SETTINGS carries the owner token


@pytest.mark.parametrize("form", ["sqlite-url", "relative-path"])
async def test_a_log_kept_in_the_notebook_folder_is_hidden_too(workdir: Path, form: str) -> None:
    """The notebook folder is writable for the kernel: a log kept there (named by a
    sqlite:/// URL, or by a path relative to where pairbook was started) must be hidden."""
    log = workdir / "team-log.sqlite"
    # a relative path is relative to the folder the test servers start in
    store = f"sqlite:///{log}" if form == "sqlite-url" else os.path.relpath(log, REPO)
    probe = (
        "def attempt(path):\n"
        "    try:\n"
        "        with open(path, 'rb') as f:\n"
        "            return 'READ %d' % len(f.read())\n"
        "    except OSError as e:\n"
        "        return 'refused'\n"
        f"for p in [{str(log)!r}, {str(log) + '-wal'!r}]:\n"
        "    print(p.rsplit('/', 1)[-1], attempt(p))\n"
    )
    with ServerProcess(workdir, store=store) as server:
        async with YClient(server.ws_url("demo.ipynb")) as ana:
            out = await run_cell(ana, probe)
    assert log.stat().st_size > 0
    assert "team-log.sqlite READ 0" in out or "team-log.sqlite refused" in out, out
    assert "team-log.sqlite-wal READ 0" in out or "team-log.sqlite-wal refused" in out, out


async def test_a_cell_still_writes_in_its_folder_and_tmp(
    server: ServerProcess, workdir: Path
) -> None:
    source = (
        "import os, tempfile\n"
        "open('written-by-cell.txt', 'w').write('hello')\n"
        "with tempfile.NamedTemporaryFile('w', dir='/tmp', delete=False) as f:\n"
        "    f.write('x')\n"
        "print('cwd', os.getcwd())\n"
        "print('tmp ok', os.path.exists(f.name))\n"
    )
    async with YClient(server.ws_url("demo.ipynb")) as ana:
        out = await run_cell(ana, source)
    assert f"cwd {workdir}" in out, out
    assert "tmp ok True" in out, out
    assert (workdir / "written-by-cell.txt").read_text() == "hello"


# -- 2. the kernel's process tree dies with it ---------------------------------------------


async def test_a_cells_children_die_with_a_restart_and_the_restart_does_not_hang(
    server: ServerProcess, markers: list[str]
) -> None:
    async with YClient(server.ws_url("demo.ipynb")) as ana:
        assert "spawned" in await run_cell(ana, spawn_children(markers))
        assert all(wait_present(m) for m in markers)
        reply = await ana.command("restart", timeout=60)
        assert reply["ok"], reply
        assert all_gone(markers)
        # the fresh kernel runs, and a second restart is as quick to answer
        assert "1" in await run_cell(ana, "print(1)")
        reply = await ana.command("restart", timeout=60)
        assert reply["ok"], reply


async def test_a_cells_children_die_with_a_shutdown(
    server: ServerProcess, markers: list[str]
) -> None:
    async with YClient(server.ws_url("demo.ipynb")) as ana:
        assert "spawned" in await run_cell(ana, spawn_children(markers))
        reply = await ana.command("shutdown", timeout=60)
        assert reply["ok"], reply
        assert all_gone(markers)


@pytest.mark.parametrize("how", ["stop", "kill"])
async def test_a_cells_children_die_with_the_server(
    workdir: Path, store_path: str, markers: list[str], how: str
) -> None:
    with ServerProcess(workdir, store=store_path) as server:
        async with YClient(server.ws_url("demo.ipynb")) as ana:
            assert "spawned" in await run_cell(ana, spawn_children(markers))
        if how == "stop":
            server.stop()
        else:
            server.kill()
    assert all_gone(markers)


async def test_the_process_limit_holds_a_fork_bomb(workdir: Path, store_path: str) -> None:
    source = (
        "import subprocess\n"
        "children = []\n"
        "try:\n"
        "    for _ in range(200):\n"
        "        children.append(subprocess.Popen(['sleep', '60']))\n"
        "except OSError as e:\n"
        "    print('refused after', len(children))\n"
        "for c in children:\n"
        "    c.kill()\n"
    )
    with ServerProcess(workdir, store=store_path, args=("--kernel-processes", "64")) as server:
        async with YClient(server.ws_url("demo.ipynb")) as ana:
            out = await run_cell(ana, source)
    assert "refused after" in out, out
    assert int(out.split("refused after")[1].split()[0]) < 64


async def test_the_memory_limit_holds(workdir: Path, store_path: str) -> None:
    source = (
        "try:\n"
        "    block = bytearray(2 * 1024**3)\n"
        "    print('allocated')\n"
        "except MemoryError:\n"
        "    print('refused')\n"
    )
    with ServerProcess(workdir, store=store_path, args=("--kernel-memory", "1G")) as server:
        async with YClient(server.ws_url("demo.ipynb")) as ana:
            out = await run_cell(ana, source)
    assert "refused" in out, out


async def test_an_interrupt_still_stops_a_sandboxed_cell(server: ServerProcess) -> None:
    async with YClient(server.ws_url("demo.ipynb")) as ana:
        await ana.set_source(1, "import time\nprint('sleeping', flush=True)\ntime.sleep(600)")
        reply = await ana.command("run", cells=["code-0"])
        assert reply["ok"], reply
        await ana.wait_until(lambda: len(ana.cells[1]["outputs"]) > 0, timeout=60)
        assert (await ana.command("interrupt"))["ok"]

        def interrupted() -> bool:
            return (last_run(ana, "code-0") or {}).get("status") == "interrupted"

        await ana.wait_until(interrupted, timeout=60)


# -- 3. display updates spend the output budget ---------------------------------------------


def texts(client: YClient, index: int) -> list[str]:
    found = []
    for output in client.cells[index]["outputs"]:
        data = output.to_py() if hasattr(output, "to_py") else output
        if data.get("output_type") == "stream":
            found.append(str(output["text"]))
        else:
            found.append(str((data.get("data") or {}).get("text/plain", "")))
    return found


async def test_a_flood_of_display_updates_is_truncated_like_other_output(
    server: ServerProcess,
) -> None:
    source = (
        "from IPython.display import display\n"
        "handle = display('start', display_id=True)\n"
        "for i in range(40):\n"
        "    handle.update('update-%d ' % i + 'x' * 100_000)\n"
    )
    async with YClient(server.ws_url("demo.ipynb")) as ana:
        await run_cell(ana, source)
        shown = texts(ana, 1)
    assert any("output truncated" in text for text in shown), shown
    display = next(text for text in shown if "update-" in text or text == "'start'")
    # 1 MB of budget holds about ten 100 kB updates, not forty
    assert display.startswith("'update-"), display[:40]
    assert int(display.split()[0].removeprefix("'update-")) < 12


async def test_a_clear_output_loop_cannot_stream_without_end(server: ServerProcess) -> None:
    source = (
        "from IPython.display import clear_output\n"
        "for i in range(200):\n"
        "    clear_output()\n"
        "    print('frame-%d ' % i + 'x' * 100_000)\n"
        "print('done')\n"
    )
    async with YClient(server.ws_url("demo.ipynb")) as ana:
        await run_cell(ana, source)
        shown = "".join(texts(ana, 1))
    # 10 x the 1 MB limit in all (about a hundred frames), then the cell stays as it is
    assert "output truncated" in shown, shown[-200:]
    assert "frame-199" not in shown
    assert "done" not in shown


# -- 4. mob and run rules -----------------------------------------------------------------


async def test_a_navigator_cannot_restore_in_mob_mode(server: ServerProcess) -> None:
    bo_token, _ = server.join("editor", "Bo")
    async with (
        YClient(server.ws_url("demo.ipynb")) as ana,
        YClient(server.ws_url("demo.ipynb", bo_token)) as bo,
    ):
        await ana.set_source(1, "work = 'the driver made this'")
        assert (await ana.command("mob-mode", mode="mob"))["ok"]
        await bo.wait_until(lambda: bo.map("mob").get("driver") == "owner")

        by_command = await bo.command("restore", seq=1)
        assert not by_command["ok"], by_command
        assert "only the driver (Owner)" in by_command["error"]
        status, body = server.request(
            "POST", "/api/replay/demo.ipynb/restore", {"seq": 1}, token=bo_token
        )
        assert status == 403, body
        assert isinstance(body, dict)
        assert "only the driver (Owner)" in body["error"]
        assert ana.source(1) == "work = 'the driver made this'"

        # the driver may, by command and over HTTP
        assert (await ana.command("restore", seq=1))["ok"]
        status, body = server.request("POST", "/api/replay/demo.ipynb/restore", {"seq": 1})
        assert status == 200, body


async def test_only_the_person_who_ran_a_cell_answers_its_input_prompt(
    server: ServerProcess,
) -> None:
    async with owner_and_bo(server) as (ana, bo, _):
        await ana.set_source(1, "secret = input('password? ')\nprint('got', secret)")
        assert (await ana.command("run", cells=["code-0"]))["ok"]
        request = await ana.event("input-request")
        await bo.wait_until(lambda: (last_run(bo, "code-0") or {}).get("status") == "waiting-input")

        forged = await bo.command("input-reply", execution=request["execution"], value="Bo's")
        assert not forged["ok"], forged
        assert "only the person who ran this cell" in forged["error"]

        reply = await ana.command("input-reply", execution=request["execution"], value="Ana's")
        assert reply["ok"], reply
        await ana.wait_until(lambda: (last_run(ana, "code-0") or {}).get("status") == "ok")
        assert "got Ana's" in "".join(texts(ana, 1))


# -- 5. permissions, hidden folders behind symlinks, 4xx instead of 500 --------------------


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


async def test_the_state_folder_is_private_and_fixed_at_start(tmp_path: Path) -> None:
    root = tmp_path / "notebooks"
    write_notebook(root / "demo.ipynb")
    state = root / ".pairbook"
    state.mkdir(mode=0o755)
    state.chmod(0o755)
    (state / "tokens.json").write_text("{}")
    (state / "tokens.json").chmod(0o644)  # as an older pairbook left them
    with ServerProcess(root) as server:  # the default store: DIR/.pairbook/pairbook.sqlite
        async with YClient(server.ws_url("demo.ipynb")) as ana:
            await ana.set_source(1, "a secret that will be deleted")
            await ana.set_source(1, "")
            await ana.command("mob-clock")  # a round trip: the edits are committed
            assert mode(state) == 0o700
            files = [p for p in state.rglob("*") if p.is_file()]
            assert {p.name for p in files} >= {"tokens.json", "pairbook.sqlite"}
            assert any(p.name == "pairbook.sqlite-wal" for p in files)
            assert {p.name: oct(mode(p)) for p in files} == {p.name: "0o600" for p in files}


async def test_a_store_outside_the_state_folder_is_private_too(
    server: ServerProcess, store_path: str
) -> None:
    async with YClient(server.ws_url("demo.ipynb")) as ana:
        await ana.set_source(1, "x")
        await ana.command("mob-clock")
    for suffix in ("", "-wal"):
        assert mode(Path(store_path + suffix)) == 0o600


async def test_a_symlink_into_a_hidden_folder_is_refused(
    server: ServerProcess, workdir: Path
) -> None:
    hidden = workdir / ".secret"
    write_notebook(hidden / "x.ipynb")
    (workdir / "visible").symlink_to(hidden)
    (workdir / "state").symlink_to(workdir / ".pairbook")

    status, body = server.request("POST", "/api/notebooks", {"path": "state/planted.ipynb"})
    assert status == 404, body
    assert "hidden" in str(body)
    assert not (workdir / ".pairbook" / "planted.ipynb").exists()
    status, body = server.get("/api/notebooks")
    assert status == 200
    assert isinstance(body, dict)
    assert [n["path"] for n in body["notebooks"]] == ["demo.ipynb"]
    async with RawPeer(server.ws_url("visible/x.ipynb")) as peer:
        code, reason = await peer.closed_with()
    assert code == 4404, reason
    assert "hidden" in reason


def bad_requests() -> list[tuple[str, str, object]]:
    long = "n" * 300 + ".ipynb"
    return [
        ("POST", "/api/notebooks", {"path": long}),
        ("POST", "/api/notebooks", {"path": "deep/" * 900 + "x.ipynb"}),
        ("POST", "/api/notebooks", {"path": "demo.ipynb/inside.ipynb"}),
        ("POST", "/api/notebooks", {"path": "\ud800.ipynb"}),
        ("GET", f"/api/replay/{long}/timeline", None),
        ("GET", "/api/replay/demo.ipynb/inside.ipynb/timeline", None),
        ("GET", "/api/replay/%ED%A0%80.ipynb/timeline", None),
        ("GET", f"/api/requirements/{long}", None),
        ("GET", "/api/requirements/demo.ipynb/inside.ipynb", None),
        ("GET", "/api/requirements/%ED%A0%80.ipynb", None),
        ("GET", "/api/replay/demo.ipynb/chunk?after=1e300", None),
        ("GET", "/api/replay/demo.ipynb/chunk?after=-1e300&limit=1e300", None),
        ("GET", "/api/replay/demo.ipynb/moment?seq=1e300", None),
        ("GET", "/api/replay/demo.ipynb/moment?t=1e300", None),
        ("GET", "/api/replay/demo.ipynb/blame?cell=code-0&seq=1e300", None),
        ("GET", "/api/replay/demo.ipynb/timeline?bins=1e300", None),
    ]


async def test_malformed_requests_get_a_4xx_with_a_reason_never_a_500(
    server: ServerProcess,
) -> None:
    async with YClient(server.ws_url("demo.ipynb")) as ana:
        await ana.set_source(1, "recorded")
        await ana.command("mob-clock")
        answers = {}
        for method, path, body in bad_requests():
            status, answer = server.request(method, path, body)
            answers[f"{method} {path[:60]}"] = (status, answer)
    wrong = {k: v[0] for k, v in answers.items() if not 400 <= v[0] < 500}
    assert wrong == {}
    for status, answer in answers.values():
        assert isinstance(answer, dict), (status, answer)
        assert answer.get("error"), (status, answer)


# -- 6. a cell cannot turn the server's autosave against a file outside the folder ----------


async def test_a_notebook_swapped_for_a_symlink_is_never_followed(
    server: ServerProcess, workdir: Path
) -> None:
    """A cell may write in its folder: it replaces its own notebook by a symlink to a file
    outside the served folder (that it cannot write itself). The server must neither load
    that file into the room nor write the room's edits through the symlink."""
    outside = workdir.parent / "outside"
    write_notebook(outside / "victim.ipynb", sources=["VICTIM"])
    victim = outside / "victim.ipynb"
    before = victim.read_bytes()
    async with YClient(server.ws_url("demo.ipynb")) as ana:
        swap = (
            "import os\n"
            "os.remove('demo.ipynb')\n"
            f"os.symlink({str(victim)!r}, 'demo.ipynb')\n"
            "print('swapped')\n"
        )
        assert "swapped" in await run_cell(ana, swap)
        await ana.set_source(0, "edited after the swap")

        conflict = await ana.event("file-conflict", timeout=30)
        assert "symlink" in conflict["message"], conflict
        assert all("VICTIM" not in source for source in ana.sources())
    assert victim.read_bytes() == before
