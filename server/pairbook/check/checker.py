"""`check_notebook`: build (or reuse) the notebook's environment, run it fresh, judge each
code cell against the saved notebook."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pairbook.check.compare import Tolerance
from pairbook.check.judge import judge
from pairbook.check.report import CellResult, NotebookReport, Verdict
from pairbook.check.runner import CellRun, KernelLaunch, Limits, run_notebook
from pairbook.envs import EnvironmentCache, Progress, Requirements, find_requirements
from pairbook.errors import PairbookError
from pairbook.notebook.ipynb import read_notebook


@dataclass(frozen=True, slots=True)
class CheckOptions:
    """How strict a check is and how long it may take; `requirements` overrides what the
    notebook declares."""

    tolerance: Tolerance = field(default_factory=Tolerance)
    limits: Limits = field(default_factory=Limits)
    requirements: Requirements | None = None


async def check_notebook(
    path: Path,
    cache: EnvironmentCache,
    options: CheckOptions,
    progress: Progress,
    *,
    name: str | None = None,
    nb: dict[str, Any] | None = None,
    launch: KernelLaunch | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> NotebookReport:
    """The report on the notebook at `path` (or `nb`, its content, when given). A problem
    before any cell ran (unreadable notebook, environment uv cannot build) is the report's
    `error`, not an exception: the next notebook is still checked."""
    report = NotebookReport(name or str(path))
    started = clock()
    try:
        if nb is None:
            nb = read_notebook(path).nb
        requirements = options.requirements or find_requirements(path, nb)
        report.requirements_source = requirements.source or "none declared"
        progress(f"{report.notebook}: requirements from {report.requirements_source}")
        env = await cache.ensure(requirements, progress)
        report.environment = env.key
        runs = await run_notebook(
            nb, env, path.parent, options.limits, progress, clock, launch or KernelLaunch()
        )
    except PairbookError as exc:
        report.error = str(exc)
    except Exception as exc:  # a kernel that cannot start, nbclient's own errors
        report.error = f"{type(exc).__name__}: {exc}"
    else:
        report.cells = _judged(nb, runs, options.tolerance)
    report.seconds = clock() - started
    return report


def _judged(
    nb: dict[str, Any], runs: list[CellRun | None], tolerance: Tolerance
) -> list[CellResult]:
    cells: list[dict[str, Any]] = nb.get("cells") or []
    results = []
    for index, run in enumerate(runs):
        if run is None:
            continue
        cell_id = str(cells[index].get("id", index))
        if run.stopped:
            results.append(CellResult(index, cell_id, Verdict.NOT_RUN, run.stopped))
        elif run.timed_out:
            results.append(
                CellResult(
                    index,
                    cell_id,
                    Verdict.TIMED_OUT,
                    f"ran past its limit ({run.seconds:.0f} s)",
                    run.seconds,
                )
            )
        else:
            results.append(judge(index, cells[index], run.cell, cells, tolerance, run.seconds))
    return results
