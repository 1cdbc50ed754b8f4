"""Logging set-up that keeps secrets out of the log: OAuth codes, states and tokens are redacted."""

from __future__ import annotations

import logging
import re

_SECRET_PARAMS = re.compile(
    r"(?P<key>\b(?:code|state|token|access_token|refresh_token|code_verifier|client_secret)=)[^&\s\"']+"
)
_CODE_PHRASE = re.compile(r"(?i)(\bcode:\s*)\S+")  # bolt: "... oauth.v2.access result with code: X"
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
_SLACK_TOKEN = re.compile(r"\bxox[abposr]-[A-Za-z0-9-]+")


def redact(message: str) -> str:
    message = _SECRET_PARAMS.sub(r"\g<key>[redacted]", message)
    message = _BEARER.sub(r"\1[redacted]", message)
    message = _CODE_PHRASE.sub(r"\1[redacted]", message)
    return _SLACK_TOKEN.sub("xox?-[redacted]", message)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def configure(level: int = logging.INFO) -> None:
    """Root logging with redaction on every handler, uvicorn's included."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    redacting = RedactingFilter()
    for handler in logging.getLogger().handlers:
        handler.addFilter(redacting)
    for name in ("uvicorn", "uvicorn.access", "uvicorn.error"):
        logging.getLogger(name).addFilter(redacting)
    logging.getLogger("alembic").setLevel(logging.WARNING)
