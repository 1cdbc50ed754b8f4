"""The matcher at a company's volume: 10,000 lines against 1,000 / 10,000 / 100,000 open invoices, in one
process, with the money it allocates kept track of (as the worker does)."""

from __future__ import annotations

import time

from harness.volume import generate
from matching import Matcher

LINES = 10_000
SIZES = (1_000, 10_000, 100_000)


def decide_all(invoices: int, lines: int = LINES) -> tuple[float, float, dict[str, int]]:
    """Seconds to build the index over the open invoices, seconds to decide the lines, and the decisions."""
    volume = generate(invoices, lines, seed=invoices)
    started = time.perf_counter()
    matcher = Matcher(volume.invoices)
    built = time.perf_counter()
    counts = {"auto": 0, "ask": 0, "none": 0}
    for decision in matcher.decide_all(volume.lines):
        counts[decision.decision] += 1
    return built - started, time.perf_counter() - built, counts


def run() -> list[str]:
    lines = [f"matching: {LINES:,} generated lines against N open invoices (index built and kept, one process)"]
    total, deciding = {}, {}
    for size in SIZES:
        build, decide, counts = decide_all(size)
        total[size], deciding[size] = build + decide, decide
        lines.append(
            f"  N={size:>7,}: {build + decide:.2f} s = index {build:.2f} s + deciding {decide:.2f} s "
            f"({LINES / decide:,.0f} lines/s; auto {counts['auto']}, ask {counts['ask']}, none {counts['none']})"
        )
    first, last = SIZES[0], SIZES[-1]
    lines.append(
        f"  growth from {first:,} to {last:,} open invoices: {total[last] / total[first]:.2f}x with the index built, "
        f"{deciding[last] / deciding[first]:.2f}x deciding alone (target < 2x); target at 100,000: <= 10 s"
    )
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
