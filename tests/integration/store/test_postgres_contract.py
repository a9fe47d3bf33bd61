"""The store contract (tests/unit/store), run against PostgresStore on the real server."""

from __future__ import annotations

import pytest

from unit.store.test_batch_contract import *  # noqa: F403
from unit.store.test_fence_contract import *  # noqa: F403
from unit.store.test_recording_contract import *  # noqa: F403
from unit.store.test_store_contract import *  # noqa: F403

pytestmark = pytest.mark.integration
