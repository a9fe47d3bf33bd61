"""Fixtures for the protocol tests: the npm-made byte strings, made once per session."""

from __future__ import annotations

from typing import Any

import pytest

from .npm import run_make_fixtures


@pytest.fixture(scope="session")
def npm() -> dict[str, Any]:
    """What make_fixtures.mjs printed: npm-encoded bytes and the facts they hold."""
    return run_make_fixtures()
