"""Persons' names: invisible and control characters refused (issue 14, hole 7).

A right-to-left override (U+202E) makes ``张三\\u202e明海`` read as ``张三海明`` on staff
screens; a zero-width space makes two names look alike while comparing differently; C0/C1
controls break exports and logs. Every entry point runs names through
``dpf.core.text.clean_person_name`` (the registry) or ``check_name_characters`` (rosters).
"""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dpf.core.idnumber import make_id_number
from dpf.core.text import (
    InvalidName,
    InvalidText,
    check_name_characters,
    check_text_characters,
    clean_person_name,
)
from dpf.exchange.parsing import parse_row
from dpf.exchange.rostertypes import HOUSEHOLD

TODAY = dt.date(2026, 11, 29)

# Bidirectional overrides, embeddings, isolates and marks; zero-width characters; BOM;
# soft hyphen; C0, DEL and C1 controls; invisible letters.
HOSTILE = [
    "\u202e",  # RIGHT-TO-LEFT OVERRIDE
    "\u202d",  # LEFT-TO-RIGHT OVERRIDE
    "\u202a",
    "\u202b",
    "\u202c",
    "\u2066",  # LEFT-TO-RIGHT ISOLATE
    "\u2067",
    "\u2068",
    "\u2069",
    "\u200e",  # LEFT-TO-RIGHT MARK
    "\u200f",
    "\u061c",  # ARABIC LETTER MARK
    "\u200b",  # ZERO WIDTH SPACE
    "\u200c",
    "\u200d",
    "\u2060",  # WORD JOINER
    "\ufeff",  # BOM
    "\u00ad",  # SOFT HYPHEN
    "\u180e",  # MONGOLIAN VOWEL SEPARATOR
    "\u3164",  # HANGUL FILLER
    "\u2800",  # BRAILLE PATTERN BLANK
    "\u034f",  # COMBINING GRAPHEME JOINER
    "\x00",
    "\x07",
    "\n",
    "\t",
    "\x1b",
    "\x7f",
    "\x85",
    "\x9b",
    "\u2028",  # LINE SEPARATOR
    "\ue000",  # private use
]


@pytest.mark.parametrize("char", HOSTILE, ids=lambda c: f"U+{ord(c):04X}")
def test_invisible_and_control_characters_inside_a_name_are_refused(char: str) -> None:
    with pytest.raises(InvalidName) as info:
        clean_person_name(f"张三{char}明海")
    refusal = info.value
    assert refusal.code == "name_characters"
    assert refusal.field == "name"
    assert f"U+{ord(char):04X}" in refusal.message_zh
    assert "第3个字符" in refusal.message_zh
    assert f"U+{ord(char):04X}" in refusal.message_en
    assert "character 3" in refusal.message_en
    assert "张三" not in refusal.message_zh + refusal.message_en  # the name is never echoed


@given(
    first=st.text(alphabet=st.characters(categories=["Lo"]), min_size=1, max_size=10),
    char=st.characters(categories=["Cc", "Cf", "Co", "Zl", "Zp"]),
    rest=st.text(alphabet=st.characters(categories=["Lo"]), min_size=1, max_size=10),
)
def test_any_control_or_format_character_inside_a_name_is_refused(
    first: str, char: str, rest: str
) -> None:
    with pytest.raises(InvalidName) as info:
        clean_person_name(first + char + rest)
    assert info.value.code == "name_characters"


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("  张海明 ", "张海明"),
        ("张海明\n", "张海明"),  # a pasted line end around the name is trimmed
        ("巴特尔·额尔敦", "巴特尔·额尔敦"),
        ("Maria  Garcia", "Maria Garcia"),
        ("阿　依", "阿 依"),  # ideographic space inside becomes one space
        ("𠀋𡈽", "𠀋𡈽"),  # supplementary-plane characters are letters
    ],
)
def test_ordinary_names_are_kept(raw: str, stored: str) -> None:
    assert clean_person_name(raw) == stored


def test_empty_and_long_names_keep_their_codes() -> None:
    for raw in ("", "   ", None):
        with pytest.raises(InvalidName) as info:
            clean_person_name(raw)
        assert info.value.code == "name_empty"
    with pytest.raises(InvalidName) as info:
        clean_person_name("张" * 51)
    assert info.value.code == "name_long"
    assert "50" in info.value.message_zh
    assert clean_person_name("张" * 50) == "张" * 50


def test_the_message_names_the_field_given() -> None:
    with pytest.raises(InvalidName) as info:
        check_name_characters("户\u202e名", field="account_holder")
    assert info.value.field == "account_holder"


def test_a_roster_row_with_a_bidirectional_override_in_the_name_is_refused() -> None:
    number = make_id_number("150402", dt.date(1980, 5, 17), 123)
    headers = {c.key: c.header for c in HOUSEHOLD.columns}
    cells = {"id_number": number, "name": "张\u202e明海", "status": "低保"}
    cells["valid_from"] = "2023-1-5"
    row = parse_row(HOUSEHOLD, headers, cells, 2, today=TODAY)
    assert [(e["column"], e["code"]) for e in row.errors] == [("姓名", "name_characters")]
    assert "U+202E" in row.errors[0]["message"]
    assert row.errors[0]["message_en"]
    clean = parse_row(HOUSEHOLD, headers, {**cells, "name": "张明海"}, 2, today=TODAY)
    assert clean.valid


def test_every_refused_category_is_really_invisible_or_control() -> None:
    """The list is deliberate: letters, marks, digits, punctuation and symbols pass."""
    for char in "张·-'.ÀéØñ\u0301\u180b":
        check_name_characters(f"张{char}明")
    assert unicodedata.category("\u180b") == "Mn"  # Mongolian variation selector: kept


@pytest.mark.parametrize(
    "char", ["\u202e", "\u2066", "\u200f", "\u061c", "\x00", "\x1b", "\x85", "\u2028", "\ue000"]
)
def test_other_text_refuses_control_and_direction_characters(char: str) -> None:
    with pytest.raises(InvalidText) as info:
        check_text_characters(
            f"幸福路{char}12号", field="address", label_zh="住址", label_en="address"
        )
    refusal = info.value
    assert refusal.code == "text_characters"
    assert refusal.field == "address"
    assert "住址的第4个字符" in refusal.message_zh
    assert "character 4 of the address" in (refusal.message_en)
    assert "幸福路" not in refusal.message_zh + refusal.message_en


def test_line_breaks_only_in_multiline_text_and_zero_width_characters_allowed() -> None:
    for text in ("第一行\n第二行", "a\tb", "a\r\nb"):
        check_text_characters(text, field="note", label_zh="说明", label_en="note", multiline=True)
        with pytest.raises(InvalidText):
            check_text_characters(text, field="note", label_zh="说明", label_en="note")
    # Outside names a zero-width joiner is part of ordinary text (emoji sequences, scripts).
    check_text_characters("a\u200db", field="note", label_zh="说明", label_en="note")
