"""Replay checkpoints as stored: the update, the blame and the structs that wait in the
document come back as they were packed, in every form a store may hold."""

from __future__ import annotations

import pytest

from pairbook.record.checkpoints import (
    pack_checkpoint,
    unpack_blame,
    unpack_checkpoint,
    unpack_waiting,
)

UPDATE = bytes(range(256)) * 3  # a length over one varint byte
WAITING = b"\x01\x01\x07\x03\x09"


@pytest.mark.parametrize("blame", [None, b"x\x9cblame"])
@pytest.mark.parametrize("waiting", [None, WAITING])
def test_a_checkpoint_unpacks_to_what_was_packed(
    blame: bytes | None, waiting: bytes | None
) -> None:
    stored = pack_checkpoint(UPDATE, blame, waiting)
    assert unpack_checkpoint(stored) == UPDATE
    assert unpack_waiting(stored) == waiting
    assert unpack_blame(stored) == (None if blame is None else (UPDATE, blame))
