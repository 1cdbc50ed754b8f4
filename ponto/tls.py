"""The TLS context for Ponto Connect: Ponto requires the application's client certificate (mTLS)."""

from __future__ import annotations

import ssl


def client_context(
    cert_file: str | None = None,
    key_file: str | None = None,
    passphrase: str | None = None,
    *,
    ca_file: str | None = None,
) -> ssl.SSLContext:
    """Verify the server as usual (or against `ca_file`), and present the client certificate if given."""
    context = ssl.create_default_context(cafile=ca_file)
    if cert_file:
        context.load_cert_chain(cert_file, key_file, passphrase)
    return context
