"""Webhooks sent by the Ponto stand-in, signed RS512 like Ponto's, with the keys served as a JWKS."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from .ponto_data import iso
from .targets import Targets

log = logging.getLogger(__name__)
ISSUER = "https://api.ibanity.com"
DEFAULT_AUDIENCE = "sandbox-application"
KID = "sandbox_stand_in_signature_1"


class WebhookSender:
    """Signs and posts events to the app; deliveries are recorded for tests and the control API."""

    def __init__(self, url: str | None, *, audience: str = DEFAULT_AUDIENCE, attempts: int = 3) -> None:
        self.url = url  # or several, separated by commas: deliveries take turns
        self.targets = Targets()
        self.audience = audience
        self.enabled = url is not None
        self.attempts = attempts
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.deliveries: list[dict[str, Any]] = []
        self._tasks: set[asyncio.Task[None]] = set()

    def private_key_pem(self) -> bytes:
        """The signing key, kept by a demo across restarts so the app's cached public key stays right."""
        return self._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def use_private_key_pem(self, pem: bytes) -> None:
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("the webhook signing key must be an RSA key")
        self._key = key

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self._key.public_key()))
        return {"keys": [{**jwk, "kid": KID, "alg": "RS512", "use": "sig", "status": "ACTIVE"}]}

    def sign(self, body: bytes, now: float | None = None) -> str:
        issued = int(time.time() if now is None else now)
        claims = {
            "aud": self.audience,
            "iss": ISSUER,
            "iat": issued,
            "exp": issued + 60,
            "jti": str(uuid.uuid4()),
            "digest": base64.b64encode(hashlib.sha512(body).digest()).decode("ascii"),
        }
        return jwt.encode(claims, self._key, algorithm="RS512", headers={"kid": KID})

    def event(self, event_type: str, relationships: dict[str, str], **attributes: Any) -> bytes:
        data = {
            "type": event_type,
            "id": str(uuid.uuid4()),
            "attributes": {"createdAt": iso(datetime.now(UTC)), **attributes},
            "relationships": {name: {"data": {"type": name, "id": value}} for name, value in relationships.items()},
        }
        return json.dumps({"data": data}).encode("utf-8")

    def send(self, event_type: str, relationships: dict[str, str], **attributes: Any) -> None:
        """Deliver in the background; the stand-in's own request does not wait for the app."""
        if not self.enabled or not self.url:
            return
        body = self.event(event_type, relationships, **attributes)
        task = asyncio.get_running_loop().create_task(self._deliver(body, event_type))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, body: bytes, event_type: str) -> None:
        record: dict[str, Any] = {"type": event_type, "status": None, "attempts": 0}
        self.deliveries.append(record)
        async with httpx.AsyncClient(timeout=10) as client:
            for attempt in range(1, self.attempts + 1):
                record["attempts"] = attempt
                try:
                    response = await client.post(
                        self.targets.next(str(self.url)),
                        content=body,
                        headers={"Content-Type": "application/json", "Signature": self.sign(body)},
                    )
                    record["status"] = response.status_code
                    if response.status_code < 500:
                        return
                except httpx.HTTPError as exc:
                    record["status"] = f"error: {exc!r}"
                await asyncio.sleep(0.5 * attempt)
        log.warning("webhook %s not delivered to %s: %s", event_type, self.url, record["status"])
