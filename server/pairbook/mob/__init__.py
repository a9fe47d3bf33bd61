"""Mob programming: room modes, the driver and the rotation queue, the turn timer, the
session summary with its co-authors, and committing the notebook to git.

Pure logic over plain values (the clock is injected); `pairbook.mob.service` wires it to a
room's document, commands and members; `pairbook.mob.session_log` reads a session from the log.
"""

from pairbook.mob.rotation import Rotation
from pairbook.mob.summary import Summary, cells_ran, commit_message, summarize
from pairbook.mob.turn import (
    Handover,
    Mode,
    Reason,
    RotationSettings,
    Tick,
    TurnState,
)

__all__ = [
    "Handover",
    "Mode",
    "Reason",
    "Rotation",
    "RotationSettings",
    "Summary",
    "Tick",
    "TurnState",
    "cells_ran",
    "commit_message",
    "summarize",
]
