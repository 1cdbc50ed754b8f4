"""Scores the matcher on the evaluation set: precision of auto, share decided automatically, asks."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from invoices import parse_json
from worker.reconcile import reconcile, transactions_from_json

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "eval"


@dataclass
class Evaluation:
    transactions: int
    invoices: int
    auto: int
    auto_correct: int
    should_be_auto: int
    should_be_auto_done: int
    asks: int
    asks_with_truth: int
    wrong: list[str]
    seconds: float
    unexpected: list[str]  # decided otherwise than the set expects (auto / ask / none), right or not

    @property
    def precision(self) -> float:
        return self.auto_correct / self.auto if self.auto else 0.0  # nothing decided: nothing to be proud of

    @property
    def automatic_share(self) -> float:
        return self.should_be_auto_done / self.should_be_auto if self.should_be_auto else 1.0


def evaluate() -> Evaluation:
    invoices = parse_json((DATA / "invoices.json").read_bytes(), "invoices.json")
    transactions = transactions_from_json((DATA / "transactions.json").read_bytes(), "transactions.json")
    expected = {e["transaction"]: e for e in json.loads((DATA / "expected.json").read_text())}
    started = time.perf_counter()
    decisions = reconcile(invoices, transactions)
    seconds = time.perf_counter() - started
    auto = auto_correct = should = should_done = asks = asks_truth = 0
    wrong, unexpected = [], []
    for d in decisions:
        e = expected[d.transaction]
        if d.decision != e["expected"]:
            unexpected.append(f"{d.transaction} ({e['case']}): {d.decision}, expected {e['expected']}")
        if d.decision == "auto":
            auto += 1
            if sorted(d.invoices) == sorted(e["truth"]):
                auto_correct += 1
            else:
                wrong.append(f"{d.transaction} ({e['case']}): auto {d.invoices}, truth {e['truth']}")
        if e["expected"] == "auto":
            should += 1
            should_done += d.decision == "auto" and sorted(d.invoices) == sorted(e["truth"])
        if d.decision == "ask":
            asks += 1
            if set(e["truth"]) & set(d.candidates) or not e["truth"]:
                asks_truth += 1
            else:
                wrong.append(f"{d.transaction} ({e['case']}): asked {d.candidates}, truth {e['truth']}")
        if d.decision == "none" and e["truth"] and e["expected"] != "none":
            wrong.append(f"{d.transaction} ({e['case']}): none, truth {e['truth']}")
    return Evaluation(
        len(transactions),
        len(invoices),
        auto,
        auto_correct,
        should,
        should_done,
        asks,
        asks_truth,
        wrong,
        seconds,
        unexpected,
    )


if __name__ == "__main__":
    result = evaluate()
    print(result)
    print("\n".join(result.wrong))
