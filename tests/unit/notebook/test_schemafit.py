from __future__ import annotations

import copy
import warnings
from pathlib import Path
from typing import Any

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings

from pairbook.notebook import schemafit
from pairbook.notebook.ipynb import new_notebook, read_notebook
from pairbook.notebook.schemafit import fit_to_schema, valid_by_parts, warm_up_validators

from .corpus import CORPUS, corpus_path
from .test_update_writer import hostile_notebooks, schema_notebooks

STREAM = {"output_type": "stream", "name": "stdout", "text": "1\n"}


def spoiled() -> dict[str, Any]:
    nb = new_notebook()
    cell = nb["cells"][0]
    cell["metadata"] = {"collapsed": "yes", "tags": ["kept"]}
    cell["outputs"] = [{"output_type": "bogus"}, STREAM, {"output_type": "stream", "text": 5}]
    nb["cells"].append(
        {
            "id": "md",
            "cell_type": "markdown",
            "source": "![a](attachment:a.png)",
            "metadata": {},
            "attachments": {"a.png": {"image/png": "iVBORw0KGgo="}, "b.png": 5},
        }
    )
    nb["metadata"]["kernelspec"] = 5
    return nb


def test_a_valid_notebook_is_left_as_it_is() -> None:
    nb = new_notebook()
    assert fit_to_schema(nb) == (nb, [])


def test_each_refused_part_is_left_out_and_named() -> None:
    nb = spoiled()
    before = copy.deepcopy(nb)

    fitted, dropped = fit_to_schema(nb)

    nbformat.validate(fitted)
    assert nb == before  # the copy is fitted, not the notebook given
    assert dropped == [
        "metadata.kernelspec",
        "cells[0].metadata.collapsed",
        "cells[0].outputs[0]",
        "cells[0].outputs[2]",
        "cells[1].attachments.b.png",
    ]
    code, markdown = fitted["cells"]
    assert code["metadata"] == {"tags": ["kept"]}
    assert code["outputs"] == [STREAM]
    assert markdown["attachments"] == {"a.png": {"image/png": "iVBORw0KGgo="}}
    assert fitted["metadata"] == {"language_info": {"name": "python"}}


def test_a_refused_execution_count_is_written_as_none_keeping_the_rest_of_the_cell() -> None:
    # Any editor can set a code cell's execution_count to -1: nothing was saved from then on.
    nb = new_notebook()
    cell = nb["cells"][0]
    cell["metadata"] = {"tags": ["kept"]}
    cell["outputs"] = [STREAM]
    cell["execution_count"] = -1

    fitted, dropped = fit_to_schema(nb)

    nbformat.validate(fitted)
    assert dropped == ["cells[0].execution_count"]
    (code,) = fitted["cells"]
    assert code["execution_count"] is None
    assert code["metadata"] == {"tags": ["kept"]}
    assert code["outputs"] == [STREAM]


def nbformat_verdict(nb: dict[str, Any]) -> bool | None:
    """Whether nbformat validates a copy of `nb` (None: it fails some other way)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the ids it repairs
            nbformat.validate(copy.deepcopy(nb))
    except nbformat.ValidationError:
        return False
    except (AttributeError, KeyError, TypeError):
        return None
    return True


@given(hostile_notebooks() | schema_notebooks())
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_valid_by_parts_says_valid_only_where_nbformat_does(nb: dict[str, Any]) -> None:
    nb = {**nb, "nbformat": 4, "nbformat_minor": 5} if nb.get("nbformat_minor") == 5 else nb
    cells: list[Any] = nb["cells"] if isinstance(nb.get("cells"), list) else []
    for number, cell in enumerate(cells):  # unique ids nbformat takes, in most
        if isinstance(cell, dict) and number % 3:
            cell["id"] = f"cell-{number}"
    if valid_by_parts(nb):
        assert nbformat_verdict(nb) is True
    elif all(isinstance(c, dict) and isinstance(c.get("id"), str) for c in cells) and (
        len({c["id"] for c in cells}) == len(cells) and nb.get("nbformat_minor") == 5
    ):
        assert nbformat_verdict(nb) is not True  # eligible and refused: refused by nbformat


@pytest.mark.parametrize("name", CORPUS)
def test_valid_by_parts_takes_the_corpus(name: str, tmp_path: Path) -> None:
    nb = read_notebook(corpus_path(tmp_path, name)).nb
    assert valid_by_parts(nb)


@pytest.mark.parametrize(
    "spoil",
    [
        lambda nb: nb["metadata"].update(kernelspec=5),
        lambda nb: nb["cells"][0].update(cell_type="other"),
        lambda nb: nb["cells"][0].update(execution_count=-1),
        lambda nb: nb["cells"][0]["metadata"].update(collapsed="yes"),
        lambda nb: nb["cells"][0]["outputs"].append({"output_type": "bogus"}),
        lambda nb: nb["cells"][0]["outputs"].append({"output_type": "stream", "text": 5}),
        lambda nb: nb["cells"][0]["outputs"].append(STREAM | {"extra": 1}),
        lambda nb: nb["cells"][0]["outputs"].append("stream"),
        lambda nb: nb["cells"][0].update(outputs={"output_type": "stream"}),
        lambda nb: nb["cells"].append(5),
        lambda nb: nb["cells"][0].update(id="not an id!"),
    ],
)
def test_valid_by_parts_refuses_what_nbformat_refuses(spoil: Any) -> None:
    nb = new_notebook()
    nb["cells"][0]["outputs"] = [STREAM]
    assert valid_by_parts(nb)
    spoil(nb)
    assert not valid_by_parts(nb)
    assert nbformat_verdict(nb) is not True


def test_a_missing_or_repeated_id_or_another_version_is_left_to_nbformat() -> None:
    nb = new_notebook()
    nb["cells"].append(copy.deepcopy(nb["cells"][0]))  # nbformat repairs the repeated id
    assert not valid_by_parts(nb)
    del nb["cells"][1]["id"]
    assert not valid_by_parts(nb)
    older = {**new_notebook(), "nbformat_minor": 4}
    assert not valid_by_parts(older)


def test_the_parts_are_checked_by_nbformats_own_compiled_validator() -> None:
    # Compiling a validator for each definition again doubled the server's warm-up.
    schemafit._part.cache_clear()
    schemafit._validator.cache_clear()
    warm_up_validators()
    assert valid_by_parts(new_notebook())
    assert schemafit._validator.cache_info().currsize == 0
