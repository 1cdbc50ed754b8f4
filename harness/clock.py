"""Run the suite on another date: `TEST_TODAY=2027-02-28 make test` (see `make test-dates`).

The test process travels with time-machine (the clock keeps ticking from that day's 09:00 UTC), and
every process a test starts (`ponto-slack serve`, the CLI, a stand-in) is started through
`cli_command`, which makes it travel to the same moment before it runs.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime

VARIABLE = "TEST_TODAY"


def shifted_start() -> datetime | None:
    """The moment the suite pretends it started at, or None to use the real clock."""
    value = os.environ.get(VARIABLE, "").strip()
    if not value:
        return None
    return datetime.fromisoformat(value).replace(hour=9, tzinfo=UTC)


def cli_command(*args: str) -> list[str]:
    """`python -m web.cli ARGS`, on the shifted clock when the suite runs on another date."""
    start = shifted_start()
    if start is None:
        return [sys.executable, "-m", "web.cli", *args]
    bootstrap = (
        "import runpy, sys, time_machine; "
        f"time_machine.travel({start.isoformat()!r}, tick=True).start(); "
        "sys.argv = ['ponto-slack', *sys.argv[1:]]; "
        "runpy.run_module('web.cli', run_name='__main__', alter_sys=True)"
    )
    return [sys.executable, "-c", bootstrap, *args]
