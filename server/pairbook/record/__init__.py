"""The recording of a room: its timeline, replay at any moment, per-line blame, restore.

`Recorder` notes what a live room sees beside its document log (joins, presence, commands,
runs, kernel status, role changes) and keeps replay checkpoints; `Replayer` rebuilds the
document at any moment from the store; `Blame` says who wrote each line of a cell. No
network code: `rooms` wires the recorder into a room, `app` serves replays over HTTP.
"""

from pairbook.record.blame import Blame, LineBlame
from pairbook.record.export import export_lines
from pairbook.record.recorder import Recorder
from pairbook.record.replayer import Moment, Replayer, Replays
from pairbook.record.restore import restore_cell, restore_notebook
from pairbook.record.timeline import EventKind, recording_flag

__all__ = [
    "Blame",
    "EventKind",
    "LineBlame",
    "Moment",
    "Recorder",
    "Replayer",
    "Replays",
    "export_lines",
    "recording_flag",
    "restore_cell",
    "restore_notebook",
]
