"""Where a notebook's requirements are declared, first found wins; bad declarations refused."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from pairbook.envs import EnvironmentCache, Requirements, find_requirements
from pairbook.envs.cache import SERVER_INSTALL
from pairbook.envs.requirements import names_elsewhere
from pairbook.errors import EnvError


def notebook(first_cell: str = "x = 1", **metadata: Any) -> dict[str, Any]:
    return {
        "metadata": metadata,
        "cells": [
            {"cell_type": "markdown", "source": "# t"},
            {"cell_type": "code", "source": first_cell},
        ],
    }


PEP723 = '# /// script\n# requires-python = ">=3.11"\n# dependencies = ["rich==13.9.4"]\n# ///\n'


def test_the_notebooks_metadata_comes_first(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("pandas\n")
    nb = notebook(PEP723, pairbook={"environment": {"requirements": ["numpy==2.1.3"]}})
    found = find_requirements(tmp_path / "a.ipynb", nb)
    assert found == Requirements(("numpy==2.1.3",), "metadata.pairbook.environment")


def test_a_pep_723_block_in_the_first_code_cell(tmp_path: Path) -> None:
    found = find_requirements(tmp_path / "a.ipynb", notebook(PEP723))
    assert found.lines == ("rich==13.9.4",)
    assert found.requires_python == ">=3.11"
    assert "first code cell" in found.source


def test_a_pep_723_block_in_the_twin_py(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(PEP723 + "# %%\nx = 1\n")
    found = find_requirements(tmp_path / "a.ipynb", notebook())
    assert found.lines == ("rich==13.9.4",)
    assert found.source == "the PEP 723 block of a.py"


def test_the_notebooks_own_requirements_file_before_the_folders(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("pandas\n")
    (tmp_path / "a-requirements.txt").write_text("# from pairbook\nnumpy==2.1.3  # pinned\n\n")
    found = find_requirements(tmp_path / "a.ipynb", notebook())
    assert found.lines == ("numpy==2.1.3",)
    assert find_requirements(tmp_path / "b.ipynb", notebook()).lines == ("pandas",)


def test_pyproject_dependencies(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = ["attrs"]\n')
    assert find_requirements(tmp_path / "a.ipynb", notebook()).lines == ("attrs",)


def test_nothing_declared(tmp_path: Path) -> None:
    found = find_requirements(tmp_path / "a.ipynb", notebook())
    assert not found.declared
    assert found.lines == ()


@pytest.mark.parametrize(
    "environment",
    [
        "numpy",
        {"requirements": "numpy"},
        {"requirements": [1]},
        {"requirements": ["--index-url=http://evil.example/simple"]},
        {"requirements": ["-e ."]},
        {"requirements": ["numpy\n--extra-index-url x"]},
    ],
)
def test_a_bad_declaration_is_refused_with_what_to_write(tmp_path: Path, environment: Any) -> None:
    with pytest.raises(EnvError, match=r"metadata\.pairbook\.environment"):
        find_requirements(tmp_path / "a.ipynb", notebook(pairbook={"environment": environment}))


def test_a_requirements_file_with_options_is_refused(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("-r other.txt\n")
    with pytest.raises(EnvError, match="not a plain requirement"):
        find_requirements(tmp_path / "a.ipynb", notebook())


def test_bad_toml_in_a_pep_723_block_is_refused(tmp_path: Path) -> None:
    bad = "# /// script\n# dependencies = [\n# ///\n"
    with pytest.raises(EnvError, match="not valid TOML"):
        find_requirements(tmp_path / "a.ipynb", notebook(bad))


def test_the_cache_key_ignores_order_and_follows_the_requirements(tmp_path: Path) -> None:
    cache = EnvironmentCache(tmp_path)
    one = cache.key(Requirements(("a", "b")))
    assert one == cache.key(Requirements(("b", "a"), "elsewhere"))
    assert one != cache.key(Requirements(("a",)))
    assert cache.cached(Requirements(("a", "b"))) is None


async def test_a_requires_python_this_interpreter_does_not_meet_is_refused(tmp_path: Path) -> None:
    cache = EnvironmentCache(tmp_path)
    wanted = Requirements(("attrs",), "the PEP 723 block of a.py", requires_python="<3.0")
    with pytest.raises(EnvError, match=r"requires Python <3\.0"):
        await cache.ensure(wanted, lambda line: None)
    assert list(tmp_path.iterdir()) == []  # nothing was built


async def test_a_malformed_requires_python_is_refused(tmp_path: Path) -> None:
    cache = EnvironmentCache(tmp_path)
    with pytest.raises(EnvError, match="requires-python"):
        await cache.ensure(Requirements((), "x", requires_python="three"), lambda line: None)


ELSEWHERE = [
    "probe @ https://10.0.0.1/probe-1.0-py3-none-any.whl",
    "https://169.254.169.254/latest/meta-data/probe.whl",
    "git+https://example.org/probe.git",
    "./wheels/probe-1.0-py3-none-any.whl",
    "/etc/probe",
    "probe @ file:///etc/passwd ; python_version >= '3'",
]
BY_NAME = ["numpy", "numpy==2.1.3", "pandas[excel]>=2,<3", 'rich ; python_version >= "3.11"']


def test_a_server_refuses_requirements_naming_a_url_or_a_path_before_running_uv(
    tmp_path: Path,
) -> None:
    """Any editor writes the requirements a server's room builds: `name @ url` would have
    the server fetch from any address it reaches (its own network), a path read its files."""
    assert not any(names_elsewhere(line) for line in BY_NAME)
    server = EnvironmentCache(tmp_path / "envs", options=SERVER_INSTALL)
    for line in ELSEWHERE:
        assert names_elsewhere(line)
        with pytest.raises(EnvError, match="by name from the package index only"):
            asyncio.run(server.ensure(Requirements((line,), "metadata"), lambda said: None))
    assert not (tmp_path / "envs").exists() or not any((tmp_path / "envs").iterdir())
