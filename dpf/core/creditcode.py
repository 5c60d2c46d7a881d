"""Unified social credit codes (统一社会信用代码, GB 32100-2015): validate and normalise.

18 characters from a 31-character alphabet (digits and capital letters without I, O, S, V,
Z): registration authority, organisation kind, 6-digit address code, 9-character
organisation code, and a check character (mod 31 over the first 17). Full-width letters and
digits are read as ASCII and lower case as upper case, so a code has one spelling.
"""

from __future__ import annotations

from dpf.core.errors import ValidationFailed

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {c: i for i, c in enumerate(ALPHABET)}

_MESSAGES: dict[str, tuple[str, str]] = {
    "empty": ("统一社会信用代码不能为空", "The unified social credit code is empty"),
    "length": (
        "统一社会信用代码应为18位",
        "A unified social credit code has 18 characters",
    ),
    "characters": (
        "统一社会信用代码只能包含数字和除I、O、S、V、Z以外的大写字母",
        "A unified social credit code has only digits and the capital letters "
        "other than I, O, S, V and Z",
    ),
    "region": (
        "统一社会信用代码的第3至8位应为行政区划代码（6位数字）",
        "Characters 3 to 8 of a unified social credit code are an address code (6 digits)",
    ),
    "checksum": (
        "统一社会信用代码校验位错误",
        "The check character of the unified social credit code is wrong",
    ),
}


class InvalidCreditCode(ValidationFailed):
    """A unified social credit code that GB 32100 refuses."""

    def __init__(self, code: str, *, field: str | None = "credit_code") -> None:
        zh, en = _MESSAGES[code]
        super().__init__(code, zh, en, field=field)


def check_character(first17: str) -> str:
    """GB 32100 check character of the first 17 characters (weights 3^i mod 31)."""
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def _fold(text: str) -> str:
    # Full-width ASCII (U+FF01..U+FF5E) to ASCII; nothing else is translated, so another
    # script's digits stay and are refused.
    return "".join(chr(ord(c) - 0xFEE0) if 0xFF01 <= ord(c) <= 0xFF5E else c for c in text).upper()


def normalise_credit_code(text: str, *, field: str | None = "credit_code") -> str:
    """The code in its one spelling, or :class:`InvalidCreditCode`."""
    code = _fold((text or "").strip())
    if not code:
        raise InvalidCreditCode("empty", field=field)
    if len(code) != 18:
        raise InvalidCreditCode("length", field=field)
    if any(c not in _VALUE for c in code):
        raise InvalidCreditCode("characters", field=field)
    if not code[2:8].isascii() or not code[2:8].isdigit():
        raise InvalidCreditCode("region", field=field)
    if check_character(code[:17]) != code[17]:
        raise InvalidCreditCode("checksum", field=field)
    return code


def credit_code_region(code: str) -> str:
    """The 6-digit address code inside a valid code."""
    return code[2:8]
