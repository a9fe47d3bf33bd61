"""The .ipynb format: reading a file into plain nbformat 4 JSON, validating, serialising."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import nbformat
import nbformat.v4

from pairbook.errors import NotebookError, NotebookSizeError
from pairbook.notebook.cell_ids import assign_cell_ids, derive_cell_id
from pairbook.notebook.jsonshape import MAX_NESTING, check_json_shape
from pairbook.notebook.normal_form import (
    TRANSIENT_NOTEBOOK_METADATA,
    rejoin_lines,
    strip_transient,
    to_plain_json,
)
from pairbook.notebook.schemafit import fit_to_schema, valid_by_parts

log = logging.getLogger("pairbook.notebook")

NBFORMAT = 4
NBFORMAT_MINOR: int = nbformat.v4.nbformat_minor
"""The nbformat version every notebook is upgraded to: 4 and the latest minor (5 today)."""

_CONVERSION_ERRORS = (AttributeError, KeyError, TypeError, ValueError, nbformat.ValidationError)


@dataclass(frozen=True)
class FileFingerprint:
    """What a notebook file looked like when pairbook last read or wrote it."""

    mtime_ns: int
    size: int
    sha256: str
    inode: tuple[int, int]  # (st_dev, st_ino): another file renamed over it has another

    @classmethod
    def of(cls, raw: bytes, stat: os.stat_result) -> FileFingerprint:
        return cls(stat.st_mtime_ns, stat.st_size, hashlib.sha256(raw).hexdigest(), inode_of(stat))

    def stat_matches(self, stat: os.stat_result) -> bool:
        """Whether a stat of the file looks as it did: same mtime, size and inode."""
        return (stat.st_mtime_ns, stat.st_size, inode_of(stat)) == (
            self.mtime_ns,
            self.size,
            self.inode,
        )


def inode_of(stat: os.stat_result) -> tuple[int, int]:
    return (stat.st_dev, stat.st_ino)


@dataclass(frozen=True)
class NotebookContent:
    """A notebook read from a file: plain nbformat 4 JSON, the file's bytes, its fingerprint."""

    nb: dict[str, Any]
    raw: bytes
    fingerprint: FileFingerprint


def read_notebook(path: Path, *, max_bytes: int | None = None) -> NotebookContent:
    """Read, upgrade to nbformat 4.5 and validate one .ipynb file.

    Cells without an id get one derived from the file's hash and their position, never a
    random one, so that reading the same file twice gives the same notebook. A file larger
    than `max_bytes` is a NotebookSizeError, before it is read.
    """
    try:
        with path.open("rb") as file:
            return read_notebook_file(path, file, max_bytes=max_bytes)
    except FileNotFoundError:
        raise NotebookError(f"{path}: no such notebook; check the path") from None
    except IsADirectoryError:
        raise NotebookError(f"{path}: is a directory, not a notebook file") from None
    except OSError as exc:
        raise NotebookError(f"{path}: cannot be read ({exc.strerror}); check permissions") from exc


def read_notebook_file(
    path: Path, file: BinaryIO, *, max_bytes: int | None = None
) -> NotebookContent:
    """`read_notebook` of a file already open (`path` names it in errors)."""
    try:
        stat = os.fstat(file.fileno())
        check_notebook_size(path, stat.st_size, max_bytes)
        raw = file.read()
    except IsADirectoryError:
        raise NotebookError(f"{path}: is a directory, not a notebook file") from None
    except OSError as exc:
        raise NotebookError(f"{path}: cannot be read ({exc.strerror}); check permissions") from exc
    fingerprint = FileFingerprint.of(raw, stat)
    nb = parse_notebook(raw, name=str(path), salt=fingerprint.sha256)
    return NotebookContent(nb=nb, raw=raw, fingerprint=fingerprint)


def check_notebook_size(path: Path, size: int, max_bytes: int | None) -> None:
    """Raise NotebookSizeError for a file larger than `max_bytes` (None: no limit)."""
    if max_bytes is not None and size > max_bytes:
        raise NotebookSizeError(
            f"{path.name} is {size / 1e6:.1f} MB; this server opens notebooks up to "
            f"{max_bytes / 1e6:.1f} MB (pairbook serve --max-notebook)"
        )


