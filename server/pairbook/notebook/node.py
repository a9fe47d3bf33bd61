"""nbformat's NotebookNode for code that hands notebooks to Jupyter libraries (nbclient)."""

from __future__ import annotations

from typing import Any

import nbformat


def notebook_node(nb: dict[str, Any]) -> Any:
    """A deep copy of plain nbformat JSON as a NotebookNode (attribute access, as nbclient
    expects)."""
    return nbformat.from_dict(nb)
