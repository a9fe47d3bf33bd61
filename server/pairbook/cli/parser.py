"""The `pairbook` argument parser: one sub-command a module, each adding its own flags."""

from __future__ import annotations

import argparse

from pairbook.cli.access import add_access_parsers
from pairbook.cli.check import add_check_parser
from pairbook.cli.commit import add_commit_parser
from pairbook.cli.export import add_export_parser
from pairbook.cli.replay import add_replay_parser
from pairbook.cli.requirements import add_requirements_parser
from pairbook.cli.serveflags import add_serve_parser
from pairbook.cli.twin import add_twin_parser

DESCRIPTION = (
    "The `pairbook` command line: flags become one Settings; the chosen ASGI server runs it."
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pairbook", description=DESCRIPTION)
    commands = parser.add_subparsers(dest="command", required=True)
    add_serve_parser(commands)
    add_requirements_parser(commands)
    add_commit_parser(commands)
    add_replay_parser(commands)
    add_access_parsers(commands)
    add_check_parser(commands)
    add_export_parser(commands)
    add_twin_parser(commands)
    return parser
