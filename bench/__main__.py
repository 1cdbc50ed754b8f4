"""Run every benchmark, print its figures with the machine they ran on, and keep them in
bench/results/latest.json (`python -m bench NAME...` runs only those)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from . import ingest, matching_eval, matching_scale, ponto_read, sync_latency
from .machine import describe

BENCHMARKS = {
    "ponto_read": ponto_read.run,
    "sync_latency": sync_latency.run,
    "matching": matching_eval.run,
    "matching_scale": matching_scale.run,
    "ingest": ingest.run,
}
RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


def main(names: list[str]) -> None:
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        sys.exit(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    machine, started = describe(), time.strftime("%Y-%m-%d %H:%M:%S %Z")
    print(f"machine: {machine}")
    print(f"date: {started}")
    figures: dict[str, list[str]] = {}
    for name, run in BENCHMARKS.items():
        if names and name not in names:
            continue
        figures[name] = []
        for line in run():
            figures[name].append(line)
            print(line, flush=True)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"machine": machine, "date": started, "figures": figures}, indent=1) + "\n")
    print(f"written to {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}")


if __name__ == "__main__":
    main(sys.argv[1:])
