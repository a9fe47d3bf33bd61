"""Awareness updates of y-protocols: who is here, with which cursor, name and color."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pairbook.errors import ProtocolError
from pairbook.protocol.jsvalue import json_parse, json_stringify, json_type_name
from pairbook.protocol.lib0 import Decoder, Encoder


@dataclass(frozen=True, slots=True)
class AwarenessEntry:
    """One client's awareness state at a clock; a None state means the client left."""

    client_id: int
    clock: int
    state: dict[str, object] | None


def read_awareness_entries(decoder: Decoder) -> tuple[AwarenessEntry, ...]:
    """Read a varUint count of (clientID, clock, JSON state) entries from `decoder`."""
    count = decoder.read_var_uint()
    entries: list[AwarenessEntry] = []
    for _ in range(count):
        client_id = decoder.read_var_uint()
        clock = decoder.read_var_uint()
        state_pos = decoder.pos
        text = decoder.read_var_string()
        if text == "null":
            entries.append(AwarenessEntry(client_id, clock, None))
            continue
        state = json_parse(text, f"awareness state of client {client_id} at byte {state_pos}")
        if state is not None and not isinstance(state, dict):
            raise ProtocolError(
                f"awareness state of client {client_id} at byte {state_pos} is a JSON "
                f"{json_type_name(state)}; expected an object or null"
            )
        entries.append(AwarenessEntry(client_id, clock, state))
    return tuple(entries)


def decode_awareness_update(payload: bytes) -> tuple[AwarenessEntry, ...]:
    """Decode an awareness update; garbage is a ProtocolError since stock clients crash on it."""
    decoder = Decoder(payload)
    entries = read_awareness_entries(decoder)
    decoder.expect_done("the awareness update")
    return entries


def encode_awareness_update(entries: Iterable[AwarenessEntry]) -> bytes:
    """Encode entries as y-protocols `encodeAwarenessUpdate` does (states as `JSON.stringify`)."""
    entries = tuple(entries)
    encoder = Encoder()
    encoder.write_var_uint(len(entries))
    for entry in entries:
        encoder.write_var_uint(entry.client_id)
        encoder.write_var_uint(entry.clock)
        encoder.write_var_string(json_stringify(entry.state))
    return encoder.to_bytes()


_MAX_CLOCK = 2**53 - 1


def _is_id(value: object) -> bool:
    """A Yjs ID as JSON: `{"client": n, "clock": n}`, both safe non-negative integers."""
    if not isinstance(value, dict) or set(value) != {"client", "clock"}:
        return False
    return all(
        type(value[key]) is int and 0 <= value[key] <= _MAX_CLOCK for key in ("client", "clock")
    )


def _is_relative_position(value: object) -> bool:
    """A Yjs RelativePosition as `relativePositionToJSON` writes it."""
    if not isinstance(value, dict) or not set(value) <= {"type", "tname", "item", "assoc"}:
        return False
    return (
        all(value.get(key) is None or _is_id(value[key]) for key in ("type", "item"))
        and (value.get("tname") is None or isinstance(value["tname"], str))
        and (value.get("assoc") is None or type(value["assoc"]) is int)
    )


def is_cursor(value: object) -> bool:
    """Whether an awareness state's `cursor` is absent or what y-codemirror writes there:
    `{"anchor": pos, "head": pos}` of relative positions (its remote-cursor plugin reads
    them into the document, and fails on anything else)."""
    if value is None:
        return True
    return (
        isinstance(value, dict)
        and set(value) == {"anchor", "head"}
        and all(_is_relative_position(value[key]) for key in ("anchor", "head"))
    )
