from __future__ import annotations

import copy
from typing import Any

import nbformat

from pairbook.notebook.ipynb import new_notebook
from pairbook.notebook.schemafit import fit_to_schema

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
