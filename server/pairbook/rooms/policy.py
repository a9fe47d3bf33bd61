"""RoomPolicy: how a server's rooms behave over time."""

from __future__ import annotations

from dataclasses import dataclass, field

from pairbook.kernel.confine import Confinement
from pairbook.kernel.gatewaysession import KernelGateway
from pairbook.rooms.filesync import FilePolicy
from pairbook.rooms.limits import RoomLimits


@dataclass(frozen=True, slots=True)
class RoomPolicy:
    """How rooms behave over time."""

    autosave_delay: float = 1.0
    file_poll_interval: float = 2.0
    unload_delay: float = 30.0  # seconds an empty room stays loaded
    snapshot_every: int = 500
    sync_timeout: float = 15.0
    tick: float = 0.25
    saves_at_once: int = 4  # autosaves and snapshots running at once (rooms/saving.py)
    # A peer sent nothing for this long is sent an empty awareness update: y-websocket's
    # client closes a socket it heard nothing on for 30 s (`messageReconnectTimeout`).
    keepalive: float = 10.0
    output_limit: int = 1_000_000
    kernel_state: bool = True  # probe the namespace after runs and share the view
    keep_kernels: bool = False  # True: a room with a live kernel stays loaded when empty
    cull_idle_after: float | None = None  # seconds idle before a kernel is shut down; None: never
    checkpoint_every: int = 1000  # log records between two replay checkpoints
    awareness_interval: float = 1.0  # seconds between two recorded presences of a connection
    retention: float | None = None  # seconds of recorded history kept; None: all
    confinement: Confinement | None = None  # how kernels are fenced in; None: not at all
    kernel_gateway: KernelGateway | None = None  # kernels on a gateway; None: local ones
    limits: RoomLimits = field(default_factory=RoomLimits)
    max_notebook_bytes: int | None = None  # larger notebook files are not opened
    files: FilePolicy = field(default_factory=FilePolicy)  # what its files hold, its twin
