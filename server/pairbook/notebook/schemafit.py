"""Fitting a notebook to nbformat's schema: the parts it refuses are left out of a copy.

A shared document holds whatever its editors wrote, and any editor can put a value the
schema refuses where the schema has a say (`metadata.collapsed: "yes"`, an output without a
valid `output_type`, a kernelspec that is a number). The document keeps it (the log holds
what the peer wrote); the file, a download and the twin are written from a copy without it,
so one such value never stops the notebook from being saved.

Each part is checked on its own with nbformat's compiled (fastjsonschema) validators: the
whole notebook costs about one validation, where jsonschema's error listing cost 8 times
as much (3.4 s for a 3.4 MB notebook), on the event loop at every save.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import nbformat.v4
from nbformat.json_compat import FastJsonSchemaValidator
from nbformat.validator import ValidationError, get_validator

ROOT = ""
"""The notebook itself, as `definition`: the schema's root."""


@functools.cache
def _schema() -> dict[str, Any]:
    minor = nbformat.v4.nbformat_minor
    validator = get_validator(version=nbformat.v4.nbformat, version_minor=minor)
    schema: dict[str, Any] = validator._schema
    return schema


def _definitions() -> dict[str, Any]:
    definitions: dict[str, Any] = _schema()["definitions"]
    return definitions


@functools.cache
def _validator(definition: str) -> Any:
    """A compiled validator for one of the schema's definitions (or its root)."""
    if definition == ROOT:
        return FastJsonSchemaValidator(_schema())
    schema = {"$ref": f"#/definitions/{definition}", "definitions": _definitions()}
    return FastJsonSchemaValidator(schema)


def _valid(value: object, definition: str) -> bool:
    try:
        _validator(definition).validate(value)
    except ValidationError:
        return False
    return True


@functools.cache
def _part(definition: str) -> Callable[[object], object]:
    """What checks a value against one of the schema's definitions (or its root): the
    function nbformat's own compiled validator has for it (fastjsonschema writes one per
    definition), so that nothing is compiled again (8 more compilations doubled the server's
    warm-up); else a validator compiled for it, as `_valid` uses."""
    minor = nbformat.v4.nbformat_minor
    compiled = getattr(get_validator(nbformat.v4.nbformat, minor), "_validator", None)
    if definition == ROOT and callable(compiled):
        return compiled  # type: ignore[no-any-return]
    own = getattr(compiled, "__globals__", {}).get(f"validate___definitions_{definition}")
    return own if callable(own) else _validator(definition).validate  # type: ignore[no-any-return]


def _part_valid(value: object, definition: str) -> bool:
    try:
        _part(definition)(value)
    except (ValidationError, ValueError):  # fastjsonschema's errors are ValueErrors
        return False
    return True


_CELL_DEFINITIONS = {"raw": "raw_cell", "markdown": "markdown_cell", "code": "code_cell"}
_OUTPUT_DEFINITIONS = frozenset({"execute_result", "display_data", "stream", "error"})


def valid_by_parts(nb: dict[str, Any]) -> bool:
    """True when nbformat's schema takes `nb` (a 4.x notebook of the current minor whose
    cells all have ids, none repeated), checked part by part: the notebook without its
    cells, each cell against the definition its `cell_type` names and each output against
    the one its `output_type` names. The schema's `cell` and `output` are oneOfs of those
    definitions, told apart by those constant keys, so a part valid against its own is valid
    against exactly one, as the whole asks; validating the whole also tries every other one
    and builds an error for each (3 ms against 9 for the bench's 5 MB notebook). False says
    only that the whole must be validated, for the verdict and its error."""
    if (nb.get("nbformat"), nb.get("nbformat_minor")) != (4, nbformat.v4.nbformat_minor):
        return False  # validated against its own version's schema
    cells = nb.get("cells")
    if not isinstance(cells, list) or not _part_valid({**nb, "cells": []}, ROOT):
        return False
    ids = {c.get("id") for c in cells if isinstance(c, dict) and isinstance(c.get("id"), str)}
    if len(ids) != len(cells):
        return False  # nbformat repairs a missing or repeated id as it validates
    return all(map(_cell_valid, cells))


