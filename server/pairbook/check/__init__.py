"""`pairbook check`: run a notebook top to bottom in a fresh kernel in its own uv-built
environment, and compare what comes out with what the notebook saved.

nbclient lives here (it drives its own kernel, not a room's).
"""

from pairbook.check.checker import CheckOptions, check_notebook
from pairbook.check.compare import Tolerance
from pairbook.check.report import CellResult, NotebookReport, Verdict, junit_xml, write_junit
from pairbook.check.runner import Limits

__all__ = [
    "CellResult",
    "CheckOptions",
    "Limits",
    "NotebookReport",
    "Tolerance",
    "Verdict",
    "check_notebook",
    "junit_xml",
    "write_junit",
]
