"""The RoomService port: what a room service sees of its room, and the command table every
service declares its commands in (one dispatch path for all of them)."""

from pairbook.service.cells import CellsChange, CellsObserver, read_cells_change
from pairbook.service.commands import (
    Arg,
    Args,
    ArgType,
    ArgumentError,
    Command,
    CommandTable,
    DriverGate,
    Handler,
    Note,
)
from pairbook.service.port import (
    EditRefusal,
    FencedWrite,
    Member,
    OwnerWrite,
    RoomHandle,
    RoomNotes,
    RoomService,
    unfenced,
)

__all__ = [
    "Arg",
    "ArgType",
    "Args",
    "ArgumentError",
    "CellsChange",
    "CellsObserver",
    "Command",
    "CommandTable",
    "DriverGate",
    "EditRefusal",
    "FencedWrite",
    "Handler",
    "Member",
    "Note",
    "OwnerWrite",
    "RoomHandle",
    "RoomNotes",
    "RoomService",
    "read_cells_change",
    "unfenced",
]
