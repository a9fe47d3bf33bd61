"""Mob programming: room modes, the driver and the rotation queue, the turn timer, the
session summary with its co-authors, and committing the notebook to git.

Pure logic over plain values (the clock is injected); `pairbook.mob.service` wires it to a
room's document, commands and members; `pairbook.mob.session_log` reads a session from the log.
"""

from pairbook.mob.rotation import (
    Handover,
    Mode,
    Person,
    Reason,
    Rotation,
    RotationSettings,
    Tick,
    TurnState,
)
from pairbook.mob.summary import Summary, cells_ran, commit_message, summarize

__all__ = [
    "Handover",
    "Mode",
    "Person",
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
