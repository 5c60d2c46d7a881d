"""Text messages to citizens' phones through a pluggable sender.

``DPF_MESSAGE_SENDER`` names a class (dotted path) with ``send(phone, text)``. The default
``FileSender`` appends to ``DATA_DIR/messages/outbox.txt`` (development, tests, demo); a real
SMS gateway is a class of the same shape named in the configuration. No sender logs a
phone number in clear next to the text it carries.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from dpf.core.crypto import mask_phone

DEFAULT_SENDER = "dpf.portal.messaging.FileSender"


class Sender(Protocol):
    def send(self, phone: str, text: str) -> None: ...


def outbox_path() -> Path:
    configured = getattr(settings, "DPF_MESSAGE_OUTBOX", None)
    return Path(configured) if configured else Path(settings.DATA_DIR) / "messages" / "outbox.txt"


class FileSender:
    """Appends ``time<TAB>masked phone<TAB>text`` lines to the outbox file."""

    _lock = threading.Lock()

    def send(self, phone: str, text: str) -> None:
        path = outbox_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        line = f"{timezone.now():%Y-%m-%dT%H:%M:%S%z}\t{mask_phone(phone)}\t{text}\n"
        with self._lock, path.open("a", encoding="utf-8") as fh:
            fh.write(line)


class MemorySender:
    """Keeps the messages in ``MemorySender.sent`` (tests); phones are stored masked."""

    sent: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        self.sent.append((mask_phone(phone), text))


def sender() -> Any:
    return import_string(getattr(settings, "DPF_MESSAGE_SENDER", DEFAULT_SENDER))()


def send(phone: str, text: str) -> None:
    sender().send(phone, text)
