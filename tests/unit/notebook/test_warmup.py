"""Warming the notebook machinery up touches no file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pairbook.notebook.warmup import warm_up


def test_warming_up_reads_and_writes_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    warm_up()
    warm_up()  # and again: nothing it made is left half-done
    assert os.listdir(tmp_path) == []
