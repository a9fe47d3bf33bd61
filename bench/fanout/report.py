"""The printed tables: one fixed-width block per section, the same layout on every run."""

from __future__ import annotations

from typing import Any

Row = dict[str, Any]


def ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if value < 1000 else f"{value:.0f}"


def us(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}%"


def delivered(row: Row) -> str:
    if row.get("expected") is None:
        return "-"
    return f"{row.get('delivered', 0)}/{row['expected']}"


def problem(row: Row) -> str | None:
    """The row's failure, if it has one, as shown in place of its figures."""
    if row.get("unavailable"):
        reason = str(row["unavailable"])
        if reason.endswith("(as above)"):
            return "unavailable (as above)"
        return "unavailable: " + (reason if len(reason) <= 240 else reason[:237] + "...")
    if row.get("error") and row.get("p50") is None:
        return f"failed: {row['error']}"
    return None


def fanout_table(rows: list[Row], edits: int, rate: float, deflate: bool = True) -> list[str]:
    title = f"== fan-out: 1 writer + N-1 readers, {edits} edits at {rate:g}/s; delivery latency ms"
    if not deflate:
        title += "; AGAIN, clients NOT offering permessage-deflate, for the servers that took it"
    out = [
        title + " ==",
        f"{'N':>4}  {'server':<17}{'p50':>8}{'p99':>9}{'max':>9}  {'delivered':<14}"
        f"{'deliv/s':>8}{'srv cpu':>8}{'us/dlv':>7}{'cli cpu':>8}{'other':>7}{'cli lag':>8}  notes",
    ]
    last_n = None
    for row in rows:
        if last_n is not None and row["n"] != last_n:
            out.append("")
        last_n = row["n"]
        head = f"{row['n']:>4}  {row['server']:<17}"
        failure = problem(row)
        if failure is not None:
            out.append(head + failure)
            continue
        lag = (row.get("readerLoopDelay") or {}).get("p99")
        out.append(
            head
            + f"{ms(row.get('p50')):>8}{ms(row.get('p99')):>9}{ms(row.get('max')):>9}  "
            + f"{delivered(row):<14}{row.get('deliveredPerSecond') or 0:>8.0f}"
            + f"{pct(row.get('serverCpuPct')):>8}{us(row.get('serverCpuUsPerDelivery')):>7}"
            + f"{pct(row.get('clientCpuPct')):>8}"
            + f"{pct(row.get('otherCpuPct')):>7}{ms(lag):>8}  {notes(row)}"
        )
    return out


def notes(row: Row) -> str:
    said = []
    if row.get("error"):
        said.append(row["error"])
    if harness_bound(row):
        said.append("HARNESS-BOUND (see cli cpu, cli lag)")
    if row.get("closes"):
        said.append("closes " + ", ".join(f"{k} x{v}" for k, v in row["closes"].items()))
    if row.get("extensions"):
        said.append(row["extensions"])
    log = row.get("server_log") or {}
    if log.get("tracebacks"):
        names = ", ".join(f"{k} x{v}" for k, v in log.get("exceptions", {}).items())
        said.append(f"server log: {log['tracebacks']} tracebacks ({names})")
    elif log.get("error_line_count"):
        said.append(f"server log: {log['error_line_count']} ERROR lines")
    if len(row.get("runs") or []) > 1:
        said.append("p50 of runs " + "/".join(ms(run.get("p50")) for run in row["runs"]))
    usual = ("normal", "client")
    unusual = {k: v for k, v in (log.get("peer_left") or {}).items() if k not in usual}
    if unusual:
        said.append("peers left: " + ", ".join(f"{k} x{v}" for k, v in unusual.items()))
    return "; ".join(said)


def summary_table(
    rows: list[Row], plain: list[Row], sizes: list[int], servers: list[str]
) -> list[str]:
    out = [
        "== fan-out summary: p50 / p99 ms (layout of PERFORMANCE.md) ==",
        f"{'server':<30}" + "".join(f"{'N=' + str(n):>16}" for n in sizes),
    ]
    lines = [(server, server, rows) for server in servers]
    lines += [(server, f"{server} (no deflate)", plain) for server in servers]
    for server, name, source in lines:
        if not any(r["server"] == server for r in source):
            continue
        cells = []
        for n in sizes:
            row = next((r for r in source if r["server"] == server and r["n"] == n), None)
            if row is None or problem(row) is not None:
                cells.append("n/a")
                continue
            text = f"{ms(row.get('p50'))} / {ms(row.get('p99'))}"
            if row.get("delivered") != row.get("expected"):
                text += " *"
            if harness_bound(row):
                text += " h"
            cells.append(text)
        out.append(f"{name:<30}" + "".join(f"{c:>16}" for c in cells))
    out.append(
        "(* = not every update delivered; h = clients saturated, harness-bound; n/a = see above)"
    )
    return out + harness_check(rows)


