"""The one error of this package: where in the source, and what is wrong (and, for a record with several
problems, every one of them, so a person fixes them all at once)."""

from __future__ import annotations


class InvoiceError(Exception):
    def __init__(self, source: str, location: str, message: str, *, also: list[tuple[str, str]] | None = None) -> None:
        self.source = source
        self.location = location
        self.message = message
        self.also = also or []  # further (location, message) pairs of the same record
        more = f" (and {len(self.also)} more problem(s) in the same record)" if self.also else ""
        super().__init__((f"{source}: {location}: {message}" if location else f"{source}: {message}") + more)

    @property
    def problems(self) -> list[tuple[str, str]]:
        """Every (location, message) of the record, the first one first."""
        return [(self.location, self.message), *self.also]
