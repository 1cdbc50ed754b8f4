"""A throwaway certificate authority for mutual-TLS tests."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path  # encrypted with `passphrase`
    passphrase: str
    stranger_cert: Path  # signed by another CA
    stranger_key: Path


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _cert(subject: str, key, issuer_name: x509.Name, issuer_key, *, ca: bool, usage=None, san=None):
    # OpenSSL checks validity against the machine's real clock, also when the suite runs on a
    # shifted date (TEST_TODAY): a throwaway test PKI is valid over a window wide enough for both.
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=3 * 366))
        .not_valid_after(now + timedelta(days=3 * 366))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if usage:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, cert, key, passphrase: str | None = None) -> tuple[Path, Path]:
    cert_path, key_path = path.with_suffix(".crt"), path.with_suffix(".key")
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    encryption = (
        serialization.BestAvailableEncryption(passphrase.encode()) if passphrase else serialization.NoEncryption()
    )
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption))
    return cert_path, key_path


def make_pki(folder: Path) -> Pki:
    ca_key, other_ca_key = _key(), _key()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ponto-slack test CA")])
    ca = _cert("ponto-slack test CA", ca_key, ca_name, ca_key, ca=True)
    other_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "someone else's CA")])
    server_key, client_key, stranger_key = _key(), _key(), _key()
    server = _cert(
        "127.0.0.1",
        server_key,
        ca_name,
        ca_key,
        ca=False,
        usage=ExtendedKeyUsageOID.SERVER_AUTH,
        san=[x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")],
    )
    client = _cert("ponto-slack app", client_key, ca_name, ca_key, ca=False, usage=ExtendedKeyUsageOID.CLIENT_AUTH)
    stranger = _cert(
        "stranger", stranger_key, other_name, other_ca_key, ca=False, usage=ExtendedKeyUsageOID.CLIENT_AUTH
    )
    ca_path = folder / "ca.crt"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    server_cert, server_key_path = _write(folder / "server", server, server_key)
    client_cert, client_key_path = _write(folder / "client", client, client_key, passphrase="s3cret")
    stranger_cert, stranger_key_path = _write(folder / "stranger", stranger, stranger_key)
    return Pki(
        ca_path, server_cert, server_key_path, client_cert, client_key_path, "s3cret", stranger_cert, stranger_key_path
    )