REFERENCE = {50: "3.2-3.5 / 15-18", 200: "7.9-8.1 / 52-96"}  # PERFORMANCE.md, Node server


def harness_check(rows: list[Row]) -> list[str]:
    """The Node reference rows next to PERFORMANCE.md's: if they match, the clients keep up."""
    out = []
    for row in rows:
        if row["server"] != "node" or row["n"] not in REFERENCE or problem(row) is not None:
            continue
        lag = (row.get("readerLoopDelay") or {}).get("p99")
        out.append(
            f"harness check, Node reference N={row['n']}: p50 / p99 {ms(row.get('p50'))} / "
            f"{ms(row.get('p99'))} ms here vs {REFERENCE[row['n']]} in PERFORMANCE.md; "
            f"clients {pct(row.get('clientCpuPct'))} CPU, reader lag p99 {ms(lag)} ms, "
            f"other {pct(row.get('otherCpuPct'))}"
        )
    return out


def harness_bound(row: Row) -> bool:
    """The clients, not the server, may have set the latency: their process used a whole core
    (only inflating on libuv's thread pool gets it there), or the reader thread's event loop
    ran 50 ms or more late (it was starved of CPU)."""
    lag = (row.get("readerLoopDelay") or {}).get("p99") or 0
    return (row.get("clientCpuPct") or 0) >= 95 or lag >= 50


def durable_table(rows: list[Row], n: int) -> list[str]:
    out = [
        f"== durable log cost: pairbook-uvicorn at N={n}, in-memory log vs SQLite log ==",
        f"{'store':<12}{'p50':>8}{'p99':>9}{'max':>9}  {'delivered':<14}{'deliv/s':>8}"
        f"{'srv cpu':>8}{'us/dlv':>7}{'other':>7}  notes",
    ]
    for row in rows:
        head = f"{row['store']:<12}"
        failure = problem(row)
        if failure is not None:
            out.append(head + failure)
            continue
        out.append(
            head
            + f"{ms(row.get('p50')):>8}{ms(row.get('p99')):>9}{ms(row.get('max')):>9}  "
            + f"{delivered(row):<14}{row.get('deliveredPerSecond') or 0:>8.0f}"
            + f"{pct(row.get('serverCpuPct')):>8}{us(row.get('serverCpuUsPerDelivery')):>7}"
            + f"{pct(row.get('otherCpuPct')):>7}  {notes(row)}"
        )
    return out


def join_table(rows: list[Row], size_mb: float, cells: int, joins: int) -> list[str]:
    out = [
        f"== join time: a new stock client until `sync`, room holding a {size_mb:.1f} MB "
        f"notebook ({cells} cells with outputs); {joins} joins ==",
        f"{'server':<18}{'p50 ms':>8}{'min':>8}{'max':>8}{'first':>9}{'doc MB':>8}  notes",
    ]
    for row in rows:
        head = f"{row['server']:<18}"
        failure = problem(row)
        if failure is not None:
            out.append(head + failure)
            continue
        size = row.get("updateBytes")
        mb = "-" if size is None else f"{size / 2**20:.1f}"
        out.append(
            head
            + f"{ms(row.get('p50')):>8}{ms(row.get('min')):>8}{ms(row.get('max')):>8}"
            + f"{ms(row.get('firstMs')):>9}{mb:>8}  {notes(row)}"
        )
    out.append("(first = the untimed join that loads or checks the room; not in p50)")
    return out


