"""A log filter that redacts anything shaped like an ID number, certificate number or phone."""

from __future__ import annotations

import logging
import re

_PATTERNS = [
    re.compile(r"(?<!\d)\d{17}[\dXx](?:\d{2})?(?!\d)"),  # ID and certificate numbers
    re.compile(r"(?<!\d)\d{15}(?!\d)"),  # old 15-digit ID numbers
    re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)"),  # mobile phones
    re.compile(r"(?<!\d)\d{16,19}(?!\d)"),  # bank card numbers
]


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub("[REDACTED]", text)
    return text


class RedactPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            _ = exc
        return True
