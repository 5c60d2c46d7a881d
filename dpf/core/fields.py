"""Model fields that encrypt personal data transparently (AES-GCM, see crypto.py)."""

from __future__ import annotations

from typing import Any

from django.db import models

from dpf.core import crypto


class EncryptedTextField(models.TextField):
    """Stores ``encrypt(value)``; Python code sees the plain text.

    Not searchable or orderable in SQL by design: look-ups use a separate keyed hash
    column (see ``Person.id_number_hash``).
    """

    description = "Text encrypted at rest (AES-GCM)"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value))
