"""Fixtures that start real pairbook server processes."""

from __future__ import annotations

import pytest

from support.fixtures import server, store_path, workdir

__all__ = ["server", "store_path", "workdir"]

pytestmark = pytest.mark.integration
