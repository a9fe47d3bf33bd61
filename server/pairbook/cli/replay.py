"""`pairbook replay list|info|export`: the rooms' recordings in a served folder's log."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from pairbook.cli.console import fail
from pairbook.cli.workspace import add_state_argument, served_folder, state_of
from pairbook.errors import NotebookError, PairbookError
from pairbook.notebook import serialize_notebook, ydoc_to_notebook
from pairbook.record import Replayer, export_lines
from pairbook.record.recordings import describe_recording
from pairbook.store import Store, open_store


def add_replay_parser(commands: Any) -> None:
    replay_parser = commands.add_parser("replay", help="the rooms' recordings: list, info, export")
    actions = replay_parser.add_subparsers(dest="action", required=True)
    for action, help_text in (
        ("list", "every recorded notebook: span, people, updates"),
        ("info", "one notebook's recording in detail"),
        ("export", "one notebook's recording as JSON lines, or the notebook at a moment"),
    ):
        sub = actions.add_parser(action, help=help_text)
        if action != "list":
            sub.add_argument("notebook", help="the notebook's path relative to DIR")
        sub.add_argument("--dir", type=Path, help="the served folder (default: the examples)")
        sub.add_argument("--store", help="the store (default DIR/.pairbook/pairbook.sqlite)")
        add_state_argument(sub)
        if action == "export":
            sub.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
            sub.add_argument(
                "--notebook-at",
                metavar="SEQ|ISO-TIME",
                help="export the .ipynb as it was after this log seq or at this time",
            )


def replay(args: argparse.Namespace) -> int:
    store_path = args.store or str(state_of(served_folder(args.dir), args.state_dir).db)
    if "://" not in store_path and not Path(store_path).exists():
        return fail(f"no store at {store_path}; pass --dir (the served folder) or --store")
    try:
        return asyncio.run(_replay(args, store_path))
    except PairbookError as exc:
        return fail(str(exc))


async def _replay(args: argparse.Namespace, store_path: str) -> int:
    async with open_store(store_path) as store:
        rooms = await store.rooms()
        if args.action == "list":
            await _list(store, rooms)
            return 0
        if args.notebook not in rooms:
            return fail(f"{args.notebook} has no recording in {store_path}; see `replay list`")
        if args.action == "info":
            print(
                json.dumps(await describe_recording(store, args.notebook, detailed=True), indent=2)
            )
            return 0
        out = args.output.open("w", encoding="utf-8") if args.output else sys.stdout
        try:
            await _export(store, args, out)
        finally:
            if args.output:
                out.close()
        return 0


async def _list(store: Store, rooms: list[str]) -> None:
    for room in rooms:
        s = await describe_recording(store, room)
        people = ", ".join(s["people"].values()) or "-"
        span = _span(s["start"], s["end"])
        print(
            f"{room}\t{s['updates']} updates\t{s['runs']} runs\t{span}\t"
            f"recording {s['recording']}\t{people}"
        )


async def _export(store: Store, args: argparse.Namespace, out: Any) -> None:
    replayer = Replayer(store, args.notebook, save_checkpoints=False)
    if args.notebook_at is not None:
        seq = await _moment(store, args.notebook, args.notebook_at)
        doc = await replayer.doc_at(await replayer.visible(seq))
        out.write(serialize_notebook(ydoc_to_notebook(doc)).decode("utf-8"))
        return
    log = await store.load(args.notebook)
    claims = log.claims if log is not None else {}
    async for line in export_lines(replayer, claims):
        out.write(line + "\n")


async def _moment(store: Store, room: str, text: str) -> int:
    if text.isdigit():
        return int(text)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise NotebookError(f"--notebook-at {text!r} is neither a seq nor an ISO time") from None
    seq: int = await store.seq_at(room, when.timestamp())
    return seq


def _span(start: float | None, end: float | None) -> str:
    if start is None or end is None:
        return "-"
    begun = time.strftime("%Y-%m-%d %H:%M", time.localtime(start))
    return f"{begun} ({(end - start) / 60:.0f} min)"
