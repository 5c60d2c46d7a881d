"""The small kit every service uses on its inputs: a refusal in one line, free text cleaned
and bounded, a date that may not be after today."""

from __future__ import annotations

import datetime as dt

from dpf.core.errors import ValidationFailed
from dpf.core.text import check_text_characters


def refuse(code: str, zh: str, en: str, field: str | None = None) -> ValidationFailed:
    """The refusal to raise: ``raise refuse("code", "中文", "English", "field")``."""
    return ValidationFailed(code, zh, en, field=field)


def clean_text(
    raw: str, *, field: str, label: tuple[str, str], limit: int, required: bool = True
) -> str:
    """One-line text as stored: runs of whitespace made one space, no control or
    text-direction character (``text_characters``), given when ``required`` (``required``),
    at most ``limit`` characters (``too_long``). ``label`` is (Chinese, English); optional
    text left empty is ``""``."""
    zh, en = label
    text = " ".join((raw or "").split())
    check_text_characters(text, field=field, label_zh=zh, label_en=en)
    if required and not text:
        raise refuse("required", f"请填写{zh}", f"please give the {en}", field)
    if len(text) > limit:
        raise refuse(
            "too_long", f"{zh}不超过{limit}字", f"the {en} is at most {limit} characters", field
        )
    return text


def not_after(day: dt.date, today: dt.date, *, field: str, label: tuple[str, str]) -> None:
    """Refuse (``date_in_future``) a ``day`` after ``today``; ``today`` itself is accepted."""
    if day > today:
        zh, en = label
        raise refuse(
            "date_in_future", f"{zh}不能晚于今天", f"the {en} cannot be after today", field
        )
