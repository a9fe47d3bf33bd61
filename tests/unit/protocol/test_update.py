"""Yjs v1 updates: what yjs's own reader finds, what pycrdt accepts, and every malformed shape."""

from __future__ import annotations

import contextlib
from typing import Any

import pycrdt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pairbook.errors import ProtocolError
from pairbook.protocol.jsvalue import MAX_SAFE_INTEGER
from pairbook.protocol.lib0 import Encoder, encode_var_uint
from pairbook.protocol.update import (
    EMPTY_UPDATE,
    Struct,
    StructKind,
    UpdateSummary,
    decode_state_vector,
    decode_update,
    encode_state_vector,
)

from .values import examples

# pycrdt (yrs) misreads two things stock yjs writes; the server should know before it applies them.
PYCRDT_GAPS = {
    "legacy ContentJSON": "yrs reads len + 1 strings of ContentJSON",
    "xml hook followed by an element": "yrs does not read an XmlHook's name",
}


def struct_facts(struct: Struct) -> dict[str, Any]:
    """A struct in the shape make_fixtures.mjs describes yjs's own reading."""
    return {
        "client": struct.client,
        "clock": struct.clock,
        "length": struct.length,
        "kind": struct.kind.value,
        "origin": list(struct.origin) if struct.origin else None,
        "right_origin": list(struct.right_origin) if struct.right_origin else None,
        "parent_root": struct.parent_root,
        "parent_id": list(struct.parent_id) if struct.parent_id else None,
        "parent_sub": struct.parent_sub,
        "content_ref": struct.content_ref,
    }


def update_with(body: bytes, *, client: int = 1, clock: int = 0, structs: int = 1) -> bytes:
    """A one-section update around hand-written struct bytes, with an empty delete set."""
    encoder = Encoder()
    for number in (1, structs, client, clock):
        encoder.write_var_uint(number)
    encoder.write_bytes(body)
    encoder.write_var_uint(0)
    return encoder.to_bytes()


def item(info: int, *parts: bytes | str | int) -> bytes:
    """An item with its parent as the root type "r", then content parts (str = varString)."""
    encoder = Encoder()
    encoder.write_uint8(info)
    encoder.write_var_uint(1)
    encoder.write_var_string("r")
    for part in parts:
        if isinstance(part, str):
            encoder.write_var_string(part)
        elif isinstance(part, int):
            encoder.write_var_uint(part)
        else:
            encoder.write_bytes(part)
    return encoder.to_bytes()


def test_updates_decode_to_the_structs_yjs_itself_reads(npm: dict[str, Any]) -> None:
    for case in npm["updates"]:
        summary = decode_update(bytes.fromhex(case["update"]))
        assert [struct_facts(s) for s in summary.structs] == case["structs"], case["name"]


def test_updates_decode_to_the_delete_set_yjs_itself_reads(npm: dict[str, Any]) -> None:
    for case in npm["updates"]:
        summary = decode_update(bytes.fromhex(case["update"]))
        expected = {int(c): tuple(map(tuple, r)) for c, r in case["delete_set"].items()}
        assert summary.delete_set == expected, case["name"]


def test_a_whole_document_update_ends_each_client_at_its_state_vector(npm: dict[str, Any]) -> None:
    for case in npm["updates"]:
        if "state_vector" not in case:
            continue
        ranges = decode_update(bytes.fromhex(case["update"])).ranges()
        expected = {int(client): (0, clock) for client, clock in case["state_vector"].items()}
        assert ranges == expected, case["name"]


def test_root_parents_name_the_documents_shared_types(npm: dict[str, Any]) -> None:
    for case in npm["updates"]:
        if "root_names" not in case:
            continue
        summary = decode_update(bytes.fromhex(case["update"]))
        roots = {s.parent_root for s in summary.structs if s.parent_root is not None}
        assert roots == set(case["root_names"]), case["name"]


def test_every_kind_of_struct_and_content_is_covered_by_the_npm_fixtures(
    npm: dict[str, Any],
) -> None:
    seen = {
        (s.kind, s.content_ref)
        for case in npm["updates"]
        for s in decode_update(bytes.fromhex(case["update"])).structs
    }
    assert {ref for kind, ref in seen if kind is StructKind.ITEM} == set(range(1, 10))
    assert (StructKind.GC, 0) in seen
    assert (StructKind.SKIP, 10) in seen


