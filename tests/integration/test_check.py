"""`pairbook check` for real: uv builds the environment, nbclient runs ipykernel in it."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, TypeVar

import pytest
from pycrdt import Map

from pairbook.check import CheckOptions, NotebookReport, Tolerance, check_notebook
from pairbook.check.runner import KernelLaunch, Limits, run_notebook
from pairbook.check.service import CheckService
from pairbook.envs import EnvironmentCache, Requirements
from pairbook.envs.cache import InstallOptions
from pairbook.kernel.confine import Confinement, bwrap_works
from pairbook.schema import CHECK_MAP
from pairbook.service import FencedWrite, unfenced
from support.kernelkit import DocRoom, notebook_doc, person
from support.wheels import make_wheel

EXAMPLES = Path(__file__).resolve().parents[2] / "server" / "pairbook" / "examples"
PROBE = "pairbook-check-probe"
T = TypeVar("T")


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wheels")
    make_wheel(folder, PROBE, "1.0", 'WHO = "probe 1.0"\n')
    return folder


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory, wheels: Path) -> EnvironmentCache:
    root = tmp_path_factory.mktemp("envs")
    return EnvironmentCache(root, options=InstallOptions(find_links=(str(wheels),)))


def code(source: str, outputs: list[dict[str, Any]], count: int | None = 1) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "id": f"cell-{abs(hash(source)) % 10_000}",
        "metadata": {},
        "source": source,
        "outputs": outputs,
        "execution_count": count,
    }


def stdout(text: str) -> dict[str, Any]:
    return {"output_type": "stream", "name": "stdout", "text": text}


def write(path: Path, cells: list[dict[str, Any]], **metadata: Any) -> Path:
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "cells": cells,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            **metadata,
        },
    }
    path.write_text(json.dumps(nb))
    return path


def check(path: Path, cache: EnvironmentCache, **tolerance: Any) -> NotebookReport:
    options = CheckOptions(tolerance=Tolerance(**tolerance))
    return asyncio.run(check_notebook(path, cache, options, lambda line: None))


def verdicts(report: NotebookReport) -> list[str]:
    assert not report.error, report.error
    return [str(cell.verdict) for cell in report.cells]


def test_a_bundled_example_passes(tmp_path: Path, cache: EnvironmentCache) -> None:
    notebook = Path(shutil.copy(EXAMPLES / "02-explore-sales.ipynb", tmp_path))
    report = check(notebook, cache)
    assert report.passed, report.lines()
    assert set(verdicts(report)) == {"passed"}
    assert report.requirements_source == "none declared"


def test_a_cell_using_a_deleted_cells_variable_is_a_hidden_state_dependency(
    tmp_path: Path, cache: EnvironmentCache
) -> None:
    # The saved run had `total = 3` in a cell deleted since.
    notebook = write(
        tmp_path / "hidden.ipynb",
        [
            code("items = [1, 2]\nprint(len(items))", [stdout("2\n")]),
            code("print(total + len(items))", [stdout("5\n")], count=3),
        ],
    )
    report = check(notebook, cache)
    assert verdicts(report) == ["passed", "hidden-state"]
    assert "'total'" in report.cells[1].detail
    assert not report.passed


def test_a_float_that_differs_in_the_12th_digit_passes_with_the_default_tolerance(
    tmp_path: Path, cache: EnvironmentCache
) -> None:
    notebook = write(
        tmp_path / "floats.ipynb",
        [
            code("print(1 / 3)", [stdout("0.333333333334\n")]),
        ],
    )
    assert verdicts(check(notebook, cache)) == ["passed"]
    strict = check(notebook, cache, rtol=0.0)
    assert verdicts(strict) == ["differs"]
    assert "0.3333333333333333" in strict.cells[0].detail


def test_each_notebook_gets_only_its_own_packages(tmp_path: Path, cache: EnvironmentCache) -> None:
    cells = [
        code(
            "import pairbook_check_probe\nprint(pairbook_check_probe.WHO)", [stdout("probe 1.0\n")]
        ),
        code(
            "import importlib.util\nprint(importlib.util.find_spec('starlette'))",
            [stdout("None\n")],
        ),
    ]
    declared = write(
        tmp_path / "with.ipynb",
        cells,
        pairbook={"environment": {"requirements": [f"{PROBE}==1.0"]}},
    )
    other = tmp_path / "other"
    other.mkdir()
    bare = write(other / "without.ipynb", cells)
    with_probe, without = check(declared, cache), check(bare, cache)
    # pairbook's own packages (starlette) are in neither: each kernel sees its environment only.
    assert verdicts(with_probe) == ["passed", "passed"]
    assert verdicts(without) == ["failed", "passed"]
    assert "ModuleNotFoundError" in without.cells[0].detail
    assert with_probe.environment != without.environment


def test_a_failing_cell_exits_non_zero_and_writes_junit(
    tmp_path: Path, cache: EnvironmentCache, wheels: Path
) -> None:
    notebook = write(
        tmp_path / "broken.ipynb",
        [
            code("x = 10\nprint(x)", [stdout("10\n")]),
            code("print(x / 0)", [stdout("inf\n")]),
        ],
    )
    junit = tmp_path / "report.xml"
    env = {**os.environ, "PYTHONPATH": str(EXAMPLES.parents[1])}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pairbook.cli",
            "check",
            str(notebook),
            "--junit",
            str(junit),
            "--env-cache",
            str(cache.root),
            "--find-links",
            str(wheels),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "FAILED" in done.stdout
    assert "ZeroDivisionError" in done.stdout
    assert "[2/2] cell 2 ran" in done.stderr  # progress while it works
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("errors")) == ("2", "1")
    error = suite.findall("testcase")[1].find("error")
    assert error is not None
    assert "ZeroDivisionError" in (error.get("message") or "")


def test_an_environment_uv_cannot_build_is_a_clear_error(
    tmp_path: Path, cache: EnvironmentCache
) -> None:
    notebook = write(
        tmp_path / "impossible.ipynb",
        [code("x = 1", [])],
        pairbook={"environment": {"requirements": [f"{PROBE}==99.0"]}},
    )
    report = check(notebook, cache)
    assert "uv could not build the environment" in report.error
    assert not report.passed


def test_a_cell_printing_without_end_is_kept_by_the_server_only_up_to_the_limit(
    tmp_path: Path, cache: EnvironmentCache
) -> None:
    """The fresh outputs live in the server's memory, not the confined kernel's: past the
    limit a cell's output is dropped, with one note, and the check goes on to judge it."""
    flood = "for _ in range(200):\n    print('x' * 10_000)"  # 2 MB
    notebook = write(tmp_path / "flood.ipynb", [code(flood, []), code("print('after')", [])])
    limits = Limits(output_bytes=100_000)
    env = asyncio.run(cache.ensure(Requirements(()), lambda line: None))
    nb = json.loads(notebook.read_text())
    runs = asyncio.run(run_notebook(nb, env, tmp_path, limits, lambda line: None))
    flooded, after = (run.cell["outputs"] for run in runs if run is not None)
    kept = sum(len(str(output.get("text", ""))) for output in flooded)
    assert kept <= limits.output_bytes
    assert flooded[-1]["name"] == "stderr"
    assert "the rest was dropped" in flooded[-1]["text"]
    assert [o["text"] for o in after] == ["after\n"]
    report = asyncio.run(
        check_notebook(notebook, cache, CheckOptions(limits=limits), lambda line: None)
    )
    assert verdicts(report) == ["differs", "differs"]  # saved without outputs


