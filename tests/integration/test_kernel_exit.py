"""A kernel told to shut down ends by itself, soon, with its exit handlers run (real ipykernel)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pairbook.kernel.session import KernelSession

pytestmark = pytest.mark.integration

SAVING = '''
import atexit, gc, pathlib, time

def save():
    time.sleep(0.3)  # a save that takes a while
    pathlib.Path("saved.txt").write_text("saved")

atexit.register(save)

class Teardown:
    """Notes how many objects the collector leaves alone once the namespace is let go."""

    def __del__(self, gc=gc, path=pathlib.Path("teardown.txt")):
        path.write_text(str(gc.get_freeze_count()))

teardown = Teardown()
'''


def ignore(*args: Any) -> None:
    return None


async def no_input(prompt: str, password: bool) -> str:
    return ""


async def test_a_kernel_saves_at_exit_and_its_teardown_walks_no_objects_for_cycles(
    tmp_path: Path,
) -> None:
    kernel = KernelSession("python3", tmp_path, ignore)
    try:
        outcome = await kernel.execute(SAVING, ignore, no_input)
        assert outcome.status == "ok"
    finally:
        await kernel.shutdown()
    assert (tmp_path / "saved.txt").read_text() == "saved"
    # The objects alive at exit are frozen: the interpreter's teardown does not walk them
    # (a kernel that loaded jedi outlived its shutdown reply by a second doing so).
    assert int((tmp_path / "teardown.txt").read_text()) > 0
