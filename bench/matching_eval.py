"""The matcher on the evaluation set: precision of auto decisions, share automatic, time taken."""

from __future__ import annotations

from harness.evaluate import evaluate


def run() -> list[str]:
    result = evaluate()
    return [
        f"matching: {result.transactions} transactions against {result.invoices} invoices (tests/data/eval)",
        f"  auto decisions: {result.auto}, correct {result.auto_correct}: precision {result.precision:.1%}",
        f"  decided automatically among the {result.should_be_auto} payments with one right answer: "
        f"{result.should_be_auto_done} ({result.automatic_share:.1%})",
        f"  questions: {result.asks}, offering the right invoice: {result.asks_with_truth}",
        f"  time: {result.seconds * 1000:.0f} ms, {result.seconds / result.transactions * 1000:.2f} ms a transaction",
    ]
