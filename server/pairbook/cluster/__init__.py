"""One owner per room across pairbook processes, on Redis.

`RoomLeases` grants a room's lease to one process at a time (SET NX PX, renewed), each grant
with a fencing token from a per-room counter (INCR) that only ever grows; `LeaseKeeper`
holds the leases of the rooms a process has loaded and says when one is gained or lost;
`Forwarder` carries a command from the process a member is connected to, to the room's
owner, and its reply back. Redis is imported here and nowhere in the room core: the room
sees these through the ports in `pairbook.rooms.ownership`.
"""

from pairbook.cluster.envelope import member_from_json, member_to_json
from pairbook.cluster.forward import Forwarder
from pairbook.cluster.keeper import LeaseKeeper
from pairbook.cluster.lease import Lease, RoomLeases

__all__ = [
    "Forwarder",
    "Lease",
    "LeaseKeeper",
    "RoomLeases",
    "member_from_json",
    "member_to_json",
]
