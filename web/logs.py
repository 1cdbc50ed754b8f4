"""Logging set-up that keeps secrets out of the log: OAuth codes, states and tokens are redacted."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

from worker.log_context import CONTEXT

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


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the ids of `log_context`, the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            **CONTEXT.get(),  # first: an id can never hide the line's own fields
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)


def configure(level: int = logging.INFO, *, json_lines: bool = False) -> None:
    """Root logging with redaction on every handler, uvicorn's included; `json_lines` (LOG_FORMAT=json)
    for log collectors."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    redacting = RedactingFilter()
    for handler in logging.getLogger().handlers:
        handler.addFilter(redacting)
        if json_lines:
            handler.setFormatter(JsonFormatter())
    for name in ("uvicorn", "uvicorn.access", "uvicorn.error"):
        logging.getLogger(name).addFilter(redacting)
    logging.getLogger("alembic").setLevel(logging.WARNING)
