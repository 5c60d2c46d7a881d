"""Text that identifies people as it enters the platform: digits of ID and certificate
numbers (full-width folded to ASCII, every other script refused), persons' names (no
invisible or control characters that could make staff read something else), and the
other text typed about them (no control or text-direction characters).
"""

from __future__ import annotations

import re
import unicodedata

from dpf.core.errors import ValidationFailed

# Full-width digits (U+FF10-FF19) and the full-width X (U+FF38, U+FF58): what a Chinese
# input method types. Nothing else is folded: other digits (Arabic-Indic, Devanagari,
# mathematical, superscript ...) would make a second spelling of the same number.
_FULLWIDTH = {0xFF10 + d: str(d) for d in range(10)} | {0xFF38: "X", 0xFF58: "x"}


def fold_fullwidth_digits(text: str) -> str:
    """``"１５０４０２"`` → ``"150402"``; full-width X too; every other character kept."""
    return text.translate(_FULLWIDTH)


def is_ascii_number(text: str, *, last_x: bool = False) -> bool:
    """Only ASCII digits 0-9 (``str.isdigit`` and ``re``'s ``\\d`` take every script's
    digits), optionally with an ``X`` as the last character."""
    pattern = r"[0-9]*[0-9X]" if last_x else r"[0-9]+"
    return re.fullmatch(pattern, text, flags=re.ASCII) is not None


# --- persons' names ----------------------------------------------------------------------

NAME_MAX_LENGTH = 50

# Unicode categories never part of a name: controls (C0, C1, DEL), format characters
# (bidirectional overrides and isolates, zero-width space/joiners, soft hyphen, BOM ...),
# private use, surrogates, unassigned code points, line and paragraph separators.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})
# Letters and marks that render as nothing (Hangul fillers, Braille blank, the combining
# grapheme joiner, Khmer inherent vowels, the Mongolian vowel separator): used to make two
# names that look the same.
_INVISIBLE = frozenset({0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, 0x2800, 0x3164, 0xFFA0})
_SPACES = re.compile(r"\s+")


class InvalidName(ValidationFailed):
    """A person's name the platform refuses."""

    def __init__(self, code: str, zh: str, en: str, *, field: str | None = "name") -> None:
        super().__init__(code, zh, en, field=field)


def check_name_characters(text: str, *, field: str | None = "name") -> None:
    """Refuse (code ``name_characters``) a name holding an invisible or control character;
    the message gives its position and code point, never the name."""
    for position, char in enumerate(text, start=1):
        if unicodedata.category(char) in _REFUSED_CATEGORIES or ord(char) in _INVISIBLE:
            point = f"U+{ord(char):04X}"
            raise InvalidName(
                "name_characters",
                f"姓名的第{position}个字符（{point}）是不可见字符或控制字符（如文字方向控制符），"
                "请删除后重新输入",
                f"character {position} of the name ({point}) is an invisible or control "
                "character (such as a text-direction override): remove it and type the name "
                "again",
                field=field,
            )


# Bidirectional formatting: embeddings, overrides, isolates and the three marks.
_DIRECTION = frozenset({0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)})
_LINE_BREAKS = frozenset("\r\n\t")


class InvalidText(ValidationFailed):
    """One-line or free text holding a control or text-direction character."""


def check_text_characters(
    text: str, *, field: str, label_zh: str, label_en: str, multiline: bool = False
) -> None:
    """Refuse (code ``text_characters``) control characters (C0, DEL, C1; line breaks and
    tabs allowed only in ``multiline`` text), text-direction formatting characters, line
    and paragraph separators, private-use and unassigned code points in text other than
    names (an address, an ethnicity, a reason). The message names the position and the
    code point, never the text."""
    for position, char in enumerate(text, start=1):
        if multiline and char in _LINE_BREAKS:
            continue
        category = unicodedata.category(char)
        if category in ("Cc", "Co", "Cs", "Cn", "Zl", "Zp") or ord(char) in _DIRECTION:
            point = f"U+{ord(char):04X}"
            raise InvalidText(
                "text_characters",
                f"{label_zh}的第{position}个字符（{point}）是控制字符或文字方向控制符，"
                "请删除后重新输入",
                f"character {position} of the {label_en} ({point}) is a control or "
                "text-direction character: remove it and type it again",
                field=field,
            )


def clean_person_name(
    raw: object, *, field: str | None = "name", max_length: int = NAME_MAX_LENGTH
) -> str:
    """The name as stored: surrounding space removed, inner runs of space made one space.

    Refused (:class:`InvalidName`) when empty, longer than ``max_length``, or holding an
    invisible or control character (:func:`check_name_characters`).
    """
    text = "" if raw is None else str(raw).strip()
    check_name_characters(text, field=field)
    name = _SPACES.sub(" ", text).strip()
    if not name:
        raise InvalidName("name_empty", "姓名不能为空", "the name is empty", field=field)
    if len(name) > max_length:
        raise InvalidName(
            "name_long",
            f"姓名过长（最多{max_length}个字）",
            f"the name is too long (at most {max_length} characters)",
            field=field,
        )
    return name
