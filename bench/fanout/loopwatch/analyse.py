"""Read a many-rooms run's slow deliveries beside its server's loop lags (loopwatch).

    .venv/bin/python bench/fanout/loopwatch/analyse.py RESULTS.json PREFIX.PID [--server NAME]

RESULTS.json is the bench's bench/results/fanout-<time>.json (its many-rooms row for NAME,
default pairbook-uvicorn, carries `slow` and `t0Monotonic`); PREFIX.PID the server's
loopwatch file. Prints the loop's lag histogram, its longest stalls with the collector
passes and room wake-ups around them, whether the stalls recur with a period (their times
folded modulo 0.25, 0.5, 1, 2 and 10 s), and how many slow deliveries waited through a
stall.
"""

from __future__ import annotations

import argparse
import bisect
import json
from collections import Counter
from pathlib import Path
from typing import Any


def load_watch(path: Path) -> dict[str, Any]:
    lags: list[tuple[float, float]] = []
    cpus: dict[float, float] = {}  # probe time -> the loop thread's CPU ms before it
    gcs: list[tuple[float, int, float]] = []
    ticks: dict[int, list[int]] = {}
    stacks: list[tuple[float, list[str]]] = []
    hist: dict[str, int] = {}
    calls: dict[str, dict[int, list[int]]] = {}
    iterations: dict[int, dict[str, Any]] = {}
    probes = 0
    second = 0
    for line in path.read_text().splitlines():
        row = json.loads(line)
        if "lag" in row:
            lags.append((row["t"], row["lag"]))
            if "cpu" in row:
                cpus[row["t"]] = row["cpu"]
        elif "gc" in row:
            gcs.append((row["t"], row["gc"], row["ms"]))
        elif "ticks" in row:
            ticks[row["s"]] = row["ticks"]
            second = row["s"]
        elif "iterations" in row:
            iterations[second] = row
        elif "stack" in row:
            stacks.append((row["t"], row["stack"]))
        elif "calls" in row:
            calls.setdefault(row["calls"], {})[row["s"]] = row["bins"]
        elif "hist" in row:
            hist, probes = row["hist"], row["probes"]
    return {
        "lags": lags,
        "cpus": cpus,
        "gcs": gcs,
        "ticks": ticks,
        "stacks": stacks,
        "hist": hist,
        "probes": probes,
        "calls": calls,
        "iterations": iterations,
    }


def per_iteration(iterations: dict[int, dict[str, Any]], start: float, end: float) -> None:
    """The rooms' wake-ups per loop iteration in the seconds from `start` to `end`, and the
    CPU their upkeep took in the iterations where it came to 0.25 ms or more."""
    sizes: Counter[int] = Counter()
    cpu: list[float] = []
    for sec, row in iterations.items():
        if start <= sec and sec + 1 <= end:
            sizes.update({int(k): v for k, v in row["iterations"].items()})
            cpu.extend(ms for *_, ms in row["heavy"])
    wakes = sum(k * v for k, v in sizes.items())
    if not wakes:
        return
    share = {n: sum(k * v for k, v in sizes.items() if k >= n) / wakes for n in (20, 50, 100)}
    print(
        f"room wake-ups per loop iteration: {wakes} in {sum(sizes.values())} iterations, "
        f"at most {max(sizes)} in one; "
        + ", ".join(f"{share[n]:.0%} in iterations of {n} or more" for n in share)
    )
    cpu.sort()
    if cpu:
        print(
            f"  iterations with 0.25 ms or more of upkeep CPU: {len(cpu)}, median "
            f"{cpu[len(cpu) // 2]}, max {cpu[-1]} ms"
        )


def in_bins(per_second: dict[int, list[int]], start: float, end: float) -> int:
    """Calls counted in the 10 ms bins from `start` to `end` (monotonic seconds)."""
    total = 0
    t = start
    while t <= end + 0.01:
        bins = per_second.get(int(t))
        if bins is not None:
            total += bins[int((t % 1.0) * 100)]
        t += 0.01
    return total


def bin_spread(per_second: dict[int, list[int]], since: float) -> str:
    counts = sorted(n for sec, bins in per_second.items() if sec >= int(since) for n in bins)
    if not counts:
        return "none"
    return (
        f"{sum(counts)} calls, per 10 ms: median {counts[len(counts) // 2]}, p99 "
        f"{counts[int(len(counts) * 0.99)]}, max {counts[-1]}"
    )


def stalls(lags: list[tuple[float, float]], least: float) -> list[tuple[float, float]]:
    """(start, ms) of each stall: a probe `lag` ms late at t means the loop was away from
    t - lag to t (the probes of one stall are merged)."""
    out: list[tuple[float, float]] = []
    for t, lag in lags:
        if lag < least:
            continue
        start = t - lag / 1000
        if out and start <= out[-1][0] + out[-1][1] / 1000 + 0.003:
            prev_start, _ = out[-1]
            out[-1] = (prev_start, max(out[-1][1], (t - prev_start) * 1000))
        else:
            out.append((start, lag))
    return out


def stall_cpu(cpus: dict[float, float], start: float, end: float) -> float | None:
    """The loop thread's CPU ms over a stall, from the probes that ended within it (each
    probe's figure covers the time since the probe before it)."""
    inside = [cpu for t, cpu in cpus.items() if start <= t <= end + 0.003]
    return sum(inside) if inside else None


