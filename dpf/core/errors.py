"""Domain errors: each carries a stable code and a message in Chinese and English."""

from __future__ import annotations

from django.utils.translation import get_language


class DomainError(Exception):
    """Base of every refusal the platform gives: a code plus a bilingual message.

    ``field`` names the input at fault when there is one, so forms and imports can place
    the message next to it.
    """

    code: str = "error"

    def __init__(
        self, code: str, message_zh: str, message_en: str, *, field: str | None = None
    ) -> None:
        super().__init__(f"{code}: {message_en}")
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.field = field

    @property
    def message(self) -> str:
        """The message in the active language (Chinese unless English is active)."""
        lang = get_language() or "zh-hans"
        return self.message_en if lang.startswith("en") else self.message_zh

    @property
    def bilingual(self) -> str:
        return f"{self.message_zh} / {self.message_en}"

    def as_dict(self) -> dict[str, str | None]:
        return {
            "code": self.code,
            "message": self.message_zh,
            "message_en": self.message_en,
            "field": self.field,
        }


class ValidationFailed(DomainError):
    """Input refused; nothing written."""


class NotFound(DomainError):
    """The record does not exist or is outside the user's scope (never distinguished)."""

    def __init__(self, what: str = "record") -> None:
        super().__init__("not_found", "记录不存在或无权访问", f"{what} not found")
