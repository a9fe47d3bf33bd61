"""Entries as the fields of a Redis stream entry, and back (pure, no I/O).

```
document update:  o=<origin> k=u s=<log seq> f=<sync update frame> w=<user id> c=<ids,…>
awareness:        o=<origin> k=a p=<awareness update>
signal:           o=<origin> k=m p=<JSON object>
```
An update entry with an empty frame is a marker: the update is in the log (its entry was
given up on while the broker was unreachable), read it from the store.
"""

from __future__ import annotations

from collections.abc import Mapping

from pairbook.broker.port import DocEntry, Entry, PresenceEntry, SignalEntry
from pairbook.errors import BrokerError

Fields = dict[bytes, bytes]


def encode_entry(entry: Entry, origin: str) -> Fields:
    """The stream fields of an entry published by `origin`."""
    if isinstance(entry, PresenceEntry):
        return {b"o": origin.encode(), b"k": b"a", b"p": entry.payload}
    if isinstance(entry, SignalEntry):
        return {b"o": origin.encode(), b"k": b"m", b"p": entry.payload}
    return {
        b"o": origin.encode(),
        b"k": b"u",
        b"s": str(entry.seq).encode(),
        b"f": entry.frame,
        b"w": entry.user_id.encode(),
        b"c": ",".join(str(client) for client in entry.client_ids).encode(),
    }


def decode_entry(fields: Mapping[bytes, bytes]) -> tuple[str, Entry]:
    """(origin, entry) from stream fields; BrokerError for fields pairbook did not write."""
    try:
        origin = fields[b"o"].decode()
        if not origin:  # every process names itself: an empty origin passes for no one's
            raise BrokerError("a broker entry that names no origin")
        kind = fields[b"k"]
        if kind == b"a":
            return origin, PresenceEntry(bytes(fields[b"p"]))
        if kind == b"m":
            return origin, SignalEntry(bytes(fields[b"p"]), origin)
        if kind == b"u":
            clients = fields[b"c"].decode()
            return origin, DocEntry(
                int(fields[b"s"]),
                bytes(fields[b"f"]),
                fields[b"w"].decode(),
                tuple(int(client) for client in clients.split(",")) if clients else (),
            )
    except (KeyError, ValueError, UnicodeDecodeError) as exc:
        raise BrokerError(f"a broker entry pairbook did not write ({exc!r})") from None
    raise BrokerError(f"a broker entry of unknown kind {kind!r}")
