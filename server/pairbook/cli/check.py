"""`pairbook check NB…`: run each notebook fresh in its own environment and compare."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from pairbook.check import (
    CheckOptions,
    Limits,
    NotebookReport,
    Tolerance,
    check_notebook,
    write_junit,
)
from pairbook.cli.console import fail
from pairbook.envs import EnvironmentCache, default_cache_root
from pairbook.envs.cache import InstallOptions
from pairbook.envs.requirements import read_requirements_file
from pairbook.errors import EnvError


def add_check_parser(commands: Any) -> None:
    check = commands.add_parser(
        "check",
        help="run notebooks top to bottom in a fresh environment and compare their outputs",
        description="Builds (or reuses) a uv virtual environment from each notebook's declared "
        "requirements, runs the notebook in a new kernel there and compares every code cell's "
        "outputs with the saved ones. Exits 1 when a cell fails, differs, depends on hidden "
        "state or times out; 2 on a usage error.",
    )
    check.add_argument("notebooks", nargs="+", type=Path, metavar="NB", help=".ipynb files")
    check.add_argument("--junit", type=Path, metavar="PATH", help="write JUnit XML here")
    check.add_argument(
        "--rtol",
        type=float,
        default=1e-9,
        help="relative tolerance for numbers in text outputs (default 1e-9)",
    )
    check.add_argument(
        "--atol", type=float, default=0.0, help="absolute tolerance for numbers (default 0)"
    )
    check.add_argument(
        "--exact-images",
        action="store_true",
        help="images must be byte for byte the saved ones (default: same kind)",
    )
    check.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="REGEX",
        help="ignore what this regular expression matches in outputs (repeat)",
    )
    _add_run_flags(check)


def _add_run_flags(check: argparse.ArgumentParser) -> None:
    """How long a notebook may run, and the environment it runs in."""
    check.add_argument(
        "--cell-timeout",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="seconds one cell may run (default 600; 0: no limit)",
    )
    check.add_argument(
        "--timeout",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="seconds one notebook may run (default 3600; 0: no limit)",
    )
    check.add_argument(
        "--requirements",
        type=Path,
        metavar="FILE",
        help="install these instead of what the notebooks declare",
    )
    check.add_argument(
        "--env-cache",
        type=Path,
        metavar="DIR",
        help=f"where environments are kept (default {default_cache_root()})",
    )
    check.add_argument("--python", help="the interpreter environments use (default: this one)")
    check.add_argument(
        "--offline",
        action="store_true",
        help="install only from uv's cache and --find-links (no index)",
    )
    check.add_argument(
        "--find-links",
        action="append",
        default=[],
        metavar="DIR",
        help="a folder of wheels uv may install from (repeat)",
    )


def check(args: argparse.Namespace) -> int:
    missing = [str(nb) for nb in args.notebooks if not nb.is_file()]
    if missing:
        return fail(f"no such notebook: {', '.join(missing)}")
    try:
        options = CheckOptions(
            Tolerance(args.rtol, args.atol, args.exact_images, tuple(args.ignore)),
            Limits(args.cell_timeout or None, args.timeout or None),
            read_requirements_file(args.requirements) if args.requirements else None,
        )
    except EnvError as exc:
        return fail(str(exc))
    except ValueError as exc:  # a bad --ignore pattern
        return fail(f"--ignore: {exc}")
    cache = EnvironmentCache(
        args.env_cache,
        python=args.python,
        options=InstallOptions(args.offline, tuple(args.find_links)),
    )
    reports = asyncio.run(_check_all(args.notebooks, cache, options))
    for report in reports:
        print("\n".join(report.lines()))
    if args.junit is not None:
        write_junit(args.junit, reports)
        print(f"wrote {args.junit}", file=sys.stderr)
    passed = sum(report.passed for report in reports)
    print(f"{passed} passed, {len(reports) - passed} failed")
    return 0 if passed == len(reports) else 1


async def _check_all(
    notebooks: list[Path], cache: EnvironmentCache, options: CheckOptions
) -> list[NotebookReport]:
    reports = []
    for path in notebooks:
        reports.append(await check_notebook(path, cache, options, _progress))
    return reports


def _progress(line: str) -> None:
    print(f"pairbook check: {line}", file=sys.stderr, flush=True)
