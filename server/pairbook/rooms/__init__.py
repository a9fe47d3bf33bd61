"""Rooms: one shared notebook document each, with its peers, fan-out, log and autosave."""

from pairbook.protocol.closecodes import CloseCode
from pairbook.rooms.channel import Channel, ChannelClosed, MemoryChannel, memory_channel_pair
from pairbook.rooms.limits import RoomLimits
from pairbook.rooms.openroom import OpenRoom
from pairbook.rooms.peer import Peer, PeerState
from pairbook.rooms.policy import RoomPolicy
from pairbook.rooms.ratelimit import TokenBucket
from pairbook.rooms.registry import Rooms
from pairbook.rooms.room import Room

__all__ = [
    "Channel",
    "ChannelClosed",
    "CloseCode",
    "MemoryChannel",
    "OpenRoom",
    "Peer",
    "PeerState",
    "Room",
    "RoomLimits",
    "RoomPolicy",
    "Rooms",
    "TokenBucket",
    "memory_channel_pair",
]
