"""`pairbook check` on the bundled examples: the time with a cold environment cache (uv's own
download cache warm, or cold too with --cold-uv), with a warm one, and beside them the
reference in the same run: the same notebooks executed by bare nbclient in pairbook's own
Python, from a fresh interpreter too (no environment to build or find, nothing compared).

    python bench/check/run.py [--cold-uv] [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


REFERENCE = """
import asyncio, sys
import nbformat
from nbclient import NotebookClient
for path in sys.argv[1:]:
    nb = nbformat.read(path, as_version=4)
    asyncio.run(NotebookClient(nb, kernel_name="python3").async_execute())
"""


def timed_nbclient() -> float:
    """The same notebooks run by bare nbclient, also from a fresh interpreter."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", REFERENCE, *map(str, EXAMPLES)],
                   capture_output=True, check=True)  # fmt: skip
    return time.perf_counter() - started


def timed_environment(env_cache: Path, extra_env: dict[str, str]) -> float:
    """Only the environment step (no kernel): `EnvironmentCache.ensure` for no requirements."""
    code = (
        "import asyncio, sys, time\n"
        "from pathlib import Path\n"
        "from pairbook.envs import EnvironmentCache, Requirements\n"
        "t = time.perf_counter()\n"
        "cache = EnvironmentCache(Path(sys.argv[1]))\n"
        "asyncio.run(cache.ensure(Requirements(()), lambda _: None))\n"
        "print(time.perf_counter() - t)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "server"), **extra_env}
    done = subprocess.run([sys.executable, "-c", code, str(env_cache)],
                          capture_output=True, text=True, env=env, check=True)  # fmt: skip
    return float(done.stdout.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold-uv", action="store_true", help="also a cold uv download cache")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows: dict[str, list[float]] = {"reference: bare nbclient, own Python": [],
                                    "check, cold environment cache": [],
                                    "check, warm environment cache": []}  # fmt: skip
    rows["environment step only, cold (from uv's cache)"] = []
    rows["environment step only, warm"] = []
    if args.cold_uv:
        rows["check, cold environment and uv caches"] = []
    for _ in range(args.repeat):
        rows["reference: bare nbclient, own Python"].append(timed_nbclient())
        with tempfile.TemporaryDirectory() as envs:
            rows["check, cold environment cache"].append(timed_check(Path(envs), {}))
            rows["check, warm environment cache"].append(timed_check(Path(envs), {}))
        with tempfile.TemporaryDirectory() as envs:
            rows["environment step only, cold (from uv's cache)"].append(
                timed_environment(Path(envs), {})
            )
            rows["environment step only, warm"].append(timed_environment(Path(envs), {}))
        if args.cold_uv:
            with tempfile.TemporaryDirectory() as envs, tempfile.TemporaryDirectory() as uv:
                cold = timed_check(Path(envs), {"UV_CACHE_DIR": uv})
                rows["check, cold environment and uv caches"].append(cold)
    print(
        f"{len(EXAMPLES)} bundled example notebooks, {args.repeat} runs; seconds, "
        "median (min–max), whole command"
    )
    for name, times in rows.items():
        median = statistics.median(times)
        print(f"  {name:<46} {median:6.2f} ({min(times):.2f}–{max(times):.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
