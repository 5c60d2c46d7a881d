"""Pinyin keys for name search: workers type initials (``zhm`` finds 张海明)."""

from __future__ import annotations

from pypinyin import Style, lazy_pinyin

# Surnames whose reading differs from the character's common reading.
_SURNAME_READINGS = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "区": "ou",
    "仇": "qiu",
    "朴": "piao",
    "查": "zha",
    "翟": "zhai",
    "乐": "yue",
    "尉": "yu",
    "覃": "qin",
    "盖": "ge",
    "缪": "miao",
    "繁": "po",
    "长孙": "zhangsun",
}


def name_pinyin(name: str) -> list[str]:
    """Syllables of a Chinese personal name, with surname readings corrected."""
    if not name:
        return []
    for surname, reading in _SURNAME_READINGS.items():
        if name.startswith(surname) and len(surname) == 1:
            return [reading, *lazy_pinyin(name[1:], errors="ignore")]
    return [s.lower() for s in lazy_pinyin(name, errors="ignore", style=Style.NORMAL)]


def name_initials(name: str) -> str:
    return name_search_keys(name)[0]


def name_full_pinyin(name: str) -> str:
    return name_search_keys(name)[1]


def name_search_keys(name: str) -> tuple[str, str]:
    """Initials and full pinyin of a name from one reading (``name_pinyin`` is the costly
    part when both are stored)."""
    syllables = name_pinyin(name)
    return "".join(s[0] for s in syllables if s), "".join(syllables)
