"""The `pairbook` command line: flags become one Settings; the chosen ASGI server runs it.

One module a sub-command (`serve`, `requirements`, `commit`, `export`, `twin`, `replay`,
`check`, and `token`, `people`, `revoke` in `access`); `main` parses and dispatches.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from pairbook.cli.access import ACCESS_COMMANDS, access_command
from pairbook.cli.check import check
from pairbook.cli.commit import commit
from pairbook.cli.console import fail
from pairbook.cli.export import export
from pairbook.cli.parser import build_parser
from pairbook.cli.replay import replay
from pairbook.cli.requirements import export_requirements
from pairbook.cli.serve import serve
from pairbook.cli.supervisor import run_server
from pairbook.cli.twin import twin
from pairbook.cli.workspace import served_folder
from pairbook.settings import SETTINGS_ENV, Settings
from pairbook.stopsignals import PROCESS_STOPS

__all__ = ["build_parser", "main"]

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "serve": serve,
    "requirements": export_requirements,
    "commit": commit,
    "export": export,
    "twin": twin,
    "replay": replay,
    "check": check,
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_run"]:  # the server process that `serve` supervises
        return run_server(Settings.from_json(os.environ[SETTINGS_ENV]))
    args = build_parser().parse_args(argv)
    if args.command != "serve":  # serve's supervisor owns them; the others stop at once
        PROCESS_STOPS.release()
    if args.command in COMMANDS:
        return COMMANDS[args.command](args)
    if args.command in ACCESS_COMMANDS:
        return access_command(args, served_folder(args.dir))
    return fail(f"unknown command {args.command}")
