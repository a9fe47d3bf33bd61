"""What the command line prints on stderr when it cannot go on, or goes on with a caveat."""

from __future__ import annotations

import sys


def fail(message: str) -> int:
    """Print the error (it says what to do next) and return the exit code for usage errors."""
    print(f"pairbook: error: {message}", file=sys.stderr)
    return 2


def warn(message: str) -> None:
    print(f"pairbook: warning: {message}", file=sys.stderr, flush=True)
