"""The base history: the Yjs update a room starts from when its log is empty.

Built only from the notebook's content, with client ids derived from it, so that two server
starts from the same file give byte-identical updates: a browser still holding the old
document merges them without duplicating a cell. A `pairbook` root map written by a second
client records which history this is, so that a peer from another history can be told apart.

The room's own Doc must use a fresh random client id, never these: only the build writes
with them, and always the same items at the same clocks.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from pycrdt import Doc, Map

from pairbook.notebook.canonical_update import canonicalize_update
from pairbook.notebook.ipynb import NotebookContent
from pairbook.notebook.normal_form import canonical_json, normalize_notebook
from pairbook.notebook.ynotebook import notebook_to_ydoc
from pairbook.schema import HISTORY_KEY, PAIRBOOK_MAP

BUILD_VERSION = b"pairbook-base-history/1\n"
"""Hashed into every history id: bump it whenever the build writes different items, so that a
history built by the old code is never mistaken for one built by the new."""


@dataclass(frozen=True)
class BaseClientIds:
    """The two Yjs client ids that write a base history: the notebook's and the marker's."""

    notebook: int
    pairbook: int


def history_id_of(content: NotebookContent) -> str:
    """The id of the history built from this content: hex sha256 of the canonical notebook."""
    return notebook_history_id(content.nb)


def notebook_history_id(nb: dict[str, Any]) -> str:
    """`history_id_of` for a notebook dict (read with `read_notebook`)."""
    digest = hashlib.sha256(BUILD_VERSION + canonical_json(normalize_notebook(nb)))
    return digest.hexdigest()


def base_client_ids(history_id: str) -> BaseClientIds:
    """Two distinct nonzero 32-bit client ids derived from the history id."""
    notebook = _client_id(history_id, "notebook", exclude=frozenset())
    pairbook = _client_id(history_id, "pairbook", exclude=frozenset({notebook}))
    return BaseClientIds(notebook=notebook, pairbook=pairbook)


def build_base_update(nb: dict[str, Any], history_id: str) -> bytes:
    """The whole notebook as a v1 update in the YNotebook schema, plus the history marker.

    Same notebook and history id, same bytes, in any process.
    """
    ids = base_client_ids(history_id)
    notebook_doc: Doc[Any] = Doc(client_id=ids.notebook)
    notebook_to_ydoc(normalize_notebook(nb), notebook_doc)
    marker_doc: Doc[Any] = Doc(client_id=ids.pairbook)
    marker_doc.get(PAIRBOOK_MAP, type=Map)[HISTORY_KEY] = history_id
    # The marker applied into the notebook's Doc and the whole encoded once: the same bytes
    # as merging the two Docs' updates (tests/unit/notebook/test_history.py), at half the
    # cost for a large notebook (no second pass over its megabytes).
    notebook_doc.apply_update(marker_doc.get_update())
    return canonicalize_update(notebook_doc.get_update())


def _client_id(history_id: str, role: str, exclude: frozenset[int]) -> int:
    attempt = 0
    while True:
        seed = f"pairbook-client:{role}:{history_id}:{attempt}".encode()
        candidate = int.from_bytes(hashlib.sha256(seed).digest()[:4], "big")
        if candidate != 0 and candidate not in exclude:
            return candidate
        attempt += 1
