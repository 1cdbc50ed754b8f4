"""Run every benchmark, print its figures with the machine they ran on, and keep them in
bench/results/latest.json, each benchmark with its own machine and date (`python -m bench NAME...`
runs only those and keeps the others' last figures)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from . import ack_latency, ingest, matching_eval, matching_scale, ponto_read, sync_latency
from .machine import describe

BENCHMARKS = {
    "ponto_read": ponto_read.run,
    "sync_latency": sync_latency.run,
    "matching": matching_eval.run,
    "matching_scale": matching_scale.run,
    "ingest": ingest.run,
    "ack_latency": ack_latency.run,
}
RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


def main(names: list[str]) -> None:
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        sys.exit(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    machine, started = describe(), time.strftime("%Y-%m-%d %H:%M:%S %Z")
    print(f"machine: {machine}")
    print(f"date: {started}")
    kept = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results: dict[str, dict[str, object]] = kept.get("benchmarks", {}) if isinstance(kept, dict) else {}
    for name, run in BENCHMARKS.items():
        if names and name not in names:
            continue
        lines = []
        for line in run():
            lines.append(line)
            print(line, flush=True)
        results[name] = {"machine": machine, "date": started, "figures": lines}  # the others keep theirs
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"benchmarks": results}, indent=1) + "\n")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main(sys.argv[1:])
