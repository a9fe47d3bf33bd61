"""The `pairbook` command's entry point: the stop signals are caught before the CLI (a second
or more of imports) is loaded; see `pairbook.stopsignals`."""

from __future__ import annotations

from pairbook.stopsignals import PROCESS_STOPS


def main() -> int:
    PROCESS_STOPS.catch()
    from pairbook.cli import main as run_command  # imported once the signals are caught

    return run_command()
