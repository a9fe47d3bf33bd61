"""The room fuzzer's bounded run: two hundred coverage-guided inputs from the stock-yjs seeds
(seconds); longer runs are done by hand (see fuzz_room.py's docstring)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HARNESS = Path(__file__).with_name("fuzz_room.py")


def test_the_room_survives_a_bounded_fuzz_run(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(HARNESS), "-runs=200", "-seed=1", f"-artifact_prefix={tmp_path}/"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Done 200 runs" in result.stderr
