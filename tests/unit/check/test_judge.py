"""A cell's verdict, and what a hidden-state dependency is blamed on."""

from __future__ import annotations

from typing import Any

from pairbook.check.compare import Tolerance
from pairbook.check.judge import judge
from pairbook.check.report import Verdict


def code(source: str, outputs: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "id": f"c{abs(hash(source)) % 1000}",
        "source": source,
        "metadata": extra.get("metadata", {}),
        "outputs": outputs or [],
        "execution_count": extra.get("execution_count", 1),
    }


def name_error(name: str) -> dict[str, Any]:
    return {
        "output_type": "error",
        "ename": "NameError",
        "evalue": f"name '{name}' is not defined",
        "traceback": [],
    }


def out(text: str) -> dict[str, Any]:
    return {"output_type": "stream", "name": "stdout", "text": text}


def verdict_of(cells: list[dict[str, Any]], index: int, fresh: dict[str, Any]) -> Any:
    return judge(index, cells[index], fresh, cells, Tolerance(), 0.1)


def test_a_name_no_cell_defines_is_a_hidden_state_dependency() -> None:
    cells = [code("x = 1"), code("print(total)", [out("3\n")])]
    found = verdict_of(cells, 1, code("print(total)", [name_error("total")]))
    assert found.verdict is Verdict.HIDDEN_STATE
    assert "no cell of the notebook defines" in found.detail


def test_a_name_only_a_later_cell_defines_is_out_of_order() -> None:
    cells = [code("print(total)", [out("3\n")]), code("total = 3")]
    found = verdict_of(cells, 0, code("print(total)", [name_error("total")]))
    assert found.verdict is Verdict.HIDDEN_STATE
    assert "only cell 2 below defines" in found.detail


def test_a_name_an_earlier_failing_cell_defines_is_a_failure_not_hidden_state() -> None:
    cells = [code("total = 1 / 0"), code("print(total)", [out("3\n")])]
    found = verdict_of(cells, 1, code("print(total)", [name_error("total")]))
    assert found.verdict is Verdict.FAILED
    assert "cell 1" in found.detail


def test_an_error_the_saved_notebook_also_had_is_expected() -> None:
    cells = [code("print(nope)", [name_error("nope")])]
    found = verdict_of(cells, 0, code("print(nope)", [name_error("nope")]))
    assert found.verdict is Verdict.PASSED


def test_a_missing_module_says_to_declare_it() -> None:
    error = {
        "output_type": "error",
        "ename": "ModuleNotFoundError",
        "evalue": "No module named 'pandas'",
        "traceback": [],
    }
    cells = [code("import pandas")]
    found = verdict_of(cells, 0, code("import pandas", [error]))
    assert found.verdict is Verdict.FAILED
    assert "declare it" in found.detail


def test_a_raises_exception_cell_may_raise() -> None:
    error = {"output_type": "error", "ename": "ZeroDivisionError", "evalue": "", "traceback": []}
    cells = [code("1/0", [error], metadata={"tags": ["raises-exception"]})]
    assert verdict_of(cells, 0, code("1/0", [error])).verdict is Verdict.PASSED


def test_a_cell_never_run_passes_when_it_runs_without_error() -> None:
    cells = [code("y = 2", execution_count=None)]
    assert verdict_of(cells, 0, code("y = 2", [out("anything\n")])).verdict is Verdict.PASSED


def test_changed_output_differs() -> None:
    cells = [code("print(1)", [out("1\n")])]
    found = verdict_of(cells, 0, code("print(1)", [out("2\n")]))
    assert found.verdict is Verdict.DIFFERS
    assert "saved '1', got '2'" in found.detail


def test_a_skip_execution_cell_is_skipped() -> None:
    cells = [code("slow()", metadata={"tags": ["skip-execution"]})]
    assert verdict_of(cells, 0, cells[0]).verdict is Verdict.SKIPPED
