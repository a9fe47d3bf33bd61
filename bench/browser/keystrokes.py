"""Keystroke latency from one page to another, as the browser benches measure it: the
typist's keydowns and the partner's arrivals (the animation frame in which its editor shows
the character) on the same machine clock, `performance.timeOrigin + performance.now()`."""

from __future__ import annotations

import statistics
import time

from playwright.sync_api import Page

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def type_and_measure(typist: Page, partner: Page, keys: int, interval: float) -> dict[str, float]:
    """Type `keys` letters on `typist` (focused editor, SENDER installed), one every
    `interval` ms, and wait for the partner (RECEIVER installed) to show them all; the
    latencies' percentiles in ms."""
    typist.evaluate("() => { window.sent = [] }")
    for i in range(keys):
        typist.keyboard.press(LETTERS[i % len(LETTERS)])
        time.sleep(interval / 1000)  # typing pace, not a wait for a result
    partner.wait_for_function(f"() => window.arrivals.length >= {keys}")
    sent: list[float] = typist.evaluate("() => window.sent")
    arrived: list[float] = partner.evaluate("() => window.arrivals")
    latencies = sorted(a - s for s, a in zip(sent[:keys], arrived[:keys], strict=True))

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))]

    return {
        "keys": keys,
        "p50_ms": statistics.median(latencies),
        "p90_ms": pct(0.90),
        "p99_ms": pct(0.99),
        "max_ms": latencies[-1],
        "mean_ms": statistics.fmean(latencies),
    }
