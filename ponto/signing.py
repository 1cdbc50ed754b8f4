"""HTTP request signing for Ponto Connect (Digest SHA-512, Signature hs2019 with RSA-PSS SHA-256).

The signing string lists `(request-target)`, `host`, `digest`, `(created)`, then `authorization`
and every `ibanity-*` header present, one `name: value` line each (reference §3.2). Standard
Base64 and an unquoted `created`, as the .NET and PHP SDKs send them.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def digest_header(body: bytes) -> str:
    return "SHA-512=" + base64.b64encode(hashlib.sha512(body).digest()).decode("ascii")


class RequestSigner:
    """Adds `Digest` and `Signature` headers with the signature certificate's private key."""

    def __init__(
        self,
        private_key_pem: bytes,
        certificate_id: str,
        *,
        passphrase: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        key = serialization.load_pem_private_key(private_key_pem, password=passphrase.encode() if passphrase else None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("the Ponto signature key must be an RSA private key")
        self._key = key
        self._certificate_id = certificate_id
        self._clock = clock

    def signing_string(
        self, method: str, target: str, host: str, headers: Mapping[str, str], created: int
    ) -> tuple[str, list[str]]:
        lines = [
            ("(request-target)", f"{method.lower()} {target}"),
            ("host", host),
            ("digest", headers["digest"]),
            ("(created)", str(created)),
        ]
        lowered = {name.lower(): value for name, value in headers.items()}
        if "authorization" in lowered:
            lines.append(("authorization", lowered["authorization"]))
        lines.extend(sorted((name, value) for name, value in lowered.items() if name.startswith("ibanity-")))
        return "\n".join(f"{name}: {value}" for name, value in lines), [name for name, _ in lines]

    def sign(self, method: str, target: str, host: str, body: bytes, headers: Mapping[str, str]) -> dict[str, str]:
        """The headers to add: `Digest` and `Signature`."""
        created = int(self._clock())
        added = {"Digest": digest_header(body)}
        text, names = self.signing_string(method, target, host, {**headers, "digest": added["Digest"]}, created)
        signature = self._key.sign(
            text.encode("utf-8"),
            padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
            hashes.SHA256(),
        )
        added["Signature"] = (
            f'keyId="{self._certificate_id}",created={created},algorithm="hs2019",'
            f'headers="{" ".join(names)}",signature="{base64.b64encode(signature).decode("ascii")}"'
        )
        return added

    async def hook(self, request: httpx.Request) -> None:
        """An httpx request hook: every call through the client is signed (API, token and revoke alike)."""
        body = request.read()
        target = request.url.raw_path.decode("ascii")
        request.headers.update(
            self.sign(request.method, target, request.url.netloc.decode("ascii"), body, request.headers)
        )


def signed_client(signer: RequestSigner | None, **options: Any) -> httpx.AsyncClient:
    """An httpx client for Ponto that signs every request when a signer is configured."""
    hooks = {"request": [signer.hook]} if signer is not None else {}
    return httpx.AsyncClient(event_hooks=hooks, **options)
