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
from django.db import transaction
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


def mobile_number(raw: str) -> str | None:
    """The 11-digit mainland mobile number in ``raw`` (spaces and +86 allowed), else None."""
    digits = "".join((raw or "").split()).removeprefix("+86")
    if len(digits) == 11 and digits.isascii() and digits.isdigit() and digits.startswith("1"):
        return digits
    return None


def send_to_phone_on_file(phone_on_file: str, text: str) -> bool:
    """Send ``text`` to a person's phone on file once the transaction commits.

    False when the number on file is not a mobile number: nothing is sent (a landline
    cannot take a text message). Registered with the workflow for payee account notices.
    """
    phone = mobile_number(phone_on_file)
    if phone is None:
        return False
    transaction.on_commit(lambda: send(phone, text))
    return True
