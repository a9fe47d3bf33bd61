"""The folder a command serves when none is given (the bundled examples, copied once), and
where its private state lives (`--state-dir`)."""

from __future__ import annotations

import argparse
import os
import shutil
from importlib import resources
from pathlib import Path

from pairbook.statedir import StateDir


def default_workspace() -> Path:
    """The bundled examples, copied once to a folder the user owns (autosave writes there)."""
    data = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    target = data / "pairbook" / "examples"
    target.mkdir(parents=True, exist_ok=True)
    bundled = resources.files("pairbook") / "examples"
    for item in bundled.iterdir():
        if item.name.endswith(".ipynb") and not (target / item.name).exists():
            with resources.as_file(item) as source:
                shutil.copyfile(source, target / item.name)
    return target


def served_folder(given: Path | None) -> Path:
    """The folder given on the command line (default: the examples), absolute."""
    root = given if given is not None else default_workspace()
    return root.expanduser().resolve()


def add_folder_argument(parser: argparse.ArgumentParser) -> None:
    """The optional DIR of the commands that work on a served folder."""
    parser.add_argument("dir", nargs="?", type=Path, help="the served folder (default: examples)")


STATE_DIR_HELP = (
    "pairbook's private state: tokens and profiles, the SQLite log, kernel ids (default: "
    "DIR/.pairbook, or $PAIRBOOK_STATE_DIR); keep it where kernels cannot reach, e.g. out "
    "of a kernel gateway's volume"
)


def add_state_argument(parser: argparse.ArgumentParser, *, environment: bool = True) -> None:
    """`--state-dir` (default $PAIRBOOK_STATE_DIR, else DIR/.pairbook). `serve` passes
    `environment=False`: its PAIRBOOK_<FLAG> variables are read for every flag at once."""
    default = os.environ.get("PAIRBOOK_STATE_DIR") if environment else None
    parser.add_argument(
        "--state-dir", type=Path, default=Path(default) if default else None,
        help=STATE_DIR_HELP,
    )  # fmt: skip


def state_of(root: Path, given: Path | None) -> StateDir:
    """The state directory of the folder `root` serves (`given`: --state-dir)."""
    return StateDir.of(root, None if given is None else given.expanduser().resolve())
