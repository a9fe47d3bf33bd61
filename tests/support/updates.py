"""Updates pycrdt cannot apply (whole or in part), written byte by byte with lib0."""

from __future__ import annotations

from pairbook.protocol.lib0 import Encoder


def legacy_json_update(client: int = 7) -> bytes:
    """Legacy ContentJSON (ref 2), as tests/unit/protocol/make_fixtures.mjs writes it with
    lib0: stock yjs reads it, pycrdt cannot."""
    encoder = Encoder()
    for number in (1, 1, client, 0):  # one client section, one struct, client, clock
        encoder.write_var_uint(number)
    encoder.write_uint8(2)  # info: ContentJSON, no origins
    encoder.write_var_uint(1)  # parent: a root type named next
    encoder.write_var_string("legacy")
    encoder.write_var_uint(3)
    for value in ('{"a":1}', "undefined", '[1,"é"]'):
        encoder.write_var_string(value)
    encoder.write_var_uint(0)  # empty delete set
    return encoder.to_bytes()


def half_appliable_update(client: int = 4242) -> bytes:
    """Two structs of one client: "ab" into a root text, then an item whose parent is the
    character "a" (not a type). pycrdt reads both, integrates the first, then fails."""
    encoder = Encoder()
    for number in (1, 2, client, 0):
        encoder.write_var_uint(number)
    encoder.write_uint8(4)  # ContentString, no origins, parent follows
    encoder.write_var_uint(1)
    encoder.write_var_string("scratch")
    encoder.write_var_string("ab")
    encoder.write_uint8(4)
    encoder.write_var_uint(0)  # parent: an ID
    encoder.write_var_uint(client)
    encoder.write_var_uint(0)
    encoder.write_var_string("c")
    encoder.write_var_uint(0)
    return encoder.to_bytes()
