"""What a check found: one verdict per code cell, one report per notebook, as text, as JSON
(for the room) and as JUnit XML (for CI)."""

from __future__ import annotations

import enum
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class Verdict(enum.StrEnum):
    PASSED = "passed"  # ran, and its outputs match the saved ones
    FAILED = "failed"  # raised in the fresh run (and not in the saved one)
    DIFFERS = "differs"  # ran, but its outputs are not the saved ones
    HIDDEN_STATE = "hidden-state"  # needs a name only a deleted or later cell defines
    TIMED_OUT = "timed-out"  # ran past its time
    NOT_RUN = "not-run"  # the run stopped before it (kernel died, overall time)
    SKIPPED = "skipped"  # tagged skip-execution


BAD = frozenset(
    {Verdict.FAILED, Verdict.DIFFERS, Verdict.HIDDEN_STATE, Verdict.TIMED_OUT, Verdict.NOT_RUN}
)


@dataclass(frozen=True, slots=True)
class CellResult:
    """One code cell's verdict; `detail` says why, in a line a person reads."""

    index: int  # among all cells, from 0
    cell_id: str
    verdict: Verdict
    detail: str = ""
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "cell_id": self.cell_id,
            "verdict": str(self.verdict),
            "detail": self.detail,
            "seconds": round(self.seconds, 3),
        }


@dataclass(slots=True)
class NotebookReport:
    """A notebook's check: its cells' verdicts, where its requirements came from, and a
    problem that stopped it before any cell ran (`error`)."""

    notebook: str
    cells: list[CellResult] = field(default_factory=list)
    requirements_source: str = ""
    environment: str = ""
    error: str = ""
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.error and not any(c.verdict in BAD for c in self.cells)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for cell in self.cells:
            counts[str(cell.verdict)] = counts.get(str(cell.verdict), 0) + 1
        return counts

    def summary(self) -> str:
        if self.error:
            return f"{self.notebook}: ERROR {self.error}"
        counts = ", ".join(f"{n} {v}" for v, n in sorted(self.counts().items()))
        word = "passed" if self.passed else "FAILED"
        return f"{self.notebook}: {word} ({counts or 'no code cells'}) in {self.seconds:.1f} s"

    def lines(self) -> list[str]:
        """The summary and a line for each cell that did not pass."""
        out = [self.summary()]
        for cell in self.cells:
            if cell.verdict in BAD:
                out.append(
                    f"  cell {cell.index + 1} [{cell.cell_id}] {cell.verdict}: {cell.detail}"
                )
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "notebook": self.notebook,
            "passed": self.passed,
            "error": self.error,
            "requirements_source": self.requirements_source,
            "environment": self.environment,
            "seconds": round(self.seconds, 3),
            "counts": self.counts(),
            "cells": [c.to_json() for c in self.cells],
        }


def junit_xml(reports: Iterable[NotebookReport]) -> bytes:
    """JUnit XML: a test suite per notebook, a test case per code cell."""
    suites = ET.Element("testsuites", name="pairbook check")
    for report in reports:
        bad = [c for c in report.cells if c.verdict in BAD]
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=report.notebook,
            tests=str(len(report.cells) or 1),
            failures=str(sum(c.verdict is not Verdict.FAILED for c in bad)),
            errors=str(sum(c.verdict is Verdict.FAILED for c in bad) + bool(report.error)),
            skipped=str(sum(c.verdict is Verdict.SKIPPED for c in report.cells)),
            time=f"{report.seconds:.3f}",
        )
        if report.error or not report.cells:
            case = ET.SubElement(suite, "testcase", classname=report.notebook, name="notebook")
            if report.error:
                ET.SubElement(case, "error", message=report.error).text = report.error
        for cell in report.cells:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=report.notebook,
                name=f"cell {cell.index + 1} [{cell.cell_id}]",
                time=f"{cell.seconds:.3f}",
            )
            if cell.verdict is Verdict.SKIPPED:
                ET.SubElement(case, "skipped", message=cell.detail)
            elif cell.verdict is Verdict.FAILED:
                ET.SubElement(
                    case, "error", message=cell.detail, type=str(cell.verdict)
                ).text = cell.detail
            elif cell.verdict in BAD:
                ET.SubElement(
                    case, "failure", message=cell.detail, type=str(cell.verdict)
                ).text = cell.detail
    ET.indent(suites)
    text: bytes = ET.tostring(suites, encoding="utf-8", xml_declaration=True)
    return text + b"\n"


def write_junit(path: Path, reports: Iterable[NotebookReport]) -> None:
    path.write_bytes(junit_xml(reports))
