"""The one error of this package: where in the source, and what is wrong."""

from __future__ import annotations


class InvoiceError(Exception):
    def __init__(self, source: str, location: str, message: str) -> None:
        self.source = source
        self.location = location
        self.message = message
        super().__init__(f"{source}: {location}: {message}" if location else f"{source}: {message}")
