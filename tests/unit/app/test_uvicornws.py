"""The frames pairbook's uvicorn protocol writes itself are the frames python-websockets
would have written."""

from __future__ import annotations

import pytest
from websockets.frames import Frame, Opcode

from pairbook.app.uvicornws import PreparedFrame, encode_binary_frame


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536, 70000])
def test_a_binary_frame_is_encoded_as_python_websockets_does(size: int) -> None:
    payload = bytes(range(256)) * (size // 256) + bytes(size % 256)
    expected = Frame(Opcode.BINARY, payload).serialize(mask=False, extensions=[])
    assert encode_binary_frame(payload) == expected


def test_the_same_payload_is_encoded_once_for_every_peer() -> None:
    prepared = PreparedFrame()
    payload = b"\x00\x02\x05hello"
    first = prepared.of(payload)
    assert prepared.of(payload) is first
    other = prepared.of(b"\x00\x02\x05howdy")
    assert other is not first
    assert other == encode_binary_frame(b"\x00\x02\x05howdy")


def test_a_large_payload_is_not_kept() -> None:
    prepared = PreparedFrame()
    small = b"x" * 10
    kept = prepared.of(small)
    large = b"y" * 100_000
    assert prepared.of(large) == encode_binary_frame(large)
    assert prepared.of(small) is kept  # the large one did not replace it