def busy_or_waiting(found: list[tuple[float, float]], cpus: dict[float, float]) -> None:
    """How many stalls the loop was busy for (its CPU half the stall or more), and how many
    it waited out for a core or the GIL."""
    if not cpus:
        return
    split = [(ms, stall_cpu(cpus, start, start + ms / 1000) or 0.0) for start, ms in found]
    busy = [ms for ms, cpu in split if cpu >= ms / 2]
    print(
        f"  of them the loop busy for half or more of the stall: {len(busy)} "
        f"({sum(busy):.0f} ms); the rest waited for a core or the GIL "
        f"({sum(ms for ms, cpu in split if cpu < ms / 2):.0f} ms)"
    )


def folded(times: list[float], period: float, bins: int = 10) -> list[int]:
    counts = [0] * bins
    for t in times:
        counts[int((t % period) / period * bins) % bins] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("results", type=Path)
    parser.add_argument("watch", type=Path)
    parser.add_argument("--server", default="pairbook-uvicorn")
    parser.add_argument("--least", type=float, default=5.0, help="stall threshold, ms")
    args = parser.parse_args()
    results = json.loads(args.results.read_text())
    rows = [r for r in results["many_rooms"] if r.get("server") == args.server]
    row = rows[-1]
    t0 = row["t0Monotonic"] / 1000
    watch = load_watch(args.watch)
    lags = [(t, lag) for t, lag in watch["lags"] if t >= t0]
    print(
        f"run: p50 {row['p50']} p99 {row['p99']} max {row['max']} ms, delivered "
        f"{row['delivered']}, other {row.get('otherCpuPct')} %, srv {row.get('serverCpuPct')} %"
    )
    hist = watch["hist"]
    if hist:
        total = sum(hist.values())
        print(
            f"probe lags (whole life, {total} probes): "
            + ", ".join(
                f">= {ms} ms {sum(v for k, v in hist.items() if int(k) >= ms)}"
                for ms in (2, 5, 10, 20, 50)
            )
        )
    found = stalls(lags, args.least)
    print(
        f"stalls >= {args.least} ms after the edits started: {len(found)}, "
        f"total {sum(ms for _, ms in found):.0f} ms"
    )
    busy_or_waiting(found, watch["cpus"])
    gcs = [g for g in watch["gcs"] if g[0] >= t0]
    print(
        f"collector passes after the start: {len(gcs)} ("
        + ", ".join(f"gen{g} {n}" for g, n in sorted(Counter(g for _, g, _ in gcs).items()))
        + f"), longest {max((ms for *_, ms in gcs), default=0):.1f} ms"
    )
    print(
        "longest stalls (start since the edits' start, ms, the loop's CPU ms in it; gc passes "
        "ending within it):"
    )
    for start, ms in sorted(found, key=lambda s: -s[1])[:15]:
        end = start + ms / 1000
        inside = [f"gen{g} {c:.1f}ms" for t, g, c in gcs if start - 0.001 <= t <= end + 0.001]
        sec = int(start)
        tick_bin = watch["ticks"].get(sec)
        woke = ""
        if tick_bin is not None:
            b = int((start % 1.0) * 100)
            woke = f" wakes in its 10 ms bins {tick_bin[max(0, b - 1) : b + 3]}"
        counted = "".join(
            f" {name.rsplit('.', 1)[-1]}:{in_bins(per, start - 0.01, end)}"
            for name, per in watch["calls"].items()
        )
        cpu = stall_cpu(watch["cpus"], start, end)
        in_cpu = "" if cpu is None else f" cpu {cpu:.1f}"
        print(f"  {start - t0:8.3f} s  {ms:6.1f} ms{in_cpu}  {' '.join(inside)}{woke}{counted}")
    times = [start for start, _ in found]
    for period in (0.25, 0.5, 1.0, 2.0, 10.0):
        print(f"  stall starts folded modulo {period:5} s (10 bins): {folded(times, period)}")
    if watch["ticks"]:
        print(f"room wake-ups: {bin_spread(watch['ticks'], t0)}")
        end = t0 + max((sent for sent, _ in row.get("slow", [])), default=0) / 1000
        per_iteration(watch["iterations"], t0, end)
    for name, per in watch["calls"].items():
        print(f"{name}: {bin_spread(per, t0)}")
    slow = row.get("slow", [])
    starts = [s for s, _ in found]
    explained = 0
    for sent, latency in slow:
        a, b = t0 + sent / 1000, t0 + (sent + latency) / 1000
        i = bisect.bisect_left(starts, a - 0.1)
        while i < len(found) and found[i][0] <= b:
            s, ms = found[i]
            if s + ms / 1000 >= a:
                explained += 1
                break
            i += 1
    print(
        f"slow deliveries (>= 5 ms): {len(slow)}; waited through a stall >= {args.least} ms: "
        f"{explained}"
    )
    buckets = Counter(int(sent // 100) for sent, latency in slow if latency >= row["p99"])
    print(
        "deliveries at or above p99, by 100 ms of their sending (top 15 bins): "
        + ", ".join(f"{k / 10:.1f}s:{v}" for k, v in buckets.most_common(15))
    )
    if watch["stacks"]:
        top = Counter(" < ".join(names[:3]) for _, names in watch["stacks"])
        print("stack samples during stalls (top 25):")
        for names, n in top.most_common(25):
            print(f"  {n:5d}  {names}")


if __name__ == "__main__":
    main()
