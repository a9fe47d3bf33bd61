"""The completion bench: how long Tab takes to show the kernel's completions, with the shared
kernel idle and busy with another person's long run, beside a bare jupyter_client
complete_request round trip in the same run. Debian's Chromium driven by Playwright against
a real `pairbook serve` and a real ipykernel.

    .venv/bin/python bench/completion/run.py [--requests 50]

Prints the figures and writes them to bench/results/completion-<time>.json.

- popup: Ada presses Tab after `os.pa` in a cell; latency is from the Tab keydown to the
  animation frame in which the completion popup is in the page (measured in the page).
  Escape closes it before the next request. "busy": Bob (a second peer, a stock pycrdt
  client over the websocket) runs `time.sleep(3600)` meanwhile.
- command: the `complete` command's round trip on the websocket (no browser), idle and busy.
- bare: jupyter_client against a kernel of its own: complete_request on the main shell while
  idle, on a subshell while the main shell runs `time.sleep`, and once on the main shell
  while it runs (it waits for the run: that is why pairbook asks in a subshell).
The first request to a kernel loads jedi there (seconds): it is reported apart as "first".
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from jupyter_client.asynchronous.client import AsyncKernelClient  # noqa: E402
from jupyter_client.manager import AsyncKernelManager  # noqa: E402
from playwright.async_api import Page, async_playwright  # noqa: E402

from support.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, invite  # noqa: E402
from support.client import YClient  # noqa: E402
from support.notebooks import write_notebook  # noqa: E402
from support.server import OWNER_TOKEN, ServerProcess  # noqa: E402

RESULTS = ROOT / "bench" / "results"
CODE = "os.pa"
SOURCES = ["import os, time", "print('busy', flush=True)\ntime.sleep(3600)", CODE]

MEASURE = """() => {
  window.__latencies = []
  let started = null
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Tab') started = performance.now()
  }, true)
  new MutationObserver(() => {
    if (started !== null && document.querySelector('.cm-tooltip-autocomplete')) {
      const at = started
      started = null
      requestAnimationFrame(() => window.__latencies.push(performance.now() - at))
    }
  }).observe(document.body, { childList: true, subtree: true })
}"""


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"n": len(ordered), "p50": statistics.median(ordered), "p99": p99, "max": ordered[-1]}


async def popups(page: Page, count: int) -> list[float]:
    """`count` Tab presses at the end of the third cell, each until its popup shows."""
    await page.evaluate("() => { window.__latencies = [] }")
    popup = page.locator(".cm-tooltip-autocomplete")
    for _ in range(count):
        await page.keyboard.press("Tab")
        await popup.wait_for(state="visible")
        await page.keyboard.press("Escape")
        await popup.wait_for(state="detached")
    await page.wait_for_function(f"() => window.__latencies.length >= {count}")
    return list(await page.evaluate("() => window.__latencies"))


async def commands(peer: YClient, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        reply = await peer.command("complete", code=CODE, cursor_pos=len(CODE))
        samples.append((time.perf_counter() - started) * 1000)
        if not reply["ok"] or "path" not in reply["result"]["matches"]:
            raise RuntimeError(f"no completion: {reply}")
    return samples


def ran(peer: YClient, cell_id: str) -> bool:
    runs = peer.map("executions").values()
    return any(r["cell_id"] == cell_id and r["status"] == "ok" for r in runs)


async def until_busy(bob: YClient) -> None:
    assert (await bob.command("run", cells=["code-1"]))["ok"]
    await bob.wait_until(lambda: "busy" in str(bob.cells[2]["outputs"].to_py()), timeout=60)


async def pairbook_figures(server: ServerProcess, count: int) -> dict[str, Any]:
    _, grant = server.request(
        "POST", "/api/join", {"invite": invite(server, "editor"), "name": "Bob"}
    )
    bob_token = str(grant["token"])  # type: ignore[index]
    async with (
        async_playwright() as playwright,
        YClient(server.ws_url("bench.ipynb")) as ada_peer,
        YClient(server.ws_url("bench.ipynb", bob_token)) as bob,
    ):
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await (await browser.new_context(viewport=VIEWPORT)).new_page()  # type: ignore[arg-type]
        page.set_default_timeout(60_000)
        await page.goto(f"{server.base}/notebooks/bench.ipynb?token={OWNER_TOKEN}")
        await page.locator(".status[data-state=connected]").wait_for()
        assert (await bob.command("run", cells=["code-0"]))["ok"]
        await bob.wait_until(lambda: ran(bob, "code-0"), 60)
        await page.evaluate(MEASURE)
        cell = page.locator(".cells > .cell").nth(3)
        await cell.locator(".cm-content").click()
        await page.keyboard.press("Control+End")
        first = (await popups(page, 1))[0]
        figures: dict[str, Any] = {"first": first}
        figures["popup idle"] = summary(await popups(page, count))
        figures["command idle"] = summary(await commands(ada_peer, count))
        await until_busy(bob)
        figures["popup busy"] = summary(await popups(page, count))
        figures["command busy"] = summary(await commands(ada_peer, count))
        assert (await bob.command("interrupt"))["ok"]
        await browser.close()
    return figures


async def bare_request(client: AsyncKernelClient, subshell: str | None) -> float:
    message = client.session.msg("complete_request", {"code": CODE, "cursor_pos": len(CODE)})
    if subshell is not None:
        message["header"]["subshell_id"] = subshell
    started = time.perf_counter()
    client.shell_channel.send(message)
    while True:
        reply = await client.get_shell_msg(timeout=120)
        if reply["parent_header"].get("msg_id") == message["header"]["msg_id"]:
            return (time.perf_counter() - started) * 1000


async def bare_figures(count: int) -> dict[str, Any]:
    manager = AsyncKernelManager(kernel_name="python3", transport="ipc", ip=tempfile.mktemp())
    await manager.start_kernel()
    runner = manager.client()
    runner.start_channels()
    await runner.wait_for_ready(timeout=60)
    asker = AsyncKernelClient()
    asker.load_connection_info(manager.get_connection_info())
    asker.start_channels(iopub=False, stdin=False, hb=False)
    try:
        runner.execute("import os, time")
        created = asker.session.msg("create_subshell_request", {})
        asker.control_channel.send(created)
        subshell = str((await asker.get_control_msg(timeout=30))["content"]["subshell_id"])
        figures: dict[str, Any] = {"first": await bare_request(asker, None)}
        figures["main shell idle"] = summary(
            [await bare_request(asker, None) for _ in range(count)]
        )
        figures["subshell idle"] = summary(
            [await bare_request(asker, subshell) for _ in range(count)]
        )
        runner.execute("time.sleep(8)")
        await asyncio.sleep(1)
        figures["subshell busy"] = summary(
            [await bare_request(asker, subshell) for _ in range(count)]
        )
        figures["main shell busy (one request)"] = await bare_request(asker, None)
    finally:
        asker.stop_channels()
        runner.stop_channels()
        await manager.shutdown_kernel(now=True)
    return figures


def row(name: str, figure: Any) -> str:
    if isinstance(figure, float):
        return f"| {name} | {figure:.1f} (one request) | |"
    return f"| {name} | {figure['p50']:.1f} | {figure['p99']:.1f} |"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    count = parser.parse_args().requests
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "notebooks"
        write_notebook(root / "bench.ipynb", SOURCES)
        with ServerProcess(root, store="memory://") as server:
            pairbook = await pairbook_figures(server, count)
    bare = await bare_figures(count)
    print(f"completion latency, ms, {count} requests each (p50 | p99)")
    print("| measured | p50 | p99 |\n|---|---|---|")
    for name, figure in pairbook.items():
        print(row(f"pairbook {name}", figure))
    for name, figure in bare.items():
        print(row(f"bare jupyter_client {name}", figure))
    RESULTS.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    out = RESULTS / f"completion-{stamp}.json"
    meta = {"machine": platform.platform(), "requests": count}
    out.write_text(json.dumps({"meta": meta, "pairbook": pairbook, "bare": bare}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    asyncio.run(main())