class CheckRoom(DocRoom):
    """A room handle whose edits are applied at once: nothing to settle, nothing in flight,
    and one process (its owner's writes carry no fence)."""

    inflight = 0

    @property
    def last_seq(self) -> int:
        return self.edits

    async def settle(self) -> None:
        return None

    async def owner_write(self, write: FencedWrite[T]) -> T:
        return await unfenced(write)

    def notify(self, event: dict[str, Any]) -> None:
        for member in self.members():
            self.notify_member(member, event)

    def clock(self) -> float:
        return time.time()


def watch(ycheck: Map[Any], lines: list[str]) -> None:
    """Keep every progress line the `check` map shows."""

    def seen(event: Any) -> None:
        lines.append(str(ycheck.get("progress") or ""))

    ycheck.observe(seen)


def test_checks_asked_in_many_rooms_at_once_take_turns_on_the_servers_slots(
    tmp_path: Path, cache: EnvironmentCache
) -> None:
    """Each check builds an environment and runs a kernel: the server runs at most its
    slots' worth at once, over all its rooms; the others wait, saying so, then run."""

    async def main() -> list[list[str]]:
        slots = asyncio.Semaphore(1)
        progress: list[list[str]] = []
        services: list[CheckService] = []
        rooms: list[CheckRoom] = []
        for name in ("a", "b"):
            path = write(tmp_path / f"{name}.ipynb", [code("print(1)", [stdout("1\n")])])
            room = CheckRoom(notebook_doc(["print(1)"], markdown=None))
            lines: list[str] = []
            watch(room.doc.get(CHECK_MAP, type=Map), lines)
            progress.append(lines)
            rooms.append(room)
            services.append(CheckService(room, path, cache, KernelLaunch, slots=slots))
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(service.run()) for service in services]
            for service in services:
                service.ask(person("ana"))
            for room in rooms:

                def done(room: CheckRoom = room) -> bool:
                    status: object = room.doc.get(CHECK_MAP, type=Map).get("status")
                    return status == "done"

                await room.until(done, timeout=240)
            for task in tasks:
                task.cancel()
        for room in rooms:  # both ran their cell
            assert room.doc.get(CHECK_MAP, type=Map)["verdict"] == "passed"
        return progress

    first, second = asyncio.run(main())
    waited = [lines for lines in (first, second) if any("waiting" in line for line in lines)]
    assert len(waited) == 1  # one ran at once, the other waited its turn


