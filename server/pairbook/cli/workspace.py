"""The folder a command serves when none is given: the bundled examples, copied once."""

from __future__ import annotations

import argparse
import os
import shutil
from importlib import resources
from pathlib import Path


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
