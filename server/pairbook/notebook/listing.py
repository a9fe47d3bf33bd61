"""NotebookListing: what the notebook list says about each file, parsed once per change."""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from pairbook.errors import NotebookError
from pairbook.notebook.ipynb import check_notebook_size, read_notebook
from pairbook.notebook.twin import twin_path_of, twin_refusal

CACHED_FILES = 4096


class NotebookListing:
    """Each notebook's cell count (or why it cannot be read), cached by the file's mtime and
    size: listing the folder parses a notebook once after it changed, not on every call.

    Blocking file I/O: call it from a worker thread. Parses happen one at a time, so
    concurrent listings of a large new notebook parse it once, not once each.
    """

    def __init__(self, root: Path, *, max_bytes: int | None = None, twin: bool = True) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.twin = twin  # whether a notebook naming no pairing has a .py twin
        self._cache: OrderedDict[str, tuple[tuple[int, int, int], dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()
        self.parses = 0  # files parsed so far (the rest were answered from the cache)

    def describe(self, relpath: str) -> dict[str, Any]:
        """`{"cells": n}` (and `"twin"`: the .py paired with it, when it is on disk), or
        `{"error": why}` for a file that cannot be listed."""
        path = self.root / relpath
        with self._lock:
            try:
                stat = path.stat()
            except OSError as exc:
                return {"error": f"{relpath}: cannot be examined ({exc.strerror})"}
            key = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
            cached = self._cache.get(relpath)
            if cached is not None and cached[0] == key:
                self._cache.move_to_end(relpath)
                return dict(cached[1])
            summary = self._summarize(path, stat.st_size)
            self._cache[relpath] = (key, summary)
            self._cache.move_to_end(relpath)
            while len(self._cache) > CACHED_FILES:
                self._cache.popitem(last=False)
            return dict(summary)

    def _summarize(self, path: Path, size: int) -> dict[str, Any]:
        try:
            check_notebook_size(path, size, self.max_bytes)
            self.parses += 1
            content = read_notebook(path, max_bytes=self.max_bytes)
        except NotebookError as exc:
            return {"error": str(exc)}
        summary: dict[str, Any] = {"cells": len(content.nb.get("cells", []))}
        twin = twin_path_of(path, content.nb.get("metadata") or {}, default=self.twin)
        if twin is not None and twin_refusal(path, twin) is None and twin.is_file():
            with contextlib.suppress(ValueError):
                summary["twin"] = twin.resolve().relative_to(self.root.resolve()).as_posix()
        return summary
