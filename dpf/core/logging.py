"""Log redaction: anything shaped like an ID number, certificate number, phone or bank card
becomes ``[REDACTED]`` in every log line the process writes.

``configure`` (Django's ``LOGGING_CONFIG``) applies ``settings.LOGGING``, whose handlers all
carry ``RedactPersonalData``, and installs a log record factory that redacts each record as
it is made, so a handler some library adds by itself (lark's, gunicorn's access log in a
worker) prints redacted lines too.
"""

from __future__ import annotations

import logging
import logging.config
import re
from typing import Any
from urllib.parse import unquote

_PATTERNS = [
    re.compile(r"(?<!\d)\d{17}[\dXx](?:\d{2})?(?!\d)"),  # ID and certificate numbers
    re.compile(r"(?<!\d)\d{15}(?!\d)"),  # old 15-digit ID numbers
    re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)"),  # mobile phones
    re.compile(r"(?<!\d)\d{16,19}(?!\d)"),  # bank card numbers
]


def _redact_plain(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub("[REDACTED]", text)
    return text


def redact(text: str) -> str:
    """``text`` with personal numbers replaced by ``[REDACTED]``.

    A URL in an access log may carry a number percent-encoded (``%31%35…``, or full-width
    digits as UTF-8 escapes): when decoding reveals one, the decoded text is redacted.
    """
    cleaned = _redact_plain(text)
    if "%" in cleaned:
        decoded = unquote(cleaned)
        redacted = _redact_plain(decoded)
        if redacted != decoded:
            return redacted
    return cleaned


class RedactPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_dpf_redacted", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not crash the caller
            # logging reports such a record through Handler.handleError, which would print
            # the arguments unredacted: keep the redacted template only.
            record.msg, record.args = redact(str(record.msg)), None
        else:
            cleaned = redact(message)
            if cleaned != message:
                record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        record._dpf_redacted = True
        return True


_REDACT = RedactPersonalData()


def install_record_redaction() -> None:
    """Make every log record of this process redacted when it is created (idempotent)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "dpf_redacting", False):
        return

    def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _REDACT.filter(record)
        return record

    redacting_factory.dpf_redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(redacting_factory)


def configure(config: dict[str, Any]) -> None:
    """Django's ``LOGGING_CONFIG``: apply ``settings.LOGGING`` and redact every record."""
    logging.config.dictConfig(config)
    install_record_redaction()
