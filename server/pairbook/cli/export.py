"""`pairbook export`: one notebook as a `.py`, a clean `.ipynb` or an HTML page."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pairbook.cli.console import fail
from pairbook.errors import NotebookError
from pairbook.notebook import read_notebook
from pairbook.notebook.export import EXPORT_FORMATS, export_notebook


def add_export_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "export",
        help="export a notebook as .py, clean .ipynb or HTML",
        description="Writes one notebook as a jupytext percent-format .py (py), an .ipynb "
        "without outputs, execution counts or pairbook metadata (ipynb-clean), or an HTML "
        "page rendered by nbconvert (html). Never pairbook's run bookkeeping.",
    )
    parser.add_argument("notebook", type=Path, help="the .ipynb file to export")
    parser.add_argument("--to", choices=EXPORT_FORMATS, default="py", help="default: py")
    parser.add_argument("-o", "--output", type=Path, help="write here (default: standard output)")


def export(args: argparse.Namespace) -> int:
    try:
        content = read_notebook(args.notebook.expanduser())
        data = export_notebook(content.nb, args.to)
    except NotebookError as exc:
        return fail(str(exc))
    if args.output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    if args.output.resolve() == args.notebook.expanduser().resolve():
        return fail(f"{args.output} is the notebook itself; pick another output path")
    try:
        args.output.write_bytes(data)
    except OSError as exc:
        return fail(f"cannot write {args.output} ({exc.strerror})")
    print(f"wrote {args.output}", file=sys.stderr)
    return 0