def test_a_cell_past_its_time_is_interrupted_and_the_next_still_runs(
    tmp_path: Path, cache: EnvironmentCache
) -> None:
    notebook = write(tmp_path / "slow.ipynb", [
        code("import time\ntime.sleep(60)", []),
        code("print('after')", [stdout("after\n")]),
    ])  # fmt: skip
    options = CheckOptions(limits=Limits(cell=2, overall=None))
    report = asyncio.run(check_notebook(notebook, cache, options, lambda line: None))
    assert verdicts(report) == ["timed-out", "passed"]
    assert "ran past its limit" in report.cells[0].detail


def test_cells_after_the_overall_limit_are_not_run(tmp_path: Path, cache: EnvironmentCache) -> None:
    notebook = write(tmp_path / "long.ipynb", [
        code("import time\ntime.sleep(60)", []),
        code("print('never')", [stdout("never\n")]),
    ])  # fmt: skip
    options = CheckOptions(limits=Limits(cell=None, overall=2))
    report = asyncio.run(check_notebook(notebook, cache, options, lambda line: None))
    assert verdicts(report) == ["timed-out", "not-run"]
    assert "overall limit" in report.cells[1].detail
    assert not report.passed


@pytest.mark.skipif(bwrap_works() is not None, reason="bubblewrap cannot sandbox here")
def test_a_sandboxed_cell_past_its_time_is_interrupted_and_the_next_still_runs(
    tmp_path: Path, cache: EnvironmentCache
) -> None:
    # As the room's Check runs it: the kernel inside bubblewrap, where a SIGINT to the
    # sandbox's process group would end bwrap (and the kernel) instead of the cell.
    notebook = write(tmp_path / "slow.ipynb", [
        code("import time\ntime.sleep(60)", []),
        code("print('after')", [stdout("after\n")]),
    ])  # fmt: skip
    confinement = Confinement(sandbox="bwrap")
    launch = KernelLaunch(env=confinement.environment(), fence=confinement.jail())
    options = CheckOptions(limits=Limits(cell=2, overall=None))
    report = asyncio.run(check_notebook(notebook, cache, options, lambda line: None, launch=launch))
    assert verdicts(report) == ["timed-out", "passed"]
