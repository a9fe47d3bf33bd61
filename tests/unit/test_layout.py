"""Size limits of issue #13: no module in server/ over 400 lines, no function over 60."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "server" / "pairbook"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def name_of(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef)
    return [node for node in ast.walk(tree) if isinstance(node, kinds)]


def test_the_package_is_found() -> None:
    assert (PACKAGE / "__init__.py").is_file()
    assert len(modules()) > 100


@pytest.mark.parametrize("path", modules(), ids=name_of)
def test_module_and_its_functions_are_short(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    name = name_of(path)
    lines = len(source.splitlines())
    assert lines <= MAX_MODULE_LINES, f"{name} has {lines} lines: split it along a seam"
    for function in functions(ast.parse(source)):
        assert function.end_lineno is not None
        length = function.end_lineno - function.lineno + 1
        where = f"{name}:{function.name}"
        assert length <= MAX_FUNCTION_LINES, f"{where} has {length} lines: split it"