def test_text_lengths_count_utf16_code_units_like_javascript(npm: dict[str, Any]) -> None:
    (case,) = (c for c in npm["updates"] if c["name"].startswith("text typed with emoji"))
    summary = decode_update(bytes.fromhex(case["update"]))
    assert sum(s.length for s in summary.structs) == case["state_vector"]["11"]


def test_pycrdt_accepts_the_same_updates(npm: dict[str, Any]) -> None:
    for case in npm["updates"]:
        if case["name"] not in PYCRDT_GAPS:
            pycrdt.Doc().apply_update(bytes.fromhex(case["update"]))


@pytest.mark.parametrize("name", sorted(PYCRDT_GAPS))
def test_pycrdt_still_misreads_what_yjs_writes(npm: dict[str, Any], name: str) -> None:
    """When this fails, pycrdt was fixed: drop the entry from PYCRDT_GAPS."""
    (case,) = (c for c in npm["updates"] if c["name"] == name)
    decode_update(bytes.fromhex(case["update"]))  # we read it as yjs does
    with pytest.raises(ValueError, match="Cannot decode update"):
        pycrdt.Doc().apply_update(bytes.fromhex(case["update"]))


def test_every_truncation_of_a_real_update_is_a_protocol_error(npm: dict[str, Any]) -> None:
    for case in npm["updates"]:
        update = bytes.fromhex(case["update"])
        for cut in range(len(update)):
            with pytest.raises(ProtocolError):
                decode_update(update[:cut])


def test_the_empty_update_is_empty() -> None:
    summary = decode_update(EMPTY_UPDATE)
    assert summary == UpdateSummary((), {})
    assert summary.is_empty
    assert summary.ranges() == {}


def test_a_delete_only_update_is_not_empty() -> None:
    summary = decode_update(b"\x00\x01\x05\x01\x03\x02")
    assert summary.delete_set == {5: ((3, 2),)}
    assert not summary.is_empty


def test_a_delete_set_that_repeats_a_client_is_merged_as_yjs_does() -> None:
    summary = decode_update(b"\x00\x03\x05\x01\x03\x02\x06\x00\x05\x01\x09\x01")
    assert summary.delete_set == {5: ((3, 2), (9, 1))}


def test_items_with_a_parent_id_and_a_map_key_carry_both() -> None:
    body = b"\x21\x00\x07\x03\x03key" + b"\x08\x01\x7e"  # ContentAny [null] in map 7:3 at "key"
    (struct,) = decode_update(update_with(body)).structs
    assert (struct.parent_id, struct.parent_sub, struct.parent_root) == ((7, 3), "key", None)


def test_items_with_an_origin_leave_the_parent_to_be_copied() -> None:
    body = b"\xe4\x01\x02\x02\x05\x02hi"  # origin 1:2, right origin 2:5, ContentString "hi"
    (struct,) = decode_update(update_with(body, clock=3)).structs
    assert struct == Struct(1, 3, 2, StructKind.ITEM, (1, 2), (2, 5), None, None, None, 4)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"\x84\x01\x03\x01x", "item 1:3 names 1:3 as its origin at byte 5"),
        (b"\x44\x01\x09\x01x", "item 1:3 names 1:9 as its right origin at byte 5"),
        (b"\x08\x00\x01\x04\x01\x7e", "item 1:3 names 1:4 as its parent at byte 6"),
    ],
)
def test_items_referring_to_their_own_clients_later_structs_are_refused(
    body: bytes, message: str
) -> None:
    """yjs assumes such structs exist and crashes applying them; pycrdt would accept them."""
    with pytest.raises(ProtocolError, match=message):
        decode_update(update_with(body, clock=3))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"\x0b", "unknown struct info 0x0b at byte 4"),
        (b"\x1f", "unknown struct info 0x1f at byte 4"),
        (b"\x80\x01", "unknown struct info 0x80 at byte 4"),  # GC info has no flag bits
        (b"\x4a\x01", "unknown struct info 0x4a at byte 4"),  # nor has Skip
        (b"\x00\x00", "zero-length struct at byte 4"),
        (item(4, ""), "zero-length struct at byte 4"),
        (item(8, 0), "zero-length struct at byte 4"),
        (b"\x04\x02", "parentInfo 2 at byte 5: expected 0 or 1"),
        (item(7, 7), "unknown ContentType typeRef 7 at byte 8: expected 0 to 6"),
        (item(4, b"\x02\xc3\x28"), "varString at byte 9 is not valid UTF-8"),
        (item(5, "{oops"), "ContentEmbed at byte 8 is not valid JSON"),
        (item(6, "bold", "tru"), "ContentFormat value at byte 13 is not valid JSON"),
        (item(2, 2, "undefined", "NaN"), "ContentJSON value at byte 19 is not valid JSON"),
        (item(9, "guid", b"\x7e"), "ContentDoc options at byte 13 are not an object"),
        (item(8, 1, b"\x70"), "unknown readAny tag 112 at byte 9"),
    ],
)
def test_malformed_structs_raise_protocol_error_naming_the_offset(
    body: bytes, message: str
) -> None:
    with pytest.raises(ProtocolError, match=message):
        decode_update(update_with(body))


