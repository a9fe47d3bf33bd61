"""The JUnit XML a CI reads: a suite per notebook, a case per code cell."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from pairbook.check.report import CellResult, NotebookReport, Verdict, junit_xml


def test_failures_and_errors_are_counted_per_notebook() -> None:
    report = NotebookReport("a.ipynb", seconds=1.5)
    report.cells = [
        CellResult(0, "one", Verdict.PASSED),
        CellResult(1, "two", Verdict.FAILED, "ZeroDivisionError: division by zero"),
        CellResult(2, "three", Verdict.HIDDEN_STATE, "uses 'x'"),
        CellResult(3, "four", Verdict.SKIPPED, "tagged skip-execution"),
    ]
    assert not report.passed
    suite = ET.fromstring(junit_xml([report])).find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("4", "1", "1")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases][:2] == ["cell 1 [one]", "cell 2 [two]"]
    error = cases[1].find("error")
    assert error is not None
    assert error.get("message") == "ZeroDivisionError: division by zero"
    failure = cases[2].find("failure")
    assert failure is not None
    assert failure.get("type") == "hidden-state"
    assert cases[3].find("skipped") is not None


def test_a_notebook_that_could_not_run_is_one_error() -> None:
    report = NotebookReport("b.ipynb", error="uv could not build the environment")
    suite = ET.fromstring(junit_xml([report])).find("testsuite")
    assert suite is not None
    assert suite.get("errors") == "1"
    assert "b.ipynb: ERROR" in report.summary()


def test_a_passing_report_says_so() -> None:
    report = NotebookReport("c.ipynb", [CellResult(0, "a", Verdict.PASSED)])
    assert report.passed
    assert report.lines() == ["c.ipynb: passed (1 passed) in 0.0 s"]
