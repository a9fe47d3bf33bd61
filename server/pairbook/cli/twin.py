"""`pairbook twin`: switch a notebook's readable `.py` twin on or off, or say where it is.

The switch is jupytext's own pairing, written into the notebook's metadata
(`metadata.jupytext.formats`): "on" pairs the percent-format `.py`, "off" leaves "ipynb"
alone. A running pairbook picks the change up like any edit made to the file outside.
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path
from typing import Any

from pairbook.cli.console import fail
from pairbook.errors import NotebookError
from pairbook.notebook import NotebookFile, SaveStatus
from pairbook.notebook.fileform import FileForm
from pairbook.notebook.twin import (
    PAIRED_FORMATS,
    UNPAIRED_FORMATS,
    formats_of,
    twin_format_of,
    twin_path_of,
    twin_refusal,
)


def add_twin_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "twin",
        help="switch a notebook's .py twin on or off (jupytext pairing)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("notebook", type=Path, help="the .ipynb file")
    parser.add_argument(
        "switch",
        nargs="?",
        choices=["on", "off", "default"],
        help="on, off, or default (follow `pairbook serve`'s --no-twin); none: show it",
    )


def twin(args: argparse.Namespace) -> int:
    # Run bookkeeping and outputs are kept as the file has them: only the pairing changes.
    file = NotebookFile(args.notebook.expanduser(), form=_AS_IS)
    try:
        nb = file.load().nb
    except NotebookError as exc:
        return fail(str(exc))
    metadata = nb.get("metadata") or {}
    if args.switch is None:
        path = twin_path_of(file.path, metadata, default=True)
        explicit = formats_of(metadata) is not None
        where = "none" if path is None else str(path)
        print(f"{file.path.name}: twin {where} ({'paired' if explicit else 'server default'})")
        refusal = None if path is None else twin_refusal(file.path, path)
        return 0 if refusal is None else fail(f"{refusal}; the server leaves it alone")
    changed = copy.deepcopy(nb)
    jupytext = dict(changed["metadata"].get("jupytext") or {})
    if args.switch == "default":
        jupytext.pop("formats", None)
    else:
        jupytext["formats"] = PAIRED_FORMATS if args.switch == "on" else UNPAIRED_FORMATS
        if args.switch == "on" and twin_format_of(metadata, default=False) is not None:
            jupytext["formats"] = formats_of(metadata)  # an existing .py pairing is kept
    if jupytext:
        changed["metadata"]["jupytext"] = jupytext
    else:
        changed["metadata"].pop("jupytext", None)
    known = file.fingerprint  # replaced only if it still holds what was read
    try:
        result = file.save(changed, over=None if known is None else known.sha256)
    except NotebookError as exc:
        return fail(str(exc))
    if result.status is SaveStatus.EDITED:
        return fail(
            f"{file.path}: changed while being switched (autosave?); nothing written, run it again"
        )
    print(f"{file.path.name}: .py twin {args.switch}")
    return 0


class _AsIs(FileForm):
    """The file form that writes a notebook exactly as read."""

    def to_file(self, nb: dict[str, Any]) -> dict[str, Any]:
        return nb


_AS_IS = _AsIs()
