"""Byte strings made by the stock npm encoders (yjs, y-protocols, lib0), loaded for the tests."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(__file__).with_name("make_fixtures.mjs")
REPO = SCRIPT.parents[3]


def run_make_fixtures() -> dict[str, Any]:
    """Run make_fixtures.mjs under node; fail loudly when node or its packages are missing."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH: install Node 20 (a project requirement) and run npm ci")
    result = subprocess.run(
        [node, str(SCRIPT)], capture_output=True, text=True, cwd=REPO, timeout=60, check=False
    )
    if result.returncode != 0:
        pytest.fail(f"{SCRIPT.name} failed (did you run npm ci?):\n{result.stderr}")
    fixtures: dict[str, Any] = json.loads(result.stdout)
    return fixtures


def untag(value: Any) -> Any:
    """Turn the script's tagged values ($bytes, $bigint, $number) into Python values."""
    if isinstance(value, list):
        return [untag(item) for item in value]
    if isinstance(value, dict):
        if "$bytes" in value:
            return bytes.fromhex(value["$bytes"])
        if "$bigint" in value:
            return int(value["$bigint"])
        if "$number" in value:
            return float(value["$number"].replace("Infinity", "inf"))
        return {key: untag(item) for key, item in value.items()}
    return value