def parse_notebook(raw: bytes, *, name: str, salt: str) -> dict[str, Any]:
    """Parse .ipynb bytes into valid nbformat 4.5 JSON; `salt` seeds the ids of id-less cells."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotebookError(
            f"{name}: is not UTF-8 text (bad byte at offset {exc.start}); "
            "save it as UTF-8 or restore it from version control"
        ) from None
    data = _load_json(text, name)
    if not isinstance(data, dict) or not isinstance(data.get("nbformat"), int):
        raise NotebookError(
            f"{name}: is JSON but not a Jupyter notebook (no integer 'nbformat' key at the top)"
        )
    check_json_shape(data, raw, name)
    major = data["nbformat"]
    minor = data.get("nbformat_minor", 0)
    if major not in nbformat.versions or not isinstance(minor, int):
        raise NotebookError(
            f"{name}: nbformat {major}.{minor} is not supported; "
            f"open and save it with a current Jupyter to upgrade it to {NBFORMAT}.{NBFORMAT_MINOR}"
        )
    had_ids = (major, minor) >= (NBFORMAT, 5)
    if major == NBFORMAT:  # `data` is our own (just parsed): changed in place
        if had_ids:
            _fill_cell_ids(data, name, salt)
        elif isinstance(data.get("cells"), list):
            # Ids in a pre-4.5 file break its schema, and are replaced below anyway.
            for cell in data["cells"]:
                if isinstance(cell, dict):
                    cell.pop("id", None)
        _check_valid(data, name)
        # What nbformat's v4 reader does, on the plain dicts (valid: no NotebookNode needed).
        rejoin_lines(data)
        strip_transient(data)
        nb: dict[str, Any] = data
    else:
        nb = _upgraded(data, name, major, minor)
    if not had_ids:
        # nbformat's upgrade gave every cell a random id: replace them all.
        for cell in nb.get("cells", []):
            cell.pop("id", None)
        _fill_cell_ids(nb, name, salt)
    nb["nbformat_minor"] = max(int(nb.get("nbformat_minor", 0)), NBFORMAT_MINOR)
    if not had_ids:
        validate_notebook(nb, name=name)
    # else: validated above, with every id present, valid and unique; since then lines
    # were joined and transient keys dropped, which keeps it valid (one schema pass, not
    # two: it is the longest part of reading a large notebook after the JSON itself).
    return nb


def _load_json(text: str, name: str) -> Any:
    """`text` parsed as JSON, or a NotebookError saying what is wrong with it."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(
            f"{name}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}; "
            "fix the file by hand or restore it from version control"
        ) from None
    except RecursionError:
        raise NotebookError(
            f"{name}: nests objects and arrays more than {MAX_NESTING} levels deep, more than "
            "pairbook opens; flatten that part or restore the file from version control"
        ) from None
    except ValueError:  # Python reads integers of up to 4,300 digits
        raise NotebookError(
            f"{name}: holds an integer of more than 4,300 digits; write it as a string"
        ) from None


def _upgraded(data: dict[str, Any], name: str, major: int, minor: int) -> dict[str, Any]:
    """A notebook of an older major version, upgraded by nbformat to this one."""
    try:
        node = nbformat.versions[major].to_notebook_json(data, minor=minor)
        node = nbformat.convert(node, NBFORMAT)
    except _CONVERSION_ERRORS as exc:
        raise NotebookError(
            f"{name}: nbformat {major}.{minor} notebook cannot be upgraded to "
            f"{NBFORMAT}.{NBFORMAT_MINOR} ({exc}); open and save it with a current Jupyter"
        ) from None
    nb: dict[str, Any] = to_plain_json(node)
    _strip_transient_metadata(nb)
    return nb


def validate_notebook(nb: dict[str, Any], *, name: str = "notebook") -> None:
    """Raise NotebookError unless `nb` is a valid nbformat 4.5+ notebook with unique ids."""
    if nb.get("nbformat") != NBFORMAT:
        raise NotebookError(
            f"{name}: expected nbformat {NBFORMAT}, got {nb.get('nbformat')!r}; "
            "convert it before saving"
        )
    cells = nb.get("cells")
    if isinstance(cells, list):
        seen: set[object] = set()
        for index, cell in enumerate(cells):
            if not isinstance(cell, dict):
                continue  # the schema check below names it
            cell_id = cell.get("id")
            if cell_id is None:
                raise NotebookError(f"{name}: cells[{index}] has no id; give every cell an id")
            if cell_id in seen:
                raise NotebookError(
                    f"{name}: cells[{index}] repeats the id {cell_id!r}; make cell ids unique"
                )
            seen.add(cell_id)
    _check_valid(nb, name)


def serialize_notebook(nb: dict[str, Any], *, name: str = "notebook") -> bytes:
    """The exact bytes pairbook writes: nbformat's JSON (indent 1, sorted keys) and a newline.

    These are the bytes JupyterLab writes too, so a file it saved serialises unchanged.
    What nbformat's schema refuses in an output, a metadata key or an attachment (any
    editor can write one into a shared document) is left out, and logged. Raises
    NotebookError, naming `name`, for a notebook nbformat would still not validate.
    """
    nb = _json_data_as_text(nb)
    try:
        validate_notebook(nb, name=name)
    except NotebookError:
        nb, dropped = fit_to_schema(nb)
        if not dropped:
            raise
        log.warning("notebook written without what nbformat refuses",
                    extra={"notebook": name, "left_out": dropped[:20]})  # fmt: skip
        validate_notebook(nb, name=name)
    # nbformat.writes(nb, version=4) validates again and only logs failures: call the v4
    # writer it delegates to, which produces the same text.
    node = nbformat.from_dict(nb)
    text: str = nbformat.v4.writes(node)
    if "NaN" in text or "Infinity" in text:  # rare: most often inside a string
        finite = _finite(nb)
        if finite is not nb:
            return serialize_notebook(finite, name=name)
    return (text + "\n").encode("utf-8")


