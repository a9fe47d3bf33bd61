"""Each step's median (µs) in pathtrace files, one line per file, then the median of them.

python bench/fanout/pathtrace/summary.py PREFIX.<pid> [...]
"""

from __future__ import annotations

import json
import statistics
import sys

STEPS = (
    "data_received", "to Room.receive", "to append", "append", "to relay", "relay",
    "CPU", "to first send",
)  # fmt: skip


def medians(path: str) -> list[float]:
    with open(path) as lines:
        rows = [row for line in lines for row in json.loads(line)]
    columns = [*zip(*rows, strict=True), [sum(row[:5]) for row in rows]]
    return [statistics.median(column) for column in columns]


def main(paths: list[str]) -> None:
    print("file".ljust(28) + "".join(step.rjust(16) for step in STEPS))
    runs = [medians(path) for path in paths]
    for path, run in zip(paths, runs, strict=True):
        print(path[-28:].ljust(28) + "".join(f"{value:16.1f}" for value in run))
    middle = [statistics.median(column) for column in zip(*runs, strict=True)]
    print("median".ljust(28) + "".join(f"{value:16.1f}" for value in middle))


if __name__ == "__main__":
    main(sys.argv[1:])