def _cell_valid(cell: dict[str, Any]) -> bool:
    kind = cell.get("cell_type")
    definition = _CELL_DEFINITIONS.get(kind) if isinstance(kind, str) else None
    if definition is None:
        return False
    outputs = cell.get("outputs") if definition == "code_cell" else None
    if not isinstance(outputs, list):
        return _part_valid(cell, definition)
    if not _part_valid({**cell, "outputs": []}, definition):
        return False
    for output in outputs:
        kind = output.get("output_type") if isinstance(output, dict) else None
        if not (
            isinstance(kind, str) and kind in _OUTPUT_DEFINITIONS and _part_valid(output, kind)
        ):
            return False
    return True


def warm_up_validators() -> None:
    """Ready what `valid_by_parts` uses (nbformat compiles its schema at first use)."""
    for definition in (ROOT, *_CELL_DEFINITIONS.values(), *_OUTPUT_DEFINITIONS):
        _part(definition)


def fit_to_schema(nb: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """`nb` without the parts nbformat's schema refuses, and where each was (`cells[2].
    metadata.collapsed`). Left out: a notebook metadata key, a cell's output, a cell's
    metadata key or attachment (what remains may still be refused: a cell of a type nbformat
    does not know). `nb` itself is not changed."""
    dropped: list[str] = []
    metadata = nb.get("metadata")
    if isinstance(metadata, dict) and not _valid({**nb, "cells": []}, ROOT):
        metadata = dict(metadata)
        for key, value in list(metadata.items()):
            if not _valid({**nb, "cells": [], "metadata": {key: value}}, ROOT):
                del metadata[key]
                dropped.append(f"metadata.{key}")
    cells = list(nb.get("cells") or [])
    for index, cell in enumerate(cells):
        if isinstance(cell, dict) and not _valid(cell, "cell"):
            cells[index] = _fit_cell(cell, f"cells[{index}]", dropped)
    return {**nb, "metadata": metadata, "cells": cells}, dropped


def _fit_cell(cell: dict[str, Any], where: str, dropped: list[str]) -> dict[str, Any]:
    """One cell without the outputs, metadata keys and attachments the schema refuses."""
    definition = f"{cell.get('cell_type')}_cell"
    if definition not in _definitions():
        return cell  # not a cell type nbformat knows: the notebook stays refused
    # Each part is checked in a cell holding only it (the cell's other parts may be refused).
    bare: dict[str, Any] = {key: cell[key] for key in ("id", "cell_type", "source") if key in cell}
    bare["metadata"] = {}
    if definition == "code_cell":
        bare |= {"outputs": [], "execution_count": cell.get("execution_count")}
        # A count the schema refuses (-1: any editor can write it) is written as none.
        if not _valid(bare, definition) and _valid({**bare, "execution_count": None}, definition):
            bare["execution_count"] = None
            dropped.append(f"{where}.execution_count")
    fitted: dict[str, Any] = {**bare, "metadata": {}}
    for key, value in (cell.get("metadata") or {}).items():
        if _valid({**bare, "metadata": {key: value}}, definition):
            fitted["metadata"][key] = value
        else:
            dropped.append(f"{where}.metadata.{key}")
    if isinstance(cell.get("attachments"), dict):
        fitted["attachments"] = {}
        for key, value in cell["attachments"].items():
            if _valid({**bare, "attachments": {key: value}}, definition):
                fitted["attachments"][key] = value
            else:
                dropped.append(f"{where}.attachments.{key}")
    if definition == "code_cell":
        fitted["outputs"] = []
        for number, output in enumerate(cell.get("outputs") or []):
            if _valid(output, "output"):
                fitted["outputs"].append(output)
            else:
                dropped.append(f"{where}.outputs[{number}]")
    return fitted
