"""The stand-ins' state in a file beside the demo's database, so a restarted `make demo` goes on where it
stopped: the same channel history, the same connection (the refresh token the app holds still works), the
same bank lines under the same ids, nothing announced twice.

The stand-in's tokens are in it, so it is encrypted with the app's token key (Fernet: authenticated, so
only a file this app wrote is ever unpickled) and created 0600 like the database beside it. A file that
cannot be read (another key's or version's, say) is set aside and the demo starts afresh, saying so."""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)
SAVE_EVERY = 1.0  # seconds between two checks for changes


class Keeps(Protocol):
    def export_state(self) -> dict[str, Any]: ...

    def import_state(self, state: dict[str, Any]) -> None: ...


class Cipher(Protocol):
    def encrypt_bytes(self, plaintext: bytes) -> bytes: ...

    def decrypt_bytes(self, ciphertext: bytes) -> bytes: ...


class Snapshots:
    def __init__(self, path: Path, stand_ins: dict[str, Keeps], cipher: Cipher) -> None:
        self.path = path
        self.stand_ins = stand_ins
        self.cipher = cipher
        self._last: bytes | None = None

    def restore(self) -> bool:
        """Load the saved state into the stand-ins; False when there was none (or none that could be read)."""
        if not self.path.is_file():
            return False
        try:
            saved = pickle.loads(self.cipher.decrypt_bytes(self.path.read_bytes()))  # authenticated: our own
            for name, stand_in in self.stand_ins.items():
                if name in saved:
                    stand_in.import_state(saved[name])
        except Exception as exc:  # another version's file, or a torn one: keep it aside, start afresh
            aside = self.path.with_name(self.path.name + ".unreadable")
            os.replace(self.path, aside)
            log.warning("the stand-ins' saved state could not be read (%s): moved to %s, starting afresh", exc, aside)
            return False
        log.info("stand-ins restored from %s", self.path)
        return True

    def save(self) -> bool:
        """Write the state if it changed since the last save (atomically: a crash leaves the old file)."""
        data = pickle.dumps({name: s.export_state() for name, s in self.stand_ins.items()})
        if data == self._last:
            return False
        temporary = self.path.with_name(self.path.name + ".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(self.cipher.encrypt_bytes(data))
        os.replace(temporary, self.path)
        self._last = data
        return True

    async def keep(self, stop: asyncio.Event) -> None:
        """Save every second while the demo runs, and once more when it stops."""
        while not stop.is_set():
            try:
                self.save()
            except OSError as exc:
                log.warning("the stand-ins' state was not saved: %s", exc)
            try:
                await asyncio.wait_for(stop.wait(), timeout=SAVE_EVERY)
            except TimeoutError:
                pass
        self.save()