def test_two_sections_for_one_client_are_refused() -> None:
    update = b"\x02" + b"\x01\x01\x00\x00\x01" + b"\x01\x01\x01\x00\x01" + b"\x00"
    with pytest.raises(ProtocolError, match="two struct sections for client 1, at byte 7"):
        decode_update(update)


def test_clocks_beyond_javascripts_safe_integers_are_refused() -> None:
    update = update_with(b"\x00\x05", clock=MAX_SAFE_INTEGER - 2)
    with pytest.raises(ProtocolError, match="ends beyond clock 2\\*\\*53 - 1"):
        decode_update(update)
    deletes = b"\x00\x01\x01\x01" + encode_var_uint(MAX_SAFE_INTEGER) + b"\x01"
    with pytest.raises(ProtocolError, match="deleted range at byte 4 ends beyond clock"):
        decode_update(deletes)


def test_an_empty_deleted_range_is_refused() -> None:
    with pytest.raises(ProtocolError, match="deleted range at byte 4 has length 0"):
        decode_update(b"\x00\x01\x65\x01\x01\x00")


def test_trailing_bytes_after_the_delete_set_are_refused() -> None:
    with pytest.raises(ProtocolError, match="1 unexpected trailing bytes at byte 2 after"):
        decode_update(EMPTY_UPDATE + b"\x00")


@examples
@given(st.binary(max_size=64))
def test_random_bytes_only_ever_raise_protocol_error(update: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        decode_update(update)


@examples
@given(st.data())
def test_corrupted_real_updates_only_ever_raise_protocol_error(
    npm: dict[str, Any], data: st.DataObject
) -> None:
    case = data.draw(st.sampled_from(npm["updates"]))
    update = bytearray.fromhex(case["update"])
    if not update:
        return
    for _ in range(data.draw(st.integers(1, 3))):
        index = data.draw(st.integers(0, len(update) - 1))
        update[index] = data.draw(st.integers(0, 255))
    with contextlib.suppress(ProtocolError):
        decode_update(bytes(update))


def test_state_vectors_match_yjs_bytes(npm: dict[str, Any]) -> None:
    for case in npm["state_vectors"]:
        encoded = bytes.fromhex(case["encoded"])
        expected = {int(client): clock for client, clock in case["decoded"].items()}
        assert decode_state_vector(encoded) == expected, case["name"]
        assert encode_state_vector(expected) == encoded, case["name"]


def test_state_vectors_are_accepted_in_any_order() -> None:
    assert decode_state_vector(b"\x02\x01\x05\x02\x06") == {1: 5, 2: 6}


def test_a_state_vector_naming_a_client_twice_is_refused() -> None:
    with pytest.raises(ProtocolError, match="names client 1 twice, at byte 3"):
        decode_state_vector(b"\x02\x01\x05\x01\x06")


def test_a_truncated_state_vector_is_refused() -> None:
    with pytest.raises(ProtocolError, match="truncated varUint at byte 2"):
        decode_state_vector(b"\x01\x01")


@examples
@given(
    st.dictionaries(st.integers(0, MAX_SAFE_INTEGER), st.integers(0, MAX_SAFE_INTEGER), max_size=6)
)
def test_state_vectors_round_trip(state_vector: dict[int, int]) -> None:
    assert decode_state_vector(encode_state_vector(state_vector)) == state_vector


@examples
@given(st.binary(max_size=32))
def test_random_state_vectors_only_ever_raise_protocol_error(sv: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        decode_state_vector(sv)
