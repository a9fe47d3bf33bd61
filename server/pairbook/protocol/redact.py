"""People's emails out of Yjs updates, for everyone but the owner.

Before 6461f2c the `mob` map listed people with their emails (`{user id: {id, name, color,
email}}`), and a log keeps what it was sent: its records, the moments rebuilt from them and
the exports hold those emails for good. `without_emails` rewrites a v1 update so that no
person record in its JSON values (ContentAny) has an `email`; everything else is copied byte
for byte, and an update without one is returned as it is (one substring search).

Only the content of the values changes, never their number: every struct keeps its id and
length, so the rewritten update applies as the original did, with the emails left out.
"""

from __future__ import annotations

import logging

from pairbook.errors import ProtocolError
from pairbook.protocol.lib0 import Decoder, Encoder
from pairbook.protocol.update import EMPTY_UPDATE, read_content, read_delete_set

log = logging.getLogger("pairbook.protocol")

EMAIL_KEY = b"\x05email"
"""The key `email` as lib0 writes an object's key (its length, then its UTF-8)."""

PERSON_KEYS = frozenset({"id", "name", "color", "colour", "email"})
"""The keys of a person record as pairbook ever wrote one into the document."""

_GC, _SKIP, _ANY = 0, 10, 8
_HAS_ORIGIN, _HAS_RIGHT_ORIGIN, _HAS_PARENT_SUB = 0x80, 0x40, 0x20


def without_emails(update: bytes) -> bytes:
    """The update with every person record's `email` left out of its JSON values. An update
    that cannot be read (none the log holds: each was read as it came in) is withheld whole
    if it may hold an email: the empty update stands in for it."""
    if EMAIL_KEY not in update:
        return update
    try:
        spans = _value_spans(update)
    except (ProtocolError, ValueError) as exc:
        log.warning("an update that may hold emails is withheld: %s", exc)
        return EMPTY_UPDATE
    parts: list[bytes] = []
    at = 0
    for start, end in spans:
        if EMAIL_KEY not in update[start:end]:
            continue
        value = Decoder(update, start, end).read_any()
        cleaned = _cleaned(value)
        if cleaned is None:
            continue
        encoder = Encoder()
        encoder.write_any(cleaned)
        parts += [update[at:start], encoder.to_bytes()]
        at = end
    if not parts:
        return update
    parts.append(update[at:])
    return b"".join(parts)


def _is_person(value: object) -> bool:
    return (
        isinstance(value, dict)
        and "id" in value
        and "email" in value
        and value.keys() <= PERSON_KEYS
    )


def _cleaned(value: object) -> object | None:
    """The value without its person records' emails: a person record itself, or a map of
    them (the `mob` map's `people`); None when it holds no such email."""
    if not isinstance(value, dict):
        return None
    if _is_person(value):
        return {key: item for key, item in value.items() if key != "email"}
    if not any(_is_person(item) for item in value.values()):
        return None
    return {key: _cleaned(item) if _is_person(item) else item for key, item in value.items()}


def _value_spans(update: bytes) -> list[tuple[int, int]]:
    """Where each JSON value of the update's items starts and ends (the update is read
    through, delete set included)."""
    decoder = Decoder(update)
    spans: list[tuple[int, int]] = []
    for _ in range(decoder.read_var_uint()):
        structs = decoder.read_var_uint()
        decoder.read_var_uint()  # client
        decoder.read_var_uint()  # clock
        for _ in range(structs):
            info_pos = decoder.pos
            info = decoder.read_uint8()
            if info in (_GC, _SKIP):
                decoder.read_var_uint()
                continue
            if not 0 < info & 0x1F < _SKIP:
                raise ProtocolError(f"unknown struct info {info:#04x} at byte {info_pos}")
            _skip_item_header(decoder, info)
            if info & 0x1F != _ANY:
                read_content(decoder, info & 0x1F)
                continue
            for _ in range(decoder.read_var_uint()):
                start = decoder.pos
                decoder.read_any()
                spans.append((start, decoder.pos))
    read_delete_set(decoder)
    decoder.expect_done("the update's delete set")
    return spans


def _skip_item_header(decoder: Decoder, info: int) -> None:
    """Past an item's origins and parent, to its content."""
    for flag in (_HAS_ORIGIN, _HAS_RIGHT_ORIGIN):
        if info & flag:
            decoder.read_var_uint()
            decoder.read_var_uint()
    if info & (_HAS_ORIGIN | _HAS_RIGHT_ORIGIN):
        return
    if decoder.read_var_uint() == 1:
        decoder.read_var_string()  # a root type's name
    else:
        decoder.read_var_uint()  # the parent item's id
        decoder.read_var_uint()
    if info & _HAS_PARENT_SUB:
        decoder.read_var_string()
