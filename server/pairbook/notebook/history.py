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

from pairbook.notebook.canonical_update import CanonicalUpdate, canonical_form, join_updates
from pairbook.notebook.ipynb import NotebookContent
from pairbook.notebook.normal_form import normalize_notebook
from pairbook.notebook.update_writer import Unwritable, notebook_update
from pairbook.notebook.ynotebook import notebook_to_ydoc
from pairbook.schema import HISTORY_KEY, PAIRBOOK_MAP

BUILD_VERSION = b"pairbook-base-history/2\n"
"""Hashed into every history id: bump it whenever the build writes different items, so that a
history built by the old code is never mistaken for one built by the new. (1 hashed the
notebook's canonical JSON; 2 hashes the notebook's canonical update, one pass fewer.)"""

PLACEHOLDER_CLIENT = 1
"""The client id the notebook is first written under, before its hash picks the real one."""


@dataclass(frozen=True)
class BaseClientIds:
    """The two Yjs client ids that write a base history: the notebook's and the marker's."""

    notebook: int
    pairbook: int


@dataclass(frozen=True)
class BaseHistory:
    """A notebook's base history: its id and its update (v1)."""

    history_id: str
    update: bytes


def history_id_of(content: NotebookContent) -> str:
    """The id of the history built from this content (see `base_history_of`)."""
    return base_history_of(content.nb).history_id


def base_history_of(nb: dict[str, Any]) -> BaseHistory:
    """The whole notebook as a v1 update in the YNotebook schema, plus the history marker;
    and the history's id, a hex sha256 of the notebook's canonical update.

    Same notebook, same id and bytes, in any process. The notebook's canonical update is
    written once, under a placeholder client (`notebook_update`: straight from the JSON);
    it is hashed for the id, then moved to the client the id picks without another pass
    over the megabytes of a large notebook.
    """
    normal = normalize_notebook(nb)
    try:
        placeholder = notebook_update(normal, PLACEHOLDER_CLIENT)
    except Unwritable:  # what pycrdt makes of it, or the error it raises
        placeholder = built_update(normal)
    history_id = placeholder.sha256(BUILD_VERSION)
    ids = base_client_ids(history_id)
    notebook = placeholder.moved({PLACEHOLDER_CLIENT: ids.notebook})
    marker_doc: Doc[Any] = Doc(client_id=ids.pairbook)
    marker_doc.get(PAIRBOOK_MAP, type=Map)[HISTORY_KEY] = history_id
    marker = canonical_form(marker_doc.get_update())
    return BaseHistory(history_id, join_updates([notebook, marker]))


def built_update(normal: dict[str, Any]) -> CanonicalUpdate:
    """The notebook's canonical update under the placeholder client, by way of a pycrdt Doc
    (what `notebook_update` writes directly, for the notebooks it can)."""
    notebook_doc: Doc[Any] = Doc(client_id=PLACEHOLDER_CLIENT)
    notebook_to_ydoc(normal, notebook_doc)
    return canonical_form(notebook_doc.get_update())


def base_client_ids(history_id: str) -> BaseClientIds:
    """Two distinct nonzero 32-bit client ids derived from the history id."""
    notebook = _client_id(history_id, "notebook", exclude=frozenset())
    pairbook = _client_id(history_id, "pairbook", exclude=frozenset({notebook}))
    return BaseClientIds(notebook=notebook, pairbook=pairbook)


def _client_id(history_id: str, role: str, exclude: frozenset[int]) -> int:
    attempt = 0
    while True:
        seed = f"pairbook-client:{role}:{history_id}:{attempt}".encode()
        candidate = int.from_bytes(hashlib.sha256(seed).digest()[:4], "big")
        if candidate != 0 and candidate not in exclude:
            return candidate
        attempt += 1
