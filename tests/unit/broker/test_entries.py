"""Broker entries as Redis stream fields and back (pairbook.broker.entries)."""

from __future__ import annotations

import pytest

from pairbook.broker import DocEntry, PresenceEntry, SignalEntry
from pairbook.broker.entries import decode_entry, encode_entry
from pairbook.errors import BrokerError


@pytest.mark.parametrize(
    "entry",
    [DocEntry(3, b"\x00\x02\x02\x00\x00", "ana", (7, 8)), PresenceEntry(b"p"), SignalEntry(b"{}")],
)
def test_an_entry_comes_back_as_its_origin_published_it(
    entry: DocEntry | PresenceEntry | SignalEntry,
) -> None:
    origin, back = decode_entry(encode_entry(entry, "host:1:ab"))
    assert origin == "host:1:ab"
    expected = SignalEntry(entry.payload, "host:1:ab") if isinstance(entry, SignalEntry) else entry
    assert back == expected


@pytest.mark.parametrize("entry", [PresenceEntry(b"p"), SignalEntry(b"{}")])
def test_an_entry_naming_no_origin_is_refused(entry: PresenceEntry | SignalEntry) -> None:
    # Written by someone else on the stream: an empty origin would pass every "not mine"
    # check and, for a signal, the rule that a process announces only its own members.
    with pytest.raises(BrokerError, match="no origin"):
        decode_entry(encode_entry(entry, ""))
