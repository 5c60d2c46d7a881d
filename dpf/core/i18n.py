"""Names kept in the database in both languages (benefits, document types, indicators)."""

from __future__ import annotations

from django.utils import translation


def localised(zh: str, en: str) -> str:
    """``en`` when the request's language is English and an English name exists, else ``zh``."""
    language = translation.get_language() or ""
    return en if en and language.startswith("en") else zh
