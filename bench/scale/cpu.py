"""Where the CPU goes in a bench/scale setting: CPU seconds (user + sys, from /proc) of each
part over the measured window, per delivery, and the ceiling they put on deliveries/s.

Parts: each `pairbook serve` (its process tree: supervisor and server child), the
Node clients process, the bench's own redis-server, and the PostgreSQL backends of the
bench's connections (found by their application_name in pg_stat_activity; the postmaster's
background writers, which serve every database on the machine, are not counted). A part's
reaped children count too (cutime + cstime), so a process that ends inside the window is
not lost as long as its parent is in the part.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

TICK = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")
MACHINE = "machine"  # the part that is the whole machine's busy time


def stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first), None if gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def ticks(fields: list[str]) -> int:
    """utime + stime + cutime + cstime (fields 14 to 17 of proc(5))."""
    return sum(int(value) for value in fields[11:15])


def tree_ticks(root: int) -> int:
    """CPU ticks of process `root` and all its descendants (with their reaped children):
    the supervisor starts its server child in a process group of its own."""
    stats: dict[int, list[str]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            fields = stat_fields(int(entry.name))
            if fields is not None:
                stats[int(entry.name)] = fields
    children: dict[int, list[int]] = {}
    for pid, fields in stats.items():
        children.setdefault(int(fields[1]), []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            total += ticks(stats[pid])
        todo.extend(children.get(pid, ()))
    return total


def pids_ticks(pids: Iterable[int]) -> int:
    total = 0
    for pid in pids:
        fields = stat_fields(pid)
        if fields is not None:
            total += ticks(fields)
    return total


def comm_ticks(command: str) -> int:
    """CPU ticks of every process whose command name is `command`."""
    total = 0
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            try:
                comm = (entry / "comm").read_text().strip()
            except OSError:
                continue
            fields = stat_fields(int(entry.name)) if comm == command else None
            total += 0 if fields is None else ticks(fields)
    return total


class BackendTicks:
    """CPU ticks of the PostgreSQL backends of connections named `application` (found in
    pg_stat_activity at each sample; a backend that ended between two samples is missed)."""

    def __init__(self, postgres: str, application: str) -> None:
        self.postgres, self.application = postgres, application

    def __call__(self) -> int:
        with psycopg.connect(self.postgres, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = %s",
                (self.application,),
            ).fetchall()
        return pids_ticks(int(row[0]) for row in rows)


def machine_ticks() -> int:
    """Busy CPU ticks of the whole machine, every core (/proc/stat: all but idle and iowait),
    the bench's parts and everybody else's jobs: what the parts leave of it is the others'."""
    with open(PROC / "stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:9]]
    scale = TICK / 100  # /proc/stat counts USER_HZ ticks, as /proc/PID/stat does
    return round((sum(fields) - fields[3] - fields[4]) * scale)


class LogReads:
    """Index scans of the room log (`pairbook_records`) in `schema` and the rows they fetched,
    as PostgreSQL's statistics count them (each backend reports within about a second): a
    room catching up from the log, or looking at its head, reads it; appends do not."""

    def __init__(self, postgres: str, schema: str, column: str) -> None:
        self.postgres, self.schema, self.column = postgres, schema, column

    def __call__(self) -> int:
        query = sql.SQL(
            "SELECT coalesce(sum({}), 0) FROM pg_stat_user_tables "
            "WHERE schemaname = %s AND relname = 'pairbook_records'"
        ).format(sql.Identifier(self.column))
        with psycopg.connect(self.postgres, autocommit=True) as conn:
            row = conn.execute(query, (self.schema,)).fetchone()
        return 0 if row is None else int(row[0])


Sampler = Callable[[], int]


@dataclass
class Meter:
    """Samples every part's CPU ticks at the window's start and end."""

    parts: dict[str, Sampler]
    counters: dict[str, Sampler] = field(default_factory=dict)  # counts, not CPU ticks
    start: dict[str, int] | None = None
    end: dict[str, int] | None = None
    times: tuple[float, float] = (0.0, 0.0)

    def sample(self) -> dict[str, int]:
        return {name: sampler() for name, sampler in {**self.parts, **self.counters}.items()}

    def mark(self, event: str) -> None:
        if event == "start":
            self.start = self.sample()
            self.times = (time.monotonic(), 0.0)
        elif event == "end":
            self.times = (self.times[0], time.monotonic())
            self.end = self.sample()

    def counts(self) -> dict[str, int]:
        """How much each counter grew over the window (empty if it never ended)."""
        if self.start is None or self.end is None:
            return {}
        return {name: self.end[name] - self.start[name] for name in self.counters}

    def wall(self) -> float:
        """Seconds from the window's start to its end."""
        return max(self.times[1] - self.times[0], 0.0)

    def seconds(self) -> dict[str, float]:
        """CPU seconds of each part over the window (empty if it never ended)."""
        if self.start is None or self.end is None:
            return {}
        return {name: (self.end[name] - self.start[name]) / TICK for name in self.parts}


def account(cpu: dict[str, float], result: dict[str, Any], wall: float) -> dict[str, Any]:
    """CPU figures of one setting: seconds, cores used, ms per delivery of each part."""
    deliveries = max(result["deliveries"], 1)
    return {
        "wall": wall,
        "seconds": cpu,
        "cores": {name: value / wall for name, value in cpu.items()} if wall else {},
        "ms_per_delivery": {name: 1000 * value / deliveries for name, value in cpu.items()},
    }


def ceiling(acct: dict[str, Any], cores: int, *, servers_only: bool = False) -> float:
    """The most deliveries/s this setting's measured costs allow on `cores` cores, each
    server pinned to a core of its own: every core's CPU spent (all parts together), and no
    server past its one core. `servers_only`: the clients, Redis and PostgreSQL elsewhere."""
    costs = {name: ms / 1000 for name, ms in acct["ms_per_delivery"].items() if name != MACHINE}
    servers = {name: cost for name, cost in costs.items() if name.startswith("pairbook")}
    if not servers or min(servers.values()) <= 0:
        return 0.0
    bound: float = 1 / max(servers.values())
    if not servers_only:
        bound = min(bound, cores / sum(costs.values()))
    return bound


def cpu_lines(name: str, first: dict[str, Any], second: dict[str, Any], cores: int) -> list[str]:
    """The CPU table of one pair of settings (their results) and the ceilings it implies."""
    one, two = first["cpu"], second["cpu"]
    lines = [f"{name}: CPU over the window (s; cores used; ms per delivery)"]
    for label, acct in (("one", one), ("two", two)):
        parts = [
            f"{part} {acct['seconds'][part]:.1f}; {acct['cores'][part]:.2f}; "
            f"{acct['ms_per_delivery'][part]:.3f}"
            for part in acct["seconds"]
            if part != MACHINE
        ]
        total = sum(value for part, value in acct["cores"].items() if part != MACHINE)
        busy = acct["cores"].get(MACHINE, 0.0)
        lines.append(f"  {label} ({acct['wall']:.1f} s, {total:.2f} of {cores} cores; machine "
                     f"busy {busy:.2f}, others {busy - total:.2f}): "
                     + " | ".join(parts))  # fmt: skip
    reads = [
        f"{label} {r['counts'].get('log scans', 0)} scans, {r['counts'].get('log rows', 0)} rows"
        for label, r in (("one", first), ("two", second))
    ]
    lines.append("  the log read (pairbook_records index): " + ";  ".join(reads))
    measured = first["deliveries_per_s"]
    for label, alone in (("everything on these cores", False), ("servers alone", True)):
        top_one, top_two = (
            ceiling(one, cores, servers_only=alone),
            ceiling(two, cores, servers_only=alone),
        )
        lines.append(
            f"  ceiling, {label}: one {top_one:.0f}/s  two {top_two:.0f}/s  "
            f"(two / one's ceiling x{top_two / top_one if top_one else 0:.2f}; "
            f"two / one measured x{top_two / measured if measured else 0:.2f})"
        )
    return lines
