"""A notebook's readable twin: the `.py` jupytext pairs with it, written and read by jupytext.

The pairing is jupytext's own: `metadata.jupytext.formats` (`"ipynb,py:percent"`); a
notebook without that key is paired in the percent format beside it when the server pairs
by default, and `"ipynb"` alone switches the twin off for that notebook.
"""

from __future__ import annotations

import copy
import functools
import importlib.util
import os
import sys
import warnings
from pathlib import Path
from typing import Any

import jupytext
import nbformat
from jupytext.formats import (
    JupytextFormatError,
    long_form_multiple_formats,
    short_form_one_format,
)
from jupytext.paired_paths import InconsistentPath, paired_paths

from pairbook.errors import NotebookError
from pairbook.notebook.fileform import PAIRBOOK_KEY
from pairbook.notebook.normal_form import to_plain_json
from pairbook.notebook.twinfile import MAX_TWIN_BYTES

TWIN_FORMAT = "py:percent"
PAIRED_FORMATS = "ipynb,py:percent"  # the switch on, as jupytext writes it
UNPAIRED_FORMATS = "ipynb"  # the switch off
TWIN_SUFFIX = ".py"


def formats_of(metadata: dict[str, Any]) -> str | None:
    """`metadata.jupytext.formats` as jupytext's short form, None when absent."""
    jupytext_meta = metadata.get("jupytext")
    formats = jupytext_meta.get("formats") if isinstance(jupytext_meta, dict) else None
    if formats is None:
        return None
    if isinstance(formats, str):
        return formats
    return str(formats)


def twin_format_of(metadata: dict[str, Any], *, default: bool) -> str | None:
    """The jupytext format of the notebook's `.py` twin; None when it has none."""
    formats = formats_of(metadata)
    if formats is None:
        return TWIN_FORMAT if default and _is_python(metadata) else None
    try:
        for fmt in long_form_multiple_formats(formats):
            if fmt.get("extension") == TWIN_SUFFIX:
                # Where the twin lives is twin_path_of's; how it is written is only this.
                kept = {k: v for k, v in fmt.items() if k in ("extension", "format_name")}
                return str(short_form_one_format(kept))
    except (JupytextFormatError, TypeError, ValueError):
        return None
    return None


def _is_python(metadata: dict[str, Any]) -> bool:
    """Whether the notebook's language is Python (or unnamed): the default twin is a `.py`."""
    for key in ("kernelspec", "language_info"):
        value = metadata.get(key)
        language = (
            value.get("language" if key == "kernelspec" else "name")
            if isinstance(value, dict)
            else None
        )
        if isinstance(language, str) and language:
            return language.lower() == "python"
    return True


def twin_path_of(notebook: Path, metadata: dict[str, Any], *, default: bool) -> Path | None:
    """Where the notebook's twin lives (jupytext's paired path), or None when it has none."""
    fmt = twin_format_of(metadata, default=default)
    if fmt is None:
        return None
    formats = formats_of(metadata)
    if formats is None and shadows_a_module(notebook.stem):
        return None  # not by default: `import bokeh` in bokeh.ipynb would import the twin
    formats = formats or f"ipynb,{fmt}"
    try:
        paths = paired_paths(str(notebook), "ipynb", formats)
    except (InconsistentPath, JupytextFormatError, TypeError, ValueError):
        return None
    for path, path_fmt in paths:
        if path_fmt.get("extension") == TWIN_SUFFIX:
            return Path(path)
    return None


@functools.lru_cache(maxsize=1024)
def shadows_a_module(stem: str) -> bool:
    """Whether a `<stem>.py` beside the notebook would hide a module the kernel imports: the
    kernel runs in the notebook's folder, which comes first on its `sys.path`. Judged by this
    Python's standard library and installed packages (the kernel's, unless the notebook
    declares an environment of its own)."""
    if not stem.isidentifier():
        return False  # `import a-b` cannot name it
    if stem in sys.stdlib_module_names or stem in sys.builtin_module_names:
        return True
    try:
        return importlib.util.find_spec(stem) is not None
    except (ImportError, ValueError):
        return False


SEPARATORS = "._-"
"""What sets a jupytext prefix or suffix off the notebook's stem (`analysis.pct.py`)."""


def twin_refusal(notebook: Path, path: Path) -> str | None:
    """Why `path` cannot be this notebook's twin, or None. The pairing is notebook metadata
    any editor can change, so it may only name a file jupytext would pair with *this*
    notebook: one that keeps its stem — beside it or in another folder (`scripts///py`),
    with a prefix or suffix set off by `.`, `_` or `-` (`analysis.pct.py`) — and that is not
    the twin of another notebook beside it (`_other_notebook`)."""
    stem, name = notebook.stem, path.stem
    prefix, found, suffix = name.partition(stem)
    keeps = bool(found) and (not prefix or prefix[-1] in SEPARATORS)
    if not keeps or (suffix and suffix[0] not in SEPARATORS):
        return (
            f"twin {path.name}: does not keep the notebook's name ({stem}); pairbook writes "
            f"only {stem}.py or a jupytext prefix or suffix form of it (fix "
            "metadata.jupytext.formats)"
        )
    other = _other_notebook(notebook, path)
    if other is not None:
        return f"twin {path.name}: is the twin of {other.name} beside it; not written"
    return None


