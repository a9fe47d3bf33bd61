"""The browser bench: how fast a big notebook becomes usable, and how fast a keystroke in one
browser reaches another's screen. Debian's Chromium driven by Playwright against a real
`pairbook serve`.

    .venv/bin/python bench/browser/run.py [--cells 200] [--loads 5] [--keys 300] [--interval 30]

Prints the figures and writes them to bench/results/browser-<time>.json.

- load: a fresh browser context (cold cache) opens a notebook of --cells cells with outputs
  (streams, HTML tables, PNG images, tracebacks). "rendered" is when every cell is on the
  page; "interactive" is when a character typed into the first cell is in the document.
  Also counted: how many CodeMirror editors exist then (lazy editors: only near the
  viewport).
- keystroke: one person types --keys characters, one every --interval ms, into a cell the
  other person has on screen. Latency is from the keydown in the typist's page to the
  animation frame in which the partner's editor shows the character (both read the same
  machine clock, `performance.timeOrigin + performance.now()`).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import platform
import statistics
import struct
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# The suite's helpers as support.*, and the repository's root: keystrokes.py beside this
# script as bench.browser.keystrokes (mypy checks every bench script together).
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

import nbformat  # noqa: E402
from bench.browser.keystrokes import type_and_measure  # noqa: E402
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output  # noqa: E402
from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

from support.browser import BUILT_CLIENT, CHROMIUM, CHROMIUM_ARGS, VIEWPORT  # noqa: E402
from support.server import OWNER_TOKEN, ServerProcess  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def png(width: int = 160, height: int = 80) -> str:
    """A small gradient PNG, base64, made without an imaging library."""
    rows = b"".join(
        b"\x00" + bytes(v for x in range(width) for v in (x * 255 // width, y * 3 % 256, 180))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
    data += chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    return base64.b64encode(data).decode()


def big_notebook(cells: int) -> nbformat.NotebookNode:
    image = png()
    table = "<table><thead><tr><th>n</th><th>square</th></tr></thead><tbody>"
    table += (
        "".join(f"<tr><td>{i}</td><td>{i * i}</td></tr>" for i in range(8)) + "</tbody></table>"
    )
    out: list[Any] = []
    for i in range(cells):
        kind = i % 5
        if kind == 0:
            out.append(
                new_markdown_cell(
                    f"## Section {i}\n\nSome *prose* with `code` and a list:\n\n- a\n- b"
                )
            )
            continue
        cell = new_code_cell(
            f"def step_{i}(x):\n    total = x * {i}\n    return total\n\nstep_{i}({i})"
        )
        cell.execution_count = i
        if kind == 1:
            cell.outputs = [
                new_output("stream", name="stdout", text="".join(f"line {j}\n" for j in range(6)))
            ]
        elif kind == 2:
            cell.outputs = [
                new_output(
                    "execute_result",
                    data={"text/html": table, "text/plain": "table"},
                    execution_count=i,
                )
            ]
        elif kind == 3:
            cell.outputs = [
                new_output("display_data", data={"image/png": image, "text/plain": "<Figure>"})
            ]
        else:
            cell.outputs = [
                new_output(
                    "error",
                    ename="ValueError",
                    evalue=f"bad value {i}",
                    traceback=[
                        "\x1b[0;31mValueError\x1b[0m Traceback",
                        f"\x1b[0;32mstep_{i}\x1b[0m(x)",
                        f"ValueError: bad value {i}",
                    ],
                )
            ]
        out.append(cell)
    nb: nbformat.NotebookNode = new_notebook(cells=out)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def open_tab(
    browser: Browser,
    server: ServerProcess,
    notebook: str,
    token: str = OWNER_TOKEN,
    join_as: str = "",
) -> Page:
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto(f"{server.base}/notebooks/{notebook}?token={token}")
    if join_as:
        page.get_by_label("Your display name").fill(join_as)
        page.get_by_role("button", name="Join").click()
    page.locator(".status[data-state=connected]").wait_for()
    return page


def measure_load(
    browser: Browser, server: ServerProcess, notebook: str, cells: int
) -> dict[str, float]:
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    context.set_default_timeout(60_000)
    page = context.new_page()
    start = time.perf_counter()
    page.goto(f"{server.base}/notebooks/{notebook}?token={OWNER_TOKEN}")
    page.locator(f".notebook:not(.loading) .cells > .cell:nth-child({cells})").wait_for(
        state="attached"
    )
    rendered = time.perf_counter() - start
    page.locator(".cells > .cell-code").first.locator(".cm-content").click()
    page.keyboard.press("Control+Home")
    page.keyboard.type("#")
    page.wait_for_function("() => window.pairbook.notebook.cells[1].getSource().startsWith('#')")
    interactive = time.perf_counter() - start
    editors = page.locator(".cm-editor").count()
    dcl = page.evaluate(
        "() => performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"
    )
    page.keyboard.press("Control+z")  # leave the notebook as it was
    page.wait_for_function("() => !window.pairbook.notebook.cells[1].getSource().startsWith('#')")
    context.close()
    return {
        "rendered_ms": rendered * 1000,
        "interactive_ms": interactive * 1000,
        "editors": editors,
        "dom_content_loaded_ms": dcl,
    }


RECEIVER = """
content => {
  window.arrivals = []
  const shown = () => [...content.querySelectorAll('.cm-line')].map(line => {
    const copy = line.cloneNode(true)
    copy.querySelectorAll('.cm-ySelectionCaret, .cm-widgetBuffer').forEach(w => w.remove())
    return copy.textContent
  }).join('\\n').replace(/\\u200b/g, '').length
  let seen = shown()
  new MutationObserver(() => requestAnimationFrame(() => {
    const now = performance.timeOrigin + performance.now()
    const length = shown()
    while (seen < length) { seen += 1; window.arrivals.push(now) }
  })).observe(content, { childList: true, subtree: true, characterData: true })
}
"""

SENDER = """
() => {
  window.sent = []
  const now = () => performance.timeOrigin + performance.now()
  document.addEventListener('keydown', () => window.sent.push(now()), true)
}
"""


def measure_keystrokes(
    browser: Browser, server: ServerProcess, notebook: str, keys: int, interval: float
) -> dict[str, Any]:
    status, body = server.request("POST", "/api/invites", {"role": "editor"})
    assert status == 201
    assert isinstance(body, dict)
    typist = open_tab(browser, server, notebook)
    partner = open_tab(browser, server, notebook, token=body["token"], join_as="Partner")
    partner.locator(".cells > .cell-code").first.locator(".cm-content").wait_for()
    partner.locator(".cells > .cell-code").first.locator(".cm-content").evaluate(RECEIVER)
    typist.evaluate(SENDER)
    typist.locator(".cells > .cell-code").first.locator(".cm-content").click()
    typist.keyboard.press("Control+End")
    figures = type_and_measure(typist, partner, keys, interval)
    typist.context.close()
    partner.context.close()
    return {**figures, "interval_ms": interval}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cells", type=int, default=200)
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--keys", type=int, default=300)
    parser.add_argument("--interval", type=float, default=30.0, help="ms between keystrokes")
    args = parser.parse_args()
    if not BUILT_CLIENT.exists():
        sys.exit("the browser client is not built: run `bash scripts/install.sh` first")

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "notebooks"
        root.mkdir()
        big = f"big-{args.cells}.ipynb"
        nbformat.write(big_notebook(args.cells), root / big)
        nbformat.write(big_notebook(10), root / "typing.ipynb")
        with (
            ServerProcess(root, store=str(Path(tmp) / "store.sqlite")) as server,
            sync_playwright() as pw,
        ):
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            measure_load(browser, server, big, args.cells)  # warm the server's room once
            loads = [measure_load(browser, server, big, args.cells) for _ in range(args.loads)]
            typing = measure_keystrokes(browser, server, "typing.ipynb", args.keys, args.interval)
            version = browser.version
            browser.close()

    def med(key: str) -> float:
        return statistics.median(load[key] for load in loads)

    print(
        f"\nbrowser bench: Chromium {version}, {platform.machine()}, "
        f"{args.cells}-cell notebook with outputs\n"
    )
    print(f"  load ({args.loads} cold contexts, median / best)")
    for key, label in (
        ("dom_content_loaded_ms", "page parsed"),
        ("rendered_ms", "all cells rendered"),
        ("interactive_ms", "first keystroke in the doc"),
    ):
        print(f"    {label:<28} {med(key):8.0f} ms  / {min(load[key] for load in loads):6.0f} ms")
    print(
        f"    {'CodeMirror editors mounted':<28} {med('editors'):8.0f}     (of {args.cells} cells)"
    )
    print(
        f"\n  keystroke to partner's screen ({typing['keys']} keys, "
        f"one every {typing['interval_ms']:.0f} ms)"
    )
    for key in ("p50_ms", "p90_ms", "p99_ms", "max_ms"):
        print(f"    {key[:-3]:<5} {typing[key]:6.1f} ms")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"browser-{stamp}.json"
    out.write_text(
        json.dumps(
            {"chromium": version, "cells": args.cells, "loads": loads, "keystrokes": typing},
            indent=1,
        )
    )
    print(f"\n  written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