def memory_table(rows: list[Row], rooms: int) -> list[str]:
    out = [
        f"== memory per open room: server RSS (process tree), {rooms} rooms x 1 client, "
        "small notebook ==",
        f"{'server':<18}{'0 rooms':>9}{'1 room':>9}{f'{rooms} rooms':>10}{'1st room':>10}"
        f"{'MB/room':>9}{'procs':>6}{'PSS 0':>8}{f'PSS {rooms}':>8}  notes",
    ]
    for row in rows:
        head = f"{row['server']:<18}"
        failure = problem(row)
        if failure is not None:
            out.append(head + failure)
            continue
        out.append(
            head
            + f"{row['rss0'] / 2**20:>9.1f}{row['rss1'] / 2**20:>9.1f}"
            + f"{row['rssAll'] / 2**20:>10.1f}{row['firstRoomMb']:>10.2f}"
            + f"{row['mbPerRoom']:>9.2f}{row.get('processes', 0):>6}"
            + f"{row.get('pss0', 0) / 2**20:>8.1f}{row.get('pssAll', 0) / 2**20:>8.1f}"
            + f"  {notes(row)}"
        )
    out.append(
        "(RSS in MB; 1st room = what opening the first room added (lazy imports, caches); "
        f"MB/room = (RSS at {rooms} rooms - RSS at 1 room) / {rooms - 1}; procs = processes in "
        "the server's tree, whose RSS double-counts shared pages: PSS splits them)"
    )
    return out


def stuck_table(rows: list[Row], edits: int) -> list[str]:
    out = [
        f"== stuck peer: 1 writer + 10 readers, {edits} updates of 8 KB at 200/s, without and "
        "with one more peer that syncs and stops reading; delivery latency ms to the readers ==",
        f"{'server':<18}{'stuck':<7}{'p50':>8}{'p99':>9}{'max':>9}  {'delivered':<14}"
        f"{'RSS MB':>8}{'peak':>8}{'grew':>7}{'srv cpu':>8}{'other':>7}  stuck peer: close, "
        "server's closing time; notes",
    ]
    for row in rows:
        head = f"{row['server']:<18}{'yes' if row.get('stuckPeer') else 'no':<7}"
        failure = problem(row)
        if failure is not None:
            out.append(head + failure)
            continue
        start, peak = row.get("rssStartMb"), row.get("rssPeakMb")
        grew = "-" if start is None or peak is None else f"{peak - start:.1f}"
        closing = ""
        if row.get("stuckPeer"):
            close = row.get("stuck") or {}
            closing = f"{close.get('code')} {close.get('reason', '')}".strip()
            timing = (row.get("server_log") or {}).get("slow_closed_in_ms")
            if timing:
                closing += f", closed {max(timing):.0f} ms after its buffer filled"
            closing += "; "
        out.append(
            head
            + f"{ms(row.get('p50')):>8}{ms(row.get('p99')):>9}{ms(row.get('max')):>9}  "
            + f"{delivered(row):<14}{ms(start):>8}{ms(peak):>8}{grew:>7}"
            + f"{pct(row.get('serverCpuPct')):>8}{pct(row.get('otherCpuPct')):>7}  "
            + closing
            + notes(row)
        )
    out.append(
        "(RSS of the server's process tree at the start of the timed window and its peak, "
        "sampled every 50 ms; close = what the stuck peer read once it read again)"
    )
    return out


def many_rooms_table(rows: list[Row], rooms: int, edits: int) -> list[str]:
    out = [
        f"== many rooms: {rooms} rooms x 4 clients, each typing {edits} characters at 1/s; "
        "delivery latency ms to the room's 3 others; server RSS ==",
        f"{'server':<18}{'p50':>8}{'p99':>9}{'max':>9}  {'delivered':<16}{'srv cpu':>8}"
        f"{'us/dlv':>7}{'cli cpu':>8}{'other':>7}{'RSS 0':>8}{'RSS all':>9}{'MB/room':>9}"
        f"{'connect s':>10}  notes",
    ]
    for row in rows:
        head = f"{row['server']:<18}"
        failure = problem(row)
        if failure is not None:
            out.append(head + failure)
            continue
        lag = (row.get("readerLoopDelay") or {}).get("p99")
        out.append(
            head
            + f"{ms(row.get('p50')):>8}{ms(row.get('p99')):>9}{ms(row.get('max')):>9}  "
            + f"{delivered(row):<16}{pct(row.get('serverCpuPct')):>8}"
            + f"{us(row.get('serverCpuUsPerDelivery')):>7}{pct(row.get('clientCpuPct')):>8}"
            + f"{pct(row.get('otherCpuPct')):>7}{row['rss0'] / 2**20:>8.1f}"
            + f"{row['rssAll'] / 2**20:>9.1f}{row['mbPerRoom']:>9.3f}"
            + f"{(row.get('connectMs') or 0) / 1000:>10.1f}  "
            + (f"client loop lag p99 {ms(lag)} ms; " if lag else "")
            + notes(row)
        )
    out.append(
        "(MB/room = (server RSS with every room open and synced - RSS before any) / rooms; "
        "all clients run in one Node thread)"
    )
    return out
