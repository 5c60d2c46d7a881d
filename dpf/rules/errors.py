"""The one error of the rule language: a refusal with a code, both languages and a place."""

from __future__ import annotations

from dpf.core.errors import ValidationFailed


class RuleError(ValidationFailed):
    """A rule text or a facts document that is refused; nothing is saved.

    ``line`` and ``column`` (1-based) point into the rule text when the fault is there;
    ``field`` names the input field when the fault is in a facts document. The messages
    themselves do not repeat the position, so callers can place it as they like
    (``located_zh``/``located_en`` give the usual "第1行第5列：…" form).
    """

    def __init__(
        self,
        code: str,
        message_zh: str,
        message_en: str,
        *,
        line: int | None = None,
        column: int | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(code, message_zh, message_en, field=field)
        self.line = line
        self.column = column
        if line is not None:
            self.args = (f"{code}: line {line}, column {column}: {message_en}",)

    @property
    def located_zh(self) -> str:
        if self.line is None:
            return self.message_zh
        return f"第{self.line}行第{self.column}列：{self.message_zh}"

    @property
    def located_en(self) -> str:
        if self.line is None:
            return self.message_en
        return f"line {self.line}, column {self.column}: {self.message_en}"

    def as_dict(self) -> dict[str, str | None]:
        out = super().as_dict()
        out["line"] = None if self.line is None else str(self.line)
        out["column"] = None if self.column is None else str(self.column)
        return out