CANDIDATES_STATED = 32
"""Beyond this many names to try, the twin's folder is listed once instead."""


def _other_notebook(notebook: Path, path: Path) -> Path | None:
    """Another notebook beside `path` whose twin it may as well be: one whose stem the
    twin's name keeps as it keeps this notebook's, and at least as long (`x.pct.py` beside
    `x.ipynb` is x's, whatever notebook `x` is a prefix or suffix of; `analysis.py` in
    another folder is the twin of the `analysis.ipynb` there)."""
    name, least = path.stem, len(notebook.stem)
    cuts = [i for i, char in enumerate(name) if char in SEPARATORS]
    starts, ends = [0, *(i + 1 for i in cuts)], [*cuts, len(name)]
    stems = {name[i:j] for i in starts for j in ends if j - i >= least}
    if len(stems) > CANDIDATES_STATED:  # a name of many separators: one listing, not stats
        try:
            beside = {entry.name for entry in os.scandir(path.parent)}
        except OSError:
            return None
        stems = {stem for stem in stems if f"{stem}.ipynb" in beside}
    mine = notebook.resolve()
    for stem in sorted(stems, key=len, reverse=True):
        other = path.parent / f"{stem}.ipynb"
        if other.exists() and other.resolve() != mine:
            return other
    return None


def check_twin_path(root: Path, path: Path, notebook: Path) -> Path:
    """`path` if pairbook may write it as `notebook`'s twin: a `.py` inside the served
    folder, through no hidden folder, that jupytext would pair with this notebook
    (`twin_refusal`). A pairing must not reach elsewhere."""
    refusal = twin_refusal(notebook, path)
    if refusal is not None:
        raise NotebookError(refusal)
    real_root = root.resolve()
    try:
        real = path.parent.resolve() / path.name
    except (OSError, RuntimeError) as exc:
        raise NotebookError(f"twin {path}: cannot be resolved ({exc})") from exc
    if not real.is_relative_to(real_root) or real == real_root:
        raise NotebookError(
            f"twin {path}: the pairing leads outside the served folder; pairbook writes "
            "twins only inside it (fix metadata.jupytext.formats)"
        )
    if any(part.startswith(".") for part in real.relative_to(real_root).parts):
        raise NotebookError(f"twin {path}: leads into a hidden file or folder; not written")
    if real.suffix != TWIN_SUFFIX:
        raise NotebookError(f"twin {path}: is not a .py file; not written")
    return real


def notebook_to_twin(nb: dict[str, Any], fmt: str) -> str:
    """The twin's text: `nb` written by jupytext, without pairbook's run bookkeeping.
    Refused (NotebookError) for a notebook with more source than a twin is kept for."""
    size = source_size(nb)
    if size > MAX_TWIN_BYTES:
        raise NotebookError(
            f"the notebook's cells hold {size / 1e6:.1f} MB of source, more than the "
            f"{MAX_TWIN_BYTES / 1e6:.1f} MB a .py twin is kept for; the twin is left as it "
            "was and written again once the source is smaller"
        )
    cells = []
    for cell in nb.get("cells") or []:
        metadata = cell.get("metadata")
        if isinstance(metadata, dict) and PAIRBOOK_KEY in metadata:
            cell = {**cell, "metadata": {k: v for k, v in metadata.items() if k != PAIRBOOK_KEY}}
        cells.append(cell)
    metadata = {k: v for k, v in (nb.get("metadata") or {}).items() if k != PAIRBOOK_KEY}
    node = nbformat.from_dict(copy.deepcopy({**nb, "cells": cells, "metadata": metadata}))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            text: str = jupytext.writes(node, fmt=fmt)
    except Exception as exc:  # jupytext trusts the notebook's own options (any editor's)
        raise NotebookError(
            f"jupytext cannot write the .py twin ({type(exc).__name__}: {exc}); fix the "
            "notebook's metadata.jupytext (its filters and options)"
        ) from exc
    return text


def source_size(nb: dict[str, Any]) -> int:
    """Characters of source in the notebook's cells (a source may be a string or lines)."""
    size = 0
    for cell in nb.get("cells") or []:
        source = cell.get("source") if isinstance(cell, dict) else None
        if isinstance(source, str):
            size += len(source)
        elif isinstance(source, list):
            size += sum(len(line) for line in source if isinstance(line, str))
    return size


def twin_to_cells(text: str, fmt: str, *, name: str = "twin") -> list[dict[str, Any]]:
    """The cells jupytext reads from a twin's text (`cell_type`, `source`, `metadata`)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            node = jupytext.reads(text, fmt=fmt)
    except Exception as exc:  # jupytext raises many kinds for malformed text
        raise NotebookError(
            f"{name}: jupytext cannot read it ({type(exc).__name__}: {exc}); fix the file"
        ) from exc
    cells: list[dict[str, Any]] = to_plain_json(node.cells)
    return [
        {
            "cell_type": cell.get("cell_type", "code"),
            "source": cell.get("source", ""),
            "metadata": cell.get("metadata") or {},
        }
        for cell in cells
    ]


def is_jupytext_text(text: str) -> bool:
    """Whether a `.py` names jupytext in its header (made by jupytext, not a plain module)."""
    head = text[:2000]
    return "jupytext" in head or text.lstrip().startswith("# %%")
