"""The matcher at a company's volume: 10,000 lines against 1,000 / 10,000 / 100,000 open invoices, in one
process, with the money it allocates kept track of (as the worker does)."""

from __future__ import annotations

import time

from harness.volume import generate
from matching import Matcher

LINES = 10_000
SIZES = (1_000, 10_000, 100_000)


def decide_all(invoices: int, lines: int = LINES) -> tuple[float, dict[str, int]]:
    volume = generate(invoices, lines, seed=invoices)
    started = time.perf_counter()
    matcher = Matcher(volume.invoices)
    counts = {"auto": 0, "ask": 0, "none": 0}
    for decision in matcher.decide_all(volume.lines):
        counts[decision.decision] += 1
    return time.perf_counter() - started, counts


def run() -> list[str]:
    lines = [f"matching: {LINES:,} generated lines against N open invoices (index built and kept, one process)"]
    seconds = {}
    for size in SIZES:
        took, counts = decide_all(size)
        seconds[size] = took
        lines.append(
            f"  N={size:>7,}: {took:.2f} s ({LINES / took:,.0f} lines/s; "
            f"auto {counts['auto']}, ask {counts['ask']}, none {counts['none']})"
        )
    lines.append(
        f"  growth from {SIZES[0]:,} to {SIZES[-1]:,} open invoices: {seconds[SIZES[-1]] / seconds[SIZES[0]]:.2f}x "
        "(target < 2x); target at 100,000: <= 10 s"
    )
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
