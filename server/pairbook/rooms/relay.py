"""`relay`: one frame to many peers, each as `Peer.send` would take it.

A relay to N peers is N runs of this loop's body: `Peer.send`'s common case (nothing waits,
the channel takes the frame now) is written out here, reading the peer's own fields, rather
than a method call per peer (bench/fanout/sendcost.py: the calls on the way to the socket's
write were a third of a send's CPU at N=50). Anything else goes to the peer's queue as
`Peer.send` sends it.
"""

from __future__ import annotations

from collections.abc import Iterable

from pairbook.rooms.peer import Peer, PeerState


def relay(peers: Iterable[Peer], frame: bytes, sender: Peer | None, live_only: bool) -> int:
    """`Peer.send(frame)` to every peer but `sender` (with `live_only`, to the LIVE ones);
    how many were sent it."""
    live, closed = PeerState.LIVE, PeerState.CLOSED
    size = len(frame)
    sent = 0
    for peer in peers:
        state = peer.state
        if peer is sender or (live_only and state is not live):
            continue
        sent += 1
        if peer._close is not None or state is closed:
            continue
        if not peer._buffered and peer.channel.send_now(frame):
            peer._sent += 1
            peer._head = size
        else:
            peer._enqueue(frame, False)
    return sent
