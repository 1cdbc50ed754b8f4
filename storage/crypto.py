"""Encryption of tokens at rest (Fernet); several keys allow rotation, newest first."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class TokenDecryptionError(Exception):
    """A stored token could not be decrypted with any configured key."""


class TokenCipher:
    """Encrypts with the newest key, decrypts with any of them."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one Fernet key is needed")
        try:
            self._fernet = MultiFernet([Fernet(key.strip().encode("ascii")) for key in keys])
        except ValueError as exc:
            raise ValueError(
                "TOKEN_ENCRYPTION_KEY must hold Fernet keys (32 url-safe base64 bytes), comma separated"
            ) from exc

    @classmethod
    def from_setting(cls, value: str) -> TokenCipher:
        return cls([part for part in value.split(",") if part.strip()])

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode("ascii")

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise TokenDecryptionError(
                "a stored token cannot be decrypted: was TOKEN_ENCRYPTION_KEY changed without "
                "keeping the old key after the new one?"
            ) from exc

    def encrypt_bytes(self, plaintext: bytes) -> bytes:
        return self._fernet.encrypt(plaintext)

    def decrypt_bytes(self, ciphertext: bytes) -> bytes:
        """Authenticated: anything not encrypted by these keys (or altered since) raises TokenDecryptionError."""
        try:
            return self._fernet.decrypt(ciphertext)
        except InvalidToken as exc:
            raise TokenDecryptionError("not encrypted with any of the configured keys, or altered") from exc

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt with the newest key."""
        return self._fernet.rotate(ciphertext.encode("ascii")).decode("ascii")
