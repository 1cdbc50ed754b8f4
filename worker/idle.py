"""Waiting between rounds of a background loop: until woken, stopped, or the poll interval passes."""

from __future__ import annotations

import asyncio


async def idle(wake: asyncio.Event, stop: asyncio.Event, seconds: float) -> None:
    waiter, stopper = asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({waiter, stopper}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
        stopper.cancel()
