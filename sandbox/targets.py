"""Where a stand-in delivers to the app: one URL, or several separated by commas, taking turns as a load
balancer in front of several web processes would."""

from __future__ import annotations

import itertools


class Targets:
    def __init__(self) -> None:
        self._turns = itertools.count()

    def next(self, spec: str) -> str:
        """The URL whose turn it is among those `spec` lists (the list may change between calls)."""
        urls = [url.strip() for url in spec.split(",") if url.strip()]
        return urls[next(self._turns) % len(urls)]


def joined(app_urls: str, path: str) -> str:
    """Each of the app's base URLs with `path` appended, kept as a comma-separated list."""
    return ",".join(url.strip().rstrip("/") + path for url in app_urls.split(",") if url.strip())
