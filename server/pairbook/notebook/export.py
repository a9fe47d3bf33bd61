"""One-off exports of a notebook: its `.py` (jupytext), a clean `.ipynb`, or HTML (nbconvert)."""

from __future__ import annotations

import warnings
from typing import Any, Literal

import nbformat

from pairbook.errors import NotebookError
from pairbook.notebook.fileform import PAIRBOOK_KEY, FileForm, without_outputs
from pairbook.notebook.ipynb import serialize_notebook
from pairbook.notebook.twin import TWIN_FORMAT, notebook_to_twin, twin_format_of

ExportFormat = Literal["py", "ipynb-clean", "html"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("py", "ipynb-clean", "html")


def export_notebook(nb: dict[str, Any], to: ExportFormat) -> bytes:
    """`nb` (as read from its file) in the format `to`; never pairbook's run bookkeeping."""
    if to == "py":
        fmt = twin_format_of(nb.get("metadata") or {}, default=True) or TWIN_FORMAT
        return notebook_to_twin(nb, fmt).encode("utf-8")
    if to == "ipynb-clean":
        return serialize_notebook(clean_notebook(nb))
    if to == "html":
        return _html(FileForm().to_file(nb))
    raise NotebookError(f"unknown export format {to!r}; pick one of {', '.join(EXPORT_FORMATS)}")


def clean_notebook(nb: dict[str, Any]) -> dict[str, Any]:
    """`nb` without outputs, execution counts or any pairbook metadata."""
    clean = without_outputs(nb)
    metadata = {k: v for k, v in (nb.get("metadata") or {}).items() if k != PAIRBOOK_KEY}
    return {**clean, "metadata": metadata}


def _html(nb: dict[str, Any]) -> bytes:
    from nbconvert import HTMLExporter  # imported here: it takes a second to import

    node = nbformat.from_dict(nb)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        body, _ = HTMLExporter().from_notebook_node(node)  # type: ignore[no-untyped-call]
    return str(body).encode("utf-8")
