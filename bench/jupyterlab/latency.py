"""Keystroke latency between JupyterLab (pairbook's extension) and pairbook's browser client,
beside the browser-to-browser reference measured in the same run. Debian's Chromium driven
by Playwright, a real `jupyter lab` and a real `pairbook serve` on this machine.

    .venv/bin/python bench/jupyterlab/latency.py [--keys 200] [--interval 30]

Three directions, each one person typing --keys characters, one every --interval ms, into a
code cell the other has on screen: browser -> browser (the reference), JupyterLab ->
browser, browser -> JupyterLab. Latency is from the keydown in the typist's page to the
animation frame in which the partner's editor shows the character (both pages read the same
machine clock, `performance.timeOrigin + performance.now()`), as bench/browser/run.py
measures it. The machine is shared: compare the directions with each other (ratios), not
with another run's figures. Writes bench/results/jupyterlab-latency-<time>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]  # support.*, and bench.browser.keystrokes

from bench.browser.keystrokes import type_and_measure  # noqa: E402
from playwright.sync_api import Browser, Locator, Page, sync_playwright  # noqa: E402

from support.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT  # noqa: E402
from support.jupyterlab import EXTENSION, LabProcess  # noqa: E402
from support.notebooks import write_notebook  # noqa: E402
from support.server import OWNER_TOKEN, ServerProcess, free_port  # noqa: E402

RESULTS = ROOT / "bench" / "results"
NOTEBOOK = "typing.ipynb"

# Counts the characters an editor shows, without partners' carets and name tags (pairbook's
# `.cm-ySelectionCaret`, JupyterLab's `.jp-remote-*`), per animation frame.
RECEIVER = """
content => {
  window.arrivals = []
  if (window.receiving) window.receiving.disconnect()  // one observer per page
  const shown = () => [...content.querySelectorAll('.cm-line')].map(line => {
    const copy = line.cloneNode(true)
    copy.querySelectorAll('.cm-ySelectionCaret, .cm-widgetBuffer, [class*="jp-remote"]')
      .forEach(w => w.remove())
    return copy.textContent
  }).join('\\n').replace(/\\u200b/g, '').length
  let seen = shown()
  window.receiving = new MutationObserver(() => requestAnimationFrame(() => {
    const now = performance.timeOrigin + performance.now()
    const length = shown()
    while (seen < length) { seen += 1; window.arrivals.push(now) }
  }))
  window.receiving.observe(content, { childList: true, subtree: true, characterData: true })
}
"""

SENDER = """
() => {
  window.sent = []
  if (window.sending) return  // one listener per page, however many directions it types in
  window.sending = true
  const now = () => performance.timeOrigin + performance.now()
  document.addEventListener('keydown', () => window.sent.push(now()), true)
}
"""


def browser_tab(browser: Browser, server: ServerProcess, token: str) -> tuple[Page, Locator]:
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto(f"{server.base}/notebooks/{NOTEBOOK}?token={token}")
    page.locator(".status[data-state=connected]").wait_for()
    editor = page.locator(".cells > .cell-code").first.locator(".cm-content")
    editor.wait_for()
    return page, editor


def lab_tab(
    browser: Browser, lab: LabProcess, server: ServerProcess, token: str
) -> tuple[Page, Locator]:
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto(f"{lab.base}/lab")
    page.locator(".jp-Launcher").wait_for(timeout=120_000)
    link = f"{server.base}/notebooks/{NOTEBOOK}?token={token}"
    page.evaluate("link => window.jupyterapp.commands.execute('pairbook:open-room', {link})", link)
    editor = page.locator(".jp-Notebook .jp-CodeCell").first.locator(".cm-content")
    editor.wait_for()
    return page, editor


def measure(typist: tuple[Page, Locator], partner: tuple[Page, Locator], keys: int,
            interval: float) -> dict[str, Any]:  # fmt: skip
    (typing_page, typing_editor), (partner_page, partner_editor) = typist, partner
    typing_page.evaluate(SENDER)
    typing_editor.click()
    typing_page.keyboard.press("Control+End")
    typing_page.keyboard.press("Enter")
    partner_page.wait_for_timeout(500)  # the Enter's own line reaches the partner first
    partner_editor.evaluate(RECEIVER)
    return type_and_measure(typing_page, partner_page, keys, interval)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--keys", type=int, default=200)
    parser.add_argument("--interval", type=float, default=30.0, help="ms between keystrokes")
    args = parser.parse_args()
    if not (EXTENSION / "package.json").exists():
        sys.exit("pairbook's JupyterLab extension is not installed: run scripts/install.sh")
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        (base / "notebooks").mkdir()
        write_notebook(base / "notebooks" / NOTEBOOK, ["x = 1", "y = 2"])
        lab_port = free_port()
        allow = ("--allow-origin", f"http://127.0.0.1:{lab_port}")
        with (
            ServerProcess(base / "notebooks", store=str(base / "s.sqlite"), args=allow) as server,
            LabProcess(base / "lab", port=lab_port) as lab,
            sync_playwright() as pw,
        ):
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            ada = browser_tab(browser, server, OWNER_TOKEN)
            bob = browser_tab(browser, server, server.join("editor", "Bob")[0])
            lin = lab_tab(browser, lab, server, server.join("editor", "Lin")[0])
            for name, typist, partner in (
                ("browser -> browser (reference)", ada, bob),
                ("JupyterLab -> browser", lin, ada),
                ("browser -> JupyterLab", ada, lin),
            ):
                results[name] = measure(typist, partner, args.keys, args.interval)
            version = browser.version
            browser.close()
    reference = results["browser -> browser (reference)"]
    print(f"\nkeystroke latency, Chromium {version}, {args.keys} keys one every "
          f"{args.interval:.0f} ms (shared machine: read the ratios)\n")  # fmt: skip
    print(f"  {'direction':<32} {'p50 ms':>8} {'p99 ms':>8} {'p50 ×ref':>9} {'p99 ×ref':>9}")
    for name, figures in results.items():
        print(
            f"  {name:<32} {figures['p50_ms']:8.1f} {figures['p99_ms']:8.1f} "
            f"{figures['p50_ms'] / reference['p50_ms']:9.2f} "
            f"{figures['p99_ms'] / reference['p99_ms']:9.2f}"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"jupyterlab-latency-{stamp}.json"
    out.write_text(json.dumps({"chromium": version, "interval_ms": args.interval,
                               "directions": results}, indent=1))  # fmt: skip
    print(f"\n  written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
