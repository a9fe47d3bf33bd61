"""What `pairbook serve` imports as it starts: nothing of the tests' tools. rfc3987_syntax
(jsonschema's IRI format checker, which builds a Lark grammar as it is imported: seconds of
every start) came with the tools when they shared pairbook's environment (scripts/tools.txt)."""

from __future__ import annotations

import subprocess
import sys

IMPORTED = "import sys, pairbook.cli.serve; print(sorted(set(sys.modules) & set(sys.argv[1:])))"


def test_serving_imports_no_format_checker_of_the_tools() -> None:
    slow = ["rfc3987_syntax", "lark", "jupyter_server", "jupyter_events"]
    result = subprocess.run(
        [sys.executable, "-c", IMPORTED, *slow], capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
