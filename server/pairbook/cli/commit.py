"""`pairbook commit`: commit a notebook (and its `.py` export) to its git repository, with a
message that credits the session's contributors in `Co-authored-by:` trailers.

The session is read from the room's durable log, so this works with the server running or
stopped: who changed which cells (each logged update's author), who drove (the `mob` map) and
who ran which cells (the `executions` map), since the notebook's last commit; names and
emails come from the people's profiles (`.pairbook/tokens.json`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

from pairbook.auth import TokenBook, User
from pairbook.cli.console import fail
from pairbook.cli.workspace import add_state_argument, state_of
from pairbook.errors import PairbookError
from pairbook.mob import Summary, commit_message, summarize
from pairbook.mob.gitcommit import (
    CommitError,
    commit_notebook,
    files_to_commit,
    last_commit_time,
)
from pairbook.mob.githistory import commits_of
from pairbook.mob.session_log import summary_from_log
from pairbook.mob.summary import review_link
from pairbook.statedir import StateDir
from pairbook.store import open_store
from pairbook.types import RoomId


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
    add_state_argument(parser)
    parser.add_argument(
        "--dry-run", action="store_true", help="print the commit message, commit nothing"
    )
    parser.add_argument(
        "--public-url",
        default=os.environ.get("PAIRBOOK_PUBLIC_URL", ""),
        help="the server's address for the review link in the message (default: "
        "$PAIRBOOK_PUBLIC_URL, else a path on the server)",
    )
    parser.add_argument(
        "--strip-outputs-on-commit",
        action="store_true",
        help="commit the notebook without outputs and execution counts (the file on disk "
        "keeps them; `git status` then shows it as modified)",
    )
    parser.add_argument(
        "--whole-history",
        action="store_true",
        help="credit everyone in the log, not only since the notebook's last commit",
    )


def commit(args: argparse.Namespace) -> int:
    notebook: Path = args.notebook.expanduser().resolve()
    if not notebook.is_file():
        return fail(f"{notebook} does not exist; pass the path of a notebook file")
    if args.state_dir is not None and args.root is None:
        return fail("--state-dir needs --root: the folder the server serves")
    root = args.root.expanduser().resolve() if args.root else None
    state = state_of(root, args.state_dir) if root else StateDir.find(notebook)
    summary: Summary | None = None
    if state is not None:
        store = args.store or str(state.db)
        room = RoomId(notebook.relative_to(state.root).as_posix())
        since = None if args.whole_history else last_commit_time(notebook)
        if "://" in store or Path(store).exists():
            try:
                summary = asyncio.run(read_summary(store, room, since, profiles_in(state)))
            except PairbookError as exc:
                return fail(f"cannot read the session from {store}: {exc}")
    if summary is None:
        print(
            "pairbook: no recorded session for this notebook: committing without co-authors",
            file=sys.stderr,
        )
        summary = summarize({}, {}, {}, {}, since=None, until=time.time())
    review = None
    if state is not None:  # the review page of what this commit changes since the last one
        last = commits_of(notebook, 1)
        start = last[0].sha if last else summary.since
        relpath = notebook.relative_to(state.root).as_posix()
        review = review_link(relpath, start, summary.until, base=args.public_url)
    message = commit_message(summary, args.message or f"Update {notebook.name}", review)
    if args.dry_run:
        print(message, end="")
        return 0
    try:
        done = commit_notebook(notebook, message, strip_outputs=args.strip_outputs_on_commit)
    except CommitError as exc:
        return fail(str(exc))
    names = ", ".join(c.person.name for c in summary.contributors) or "nobody else"
    files = ", ".join(f.name for f in files_to_commit(notebook))
    print(f"committed {done.sha[:12]}: {files}; co-authors: {names}")
    return 0


async def read_summary(
    store_url: str, room: RoomId, since: float | None, profiles: dict[str, User]
) -> Summary | None:
    async with open_store(store_url) as store:
        return await summary_from_log(store, room, since=since, now=time.time(), profiles=profiles)


def profiles_in(state: StateDir) -> dict[str, User]:
    """Everyone's name and email as their tokens grant them."""
    if not state.tokens.exists():
        return {}
    return TokenBook(state.tokens).profiles()
