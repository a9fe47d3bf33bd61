"""`pairbook commit`: commit a notebook (and its `.py` export) to its git repository, with a
message that credits the session's contributors in `Co-authored-by:` trailers.

The session summary is read from the room's durable log (the `mob` and `executions` maps),
so it works with the server running or stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from pairbook.errors import PairbookError
from pairbook.mob import Summary, commit_message, summarize
from pairbook.mob.gitcommit import CommitError, commit_notebook, files_to_commit
from pairbook.rooms.mobroom import stored_doc, summary_of_doc
from pairbook.store import open_store
from pairbook.types import RoomId

STATE_DIR = ".pairbook"


def add_commit_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "commit",
        help="commit a notebook to git with the session's co-authors",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("notebook", type=Path, help="the .ipynb file to commit")
    parser.add_argument("-m", "--message", help="subject line (default: Update <notebook>)")
    parser.add_argument(
        "--root", type=Path, help="the served folder (default: nearest parent with .pairbook/)"
    )
    parser.add_argument("--store", help="the log (default: ROOT/.pairbook/pairbook.sqlite)")
    parser.add_argument(
        "--dry-run", action="store_true", help="print the commit message, commit nothing"
    )


def served_root(notebook: Path) -> Path | None:
    """The nearest folder above the notebook that pairbook serves (it holds `.pairbook/`)."""
    for folder in notebook.parents:
        if (folder / STATE_DIR).is_dir():
            return folder
    return None


def commit(args: argparse.Namespace) -> int:
    notebook: Path = args.notebook.expanduser().resolve()
    if not notebook.is_file():
        return _fail(f"{notebook} does not exist; pass the path of a notebook file")
    root = args.root.expanduser().resolve() if args.root else served_root(notebook)
    summary: Summary | None = None
    if root is not None:
        store = args.store or str(root / STATE_DIR / "pairbook.sqlite")
        room = RoomId(notebook.relative_to(root).as_posix())
        if "://" in store or Path(store).exists():
            try:
                summary = asyncio.run(read_summary(store, room))
            except PairbookError as exc:
                return _fail(f"cannot read the session from {store}: {exc}")
    if summary is None:
        print(
            "pairbook: no recorded session for this notebook: committing without co-authors",
            file=sys.stderr,
        )
        summary = summarize({}, {}, {}, {}, since=None, until=time.time())
    message = commit_message(summary, args.message or f"Update {notebook.name}")
    if args.dry_run:
        print(message, end="")
        return 0
    try:
        done = commit_notebook(notebook, message)
    except CommitError as exc:
        return _fail(str(exc))
    names = ", ".join(c.person.name for c in summary.contributors) or "nobody else"
    files = ", ".join(f.name for f in files_to_commit(notebook))
    print(f"committed {done.sha[:12]}: {files}; co-authors: {names}")
    return 0


async def read_summary(store_url: str, room: RoomId) -> Summary | None:
    async with open_store(store_url) as store:
        doc = await stored_doc(store, room)
    return None if doc is None else summary_of_doc(doc, time.time())


def _fail(message: str) -> int:
    print(f"pairbook: error: {message}", file=sys.stderr)
    return 2
