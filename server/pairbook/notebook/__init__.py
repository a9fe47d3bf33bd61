"""Notebook domain logic: .ipynb files on disk and their jupyter_ydoc YNotebook documents.

Owns nbformat and jupyter_ydoc for the rest of pairbook. No network code, no store: reading
and writing files (`ipynb`, `file`, `paths`), the deterministic base history a room starts
from (`history`), and the conversions between nbformat JSON and a pycrdt Doc
(`ynotebook`, `reconcile`).
"""

from __future__ import annotations

from pairbook.notebook.file import NotebookFile, SaveResult, SaveStatus
from pairbook.notebook.history import (
    BaseClientIds,
    BaseHistory,
    base_client_ids,
    base_history_of,
    history_id_of,
)
from pairbook.notebook.ipynb import (
    FileFingerprint,
    NotebookContent,
    new_notebook,
    read_notebook,
    serialize_notebook,
    validate_notebook,
)
from pairbook.notebook.paths import list_notebooks, resolve_notebook_path, room_name_of
from pairbook.notebook.reconcile import apply_notebook_to_ydoc
from pairbook.notebook.ynotebook import notebook_to_ydoc, ydoc_to_notebook

__all__ = [
    "BaseClientIds",
    "BaseHistory",
    "FileFingerprint",
    "NotebookContent",
    "NotebookFile",
    "SaveResult",
    "SaveStatus",
    "apply_notebook_to_ydoc",
    "base_client_ids",
    "base_history_of",
    "history_id_of",
    "list_notebooks",
    "new_notebook",
    "notebook_to_ydoc",
    "read_notebook",
    "resolve_notebook_path",
    "room_name_of",
    "serialize_notebook",
    "validate_notebook",
    "ydoc_to_notebook",
]
