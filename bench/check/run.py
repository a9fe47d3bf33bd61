"""`pairbook check` on the bundled examples: the time with a cold environment cache (uv's own
download cache warm, or cold too with --cold-uv), with a warm one, and beside them the
reference in the same run: the same notebooks executed by bare nbclient in pairbook's own
Python (no environment to build or find, nothing compared).

    python bench/check/run.py [--cold-uv] [--repeat N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "server" / "pairbook" / "examples").glob("*.ipynb"))


def timed_check(env_cache: Path, extra_env: dict[str, str]) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "server"), **extra_env}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pairbook.cli", "check", *map(str, EXAMPLES),
         "--env-cache", str(env_cache)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"pairbook check failed:\n{done.stdout}\n{done.stderr}")
    return elapsed


def timed_nbclient() -> float:
    started = time.perf_counter()
    for path in EXAMPLES:
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(
            nb, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
        )
        asyncio.run(client.async_execute())
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold-uv", action="store_true", help="also a cold uv download cache")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows: dict[str, list[float]] = {"reference: bare nbclient, own Python": [],
                                    "check, cold environment cache": [],
                                    "check, warm environment cache": []}  # fmt: skip
    if args.cold_uv:
        rows["check, cold environment and uv caches"] = []
    for _ in range(args.repeat):
        rows["reference: bare nbclient, own Python"].append(timed_nbclient())
        with tempfile.TemporaryDirectory() as envs:
            rows["check, cold environment cache"].append(timed_check(Path(envs), {}))
            rows["check, warm environment cache"].append(timed_check(Path(envs), {}))
        if args.cold_uv:
            with tempfile.TemporaryDirectory() as envs, tempfile.TemporaryDirectory() as uv:
                cold = timed_check(Path(envs), {"UV_CACHE_DIR": uv})
                rows["check, cold environment and uv caches"].append(cold)
    print(
        f"{len(EXAMPLES)} bundled example notebooks, {args.repeat} runs; seconds, "
        "median (min–max), whole command"
    )
    for name, times in rows.items():
        print(f"  {name:<40} {statistics.median(times):6.2f} ({min(times):.2f}–{max(times):.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
