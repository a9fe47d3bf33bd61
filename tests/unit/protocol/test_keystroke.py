"""The keystroke readers (`protocol.keystroke`, `decode_message`'s update frames) answer what
the general readers answer, for typing updates and for every mutation of one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pycrdt
from hypothesis import assume, given
from hypothesis import strategies as st

from pairbook.errors import PairbookError
from pairbook.protocol.keystroke import read_keystroke
from pairbook.protocol.lib0 import encode_var_uint
from pairbook.protocol.messages import (
    SyncUpdate,
    decode_message,
    encode_sync_update,
    read_message,
)
from pairbook.protocol.update import StructKind, decode_update, read_update

clients = st.integers(0, 2**32 - 1) | st.integers(2**32, 2**53 - 1)  # yjs, pycrdt
texts = st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=4)  # emoji too


def typed(left: int, right: int, before: str, text: str, at: int) -> bytes:
    """What yjs's sibling yrs sends when `right` types `text` at `at` into a text `left` wrote."""
    one: pycrdt.Doc[Any] = pycrdt.Doc(client_id=left)
    one["source"] = source = pycrdt.Text()
    source += before
    two: pycrdt.Doc[Any] = pycrdt.Doc(client_id=right)
    two.apply_update(one.get_update())
    state = two.get_state()
    typed_into = two.get("source", type=pycrdt.Text)
    typed_into.insert(min(at, len(typed_into)), text)
    return two.get_update(state)


def outcome(read: Callable[[bytes], Any], data: bytes) -> Any:
    try:
        return read(data)
    except PairbookError as error:
        return type(error), str(error)


def mutations(data: bytes) -> list[bytes]:
    """Every byte of `data` changed three ways, every prefix, and a byte more at the end."""
    found = [data[:cut] for cut in range(len(data))] + [data + b"\x00", data + b"\x01"]
    for at in range(len(data)):
        for byte in (0x00, 0x7F, 0x80, 0xFF, data[at] ^ 0x40):
            found.append(data[:at] + bytes((byte,)) + data[at + 1 :])
    return found


@given(clients, clients, st.text(max_size=3), texts, st.integers(0, 3))
def test_a_typing_update_is_read_fast_to_the_general_summary(
    left: int, right: int, before: str, text: str, at: int
) -> None:
    assume(left != right)  # two documents of one client: not a history
    update = typed(left, right, before, text, at)
    if before:  # an origin to type after (or before): the keystroke's shape
        assert read_keystroke(update) is not None
    summary = decode_update(update)
    assert summary == read_update(update)
    assert [s.kind for s in summary.structs] == [StructKind.ITEM]


@given(clients, clients, st.text(min_size=1, max_size=3), texts, st.integers(0, 3))
def test_every_mutation_of_a_keystroke_reads_as_the_general_reader_reads_it(
    left: int, right: int, before: str, text: str, at: int
) -> None:
    update = typed(left, right, before, text, at)
    for changed in mutations(update):
        fast = outcome(lambda b: decode_update(b, max_structs=10, max_nesting=64), changed)
        slow = outcome(lambda b: read_update(b, max_structs=10, max_nesting=64), changed)
        assert fast == slow, changed.hex()


def test_a_keystroke_over_the_struct_budget_is_refused_as_before() -> None:
    update = typed(1, 2, "ab", "c", 2)
    assert outcome(lambda b: decode_update(b, max_structs=0), update) == outcome(
        lambda b: read_update(b, max_structs=0), update
    )


@given(st.binary(max_size=300))
def test_an_update_frame_is_read_fast_to_the_general_message(update: bytes) -> None:
    frame = encode_sync_update(update)
    assert decode_message(frame) == read_message(frame) == SyncUpdate(update)


def test_an_update_frame_around_the_lengths_of_two_varuint_bytes() -> None:
    for size in (126, 127, 128, 129, 16_382, 16_383, 16_384, 16_385, 70_000):
        frame = encode_sync_update(bytes(size))
        assert decode_message(frame) == read_message(frame) == SyncUpdate(bytes(size))


def test_every_mutation_of_an_update_frame_reads_as_the_general_reader_reads_it() -> None:
    for update in (b"", typed(7, 8, "x", "y", 1), bytes(200)):
        for frame in mutations(encode_sync_update(update)):
            assert outcome(decode_message, frame) == outcome(read_message, frame), frame.hex()
    long_length = b"\x00\x02" + encode_var_uint(3) + b"\x80\x00\x01"  # not the canonical one
    padded = b"\x00\x02\x83\x00abc"  # a length written in two bytes where one would do
    for frame in (long_length, padded):
        assert outcome(decode_message, frame) == outcome(read_message, frame)