def _finite(value: Any) -> Any:
    """`value` with every NaN and ±infinity as None, as JavaScript's JSON.stringify writes
    them: Python's json writes them as `NaN` / `Infinity`, which no JSON parser but Python's
    reads (JupyterLab, GitHub and jq refuse the file). The same object where there is none."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        items = {k: _finite(v) for k, v in value.items()}
        same = all(items[k] is v for k, v in value.items())
        return value if same else items
    if isinstance(value, list):
        kept = [_finite(v) for v in value]
        return value if all(a is b for a, b in zip(kept, value, strict=True)) else kept
    return value


_JSON_MIME = re.compile(r"^application/(.*\+)?json$")


def _json_data_as_text(nb: dict[str, Any]) -> dict[str, Any]:
    """`nb` with every output's structured data under a MIME type that nbformat's schema
    does not take as JSON (e.g. `application/vnd.vegalite.v6.json`, not `+json`) written
    as JSON text, which the schema takes, instead of refusing to save the notebook."""
    cells = []
    for cell in nb.get("cells") or []:
        outputs = cell.get("outputs") if isinstance(cell, dict) else None
        if isinstance(outputs, list):
            kept = [_with_text_data(o) for o in outputs]
            if any(new is not old for new, old in zip(kept, outputs, strict=True)):
                cell = {**cell, "outputs": kept}
        cells.append(cell)
    return {**nb, "cells": cells} if "cells" in nb else nb


def _with_text_data(output: Any) -> Any:
    """The output itself when its data is all as the schema takes it, else a copy."""
    data = output.get("data") if isinstance(output, dict) else None
    if not isinstance(data, dict):
        return output
    odd = {k for k, v in data.items() if not isinstance(v, str | list) and not _JSON_MIME.match(k)}
    if not odd:
        return output
    return {**output, "data": {k: json.dumps(v) if k in odd else v for k, v in data.items()}}


def new_notebook() -> dict[str, Any]:
    """An empty nbformat 4.5 notebook: one empty code cell and a python3 kernelspec."""
    return {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": derive_cell_id("pairbook:new-notebook", set()),
                "metadata": {},
                "outputs": [],
                "source": "",
            }
        ],
        "metadata": {
            "kernelspec": {
                "display_name": "Python 3 (ipykernel)",
                "language": "python",
                "name": "python3",
            },
            "language_info": {"name": "python"},
        },
        "nbformat": NBFORMAT,
        "nbformat_minor": NBFORMAT_MINOR,
    }


def _fill_cell_ids(nb: dict[str, Any], name: str, salt: str) -> None:
    """Give missing, invalid and repeated cell ids deterministic replacements, in place."""
    cells = nb.get("cells")
    if not isinstance(cells, list) or not all(isinstance(cell, dict) for cell in cells):
        raise NotebookError(f"{name}: 'cells' is not a list of cell objects")
    ids = assign_cell_ids([cell.get("id") for cell in cells], salt)
    for cell, cell_id in zip(cells, ids, strict=True):
        cell["id"] = cell_id


def _strip_transient_metadata(nb: dict[str, Any]) -> None:
    metadata = nb.get("metadata")
    if isinstance(metadata, dict):
        for key in TRANSIENT_NOTEBOOK_METADATA:
            metadata.pop(key, None)


def _check_valid(nb: dict[str, Any], name: str) -> None:
    if valid_by_parts(nb):  # the same verdict, faster; the whole says why it is not valid
        return
    try:
        # Ids are complete and unique by now, so validate() neither warns nor repairs.
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        raise NotebookError(
            f"{name}: not a valid notebook: {_describe(exc)}; fix that part of the file "
            "or restore it from version control"
        ) from None


def _describe(error: Any) -> str:
    """'cells[2].outputs[0]: <message>' from a jsonschema-style validation error."""
    path = ""
    for part in getattr(error, "relative_path", None) or getattr(error, "path", None) or ():
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    message = str(getattr(error, "message", None) or error).splitlines()[0]
    if len(message) > _MESSAGE_LIMIT:
        message = message[: _MESSAGE_LIMIT - 1] + "…"
    return f"{path.lstrip('.')}: {message}" if path else message


_MESSAGE_LIMIT = 200
"""jsonschema quotes the failing value in full: a whole cell can be megabytes."""
