"""Slack installations kept by slack_sdk's SQLAlchemy store, with every token Fernet-encrypted at rest."""

from __future__ import annotations

import copy
import logging
from typing import Any

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation

from storage import TokenCipher

SECRET_FIELDS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token", "incoming_webhook_url")
PREFIX = "fernet:"  # marks an encrypted value, so rows written before encryption still read


class EncryptedInstallationStore(AsyncInstallationStore):
    """Encrypts on the way in, decrypts on the way out; the wrapped store never sees a plain token."""

    def __init__(self, inner: Any, cipher: TokenCipher) -> None:
        self._inner = inner
        self._cipher = cipher

    @property
    def logger(self) -> logging.Logger:
        return self._inner.logger

    def _seal(self, value: Any) -> Any:
        fields = [f for f in SECRET_FIELDS if getattr(value, f, None)]
        sealed = copy.copy(value)
        for name in fields:
            setattr(sealed, name, PREFIX + self._cipher.encrypt(getattr(value, name)))
        return sealed

    def _open(self, value: Any) -> Any:
        if value is None:
            return None
        for name in SECRET_FIELDS:
            current = getattr(value, name, None)
            if isinstance(current, str) and current.startswith(PREFIX):
                setattr(value, name, self._cipher.decrypt(current[len(PREFIX) :]))
        return value

    async def async_save(self, installation: Installation) -> None:
        await self._inner.async_save(self._seal(installation))

    async def async_save_bot(self, bot: Bot) -> None:
        await self._inner.async_save_bot(self._seal(bot))

    async def async_find_bot(self, **kwargs: Any) -> Bot | None:
        return self._open(await self._inner.async_find_bot(**kwargs))

    async def async_find_installation(self, **kwargs: Any) -> Installation | None:
        return self._open(await self._inner.async_find_installation(**kwargs))

    async def async_delete_bot(self, **kwargs: Any) -> None:
        await self._inner.async_delete_bot(**kwargs)

    async def async_delete_installation(self, **kwargs: Any) -> None:
        await self._inner.async_delete_installation(**kwargs)

    async def async_delete_all(self, **kwargs: Any) -> None:
        await self._inner.async_delete_all(**kwargs)
