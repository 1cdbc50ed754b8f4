"""Run every benchmark and print its figures with the machine they ran on."""

from __future__ import annotations

import sys
import time

from . import matching_eval, ponto_read, sync_latency
from .machine import describe

BENCHMARKS = {
    "ponto_read": ponto_read.run,
    "sync_latency": sync_latency.run,
    "matching": matching_eval.run,
}


def main(names: list[str]) -> None:
    print(f"machine: {describe()}")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}")
    for name, run in BENCHMARKS.items():
        if names and name not in names:
            continue
        for line in run():
            print(line, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
