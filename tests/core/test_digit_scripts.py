"""ID and certificate numbers in other scripts' digits (issue 14, hole 2).

Python's ``str.isdigit``, ``int`` and ``re``'s ``\\d`` accept the digits of every script,
so ``１５０４０２…`` (full-width) or ``١٥٠٤٠٢…`` (Arabic-Indic) passed validation and hashed
differently from the ASCII spelling: the same person could be registered twice. Full-width
digits are now read as ASCII; every other script's digits are refused (code
``characters``), in the parser every entry point uses and in the roster parser, which folded
text with NFKC (turning mathematical digits into ASCII) before reading the number.
"""

from __future__ import annotations

import datetime as dt
import sys
import unicodedata

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from dpf.core.certnumber import make_certificate_number, parse_certificate_number
from dpf.core.errors import ValidationFailed
from dpf.core.idnumber import InvalidIdNumber, make_id_number, parse_id_number
from dpf.core.text import fold_fullwidth_digits, is_ascii_number
from dpf.exchange.parsing import parse_row
from dpf.exchange.rostertypes import HOUSEHOLD
from dpf.registry.services import certificate_lookup_hash, id_lookup_hash

TODAY = dt.date(2026, 11, 29)
ASCII_ZERO, FULLWIDTH_ZERO = ord("0"), 0xFF10

# The zero of every decimal-digit run in Unicode (digits 0-9 are contiguous in each run, a
# Unicode stability guarantee): Arabic-Indic, Devanagari, Bengali ..., mathematical bold,
# double-struck, sans-serif, monospace ...
ZEROS = [
    cp
    for cp in range(sys.maxunicode + 1)
    if unicodedata.category(chr(cp)) == "Nd" and unicodedata.digit(chr(cp)) == 0
]
OTHER_ZEROS = [cp for cp in ZEROS if cp not in (ASCII_ZERO, FULLWIDTH_ZERO)]
# Digits that are not Nd but that isdigit() takes, or that NFKC turns into ASCII digits.
LOOKALIKES = "¹²³⁰⁴⁵⁶⁷⁸⁹₀₁₂₃₄₅₆₇₈₉①②③④⑤⑥⑦⑧⑨⑴⑵⑶⒈⒉⒊➀➁➂🄁🄂"


def spell(number: str, zero: int, positions: set[int]) -> str:
    """``number`` with the digits at ``positions`` written in the script whose 0 is ``zero``."""
    return "".join(
        chr(zero + int(c)) if i in positions and c.isdigit() else c for i, c in enumerate(number)
    )


def test_the_digit_table_covers_many_scripts() -> None:
    assert len(OTHER_ZEROS) > 50
    assert 0x0660 in OTHER_ZEROS  # Arabic-Indic
    assert 0x0966 in OTHER_ZEROS  # Devanagari
    assert 0x1D7CE in OTHER_ZEROS  # mathematical bold (NFKC folds it to ASCII)


numbers = st.builds(
    make_id_number,
    st.sampled_from(["150402", "150404", "150430", "110105", "360121"]),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY),
    st.integers(0, 999),
)
some_positions = st.sets(st.integers(0, 17), min_size=1)


@given(number=numbers, zero=st.sampled_from(OTHER_ZEROS), positions=some_positions)
def test_every_other_script_digit_is_refused(number: str, zero: int, positions) -> None:
    spelled = spell(number, zero, positions)
    if spelled == number:  # only the final X was chosen
        return
    with pytest.raises(InvalidIdNumber) as info:
        parse_id_number(spelled, today=TODAY)
    assert info.value.code == "characters"
    assert "0至9" in info.value.message_zh
    assert "0 to 9" in info.value.message_en


@given(number=numbers, zero=st.sampled_from(OTHER_ZEROS), positions=some_positions)
def test_every_other_script_digit_is_refused_in_a_fifteen_digit_number(
    number: str, zero: int, positions
) -> None:
    old = number[:6] + number[8:17]  # the first-generation spelling
    spelled = spell(old, zero, {p % 15 for p in positions})
    with pytest.raises(InvalidIdNumber) as info:
        parse_id_number(spelled, today=TODAY)
    assert info.value.code == "characters"


@given(number=numbers, position=st.integers(0, 16), lookalike=st.sampled_from(LOOKALIKES))
def test_superscript_circled_and_other_digit_lookalikes_are_refused(
    number: str, position: int, lookalike: str
) -> None:
    spelled = number[:position] + lookalike + number[position + 1 :]
    with pytest.raises(InvalidIdNumber) as info:
        parse_id_number(spelled, today=TODAY)
    assert info.value.code in ("characters", "length")


@given(number=numbers, positions=some_positions, lower_x=st.booleans())
def test_full_width_spelling_is_the_ascii_number_with_the_same_hash(
    number: str, positions, lower_x: bool
) -> None:
    spelled = spell(number, FULLWIDTH_ZERO, positions)
    if spelled.endswith("X"):
        spelled = spelled[:-1] + ("ｘ" if lower_x else "Ｘ")
    parsed = parse_id_number(spelled, today=TODAY)
    assert parsed.normalized == number
    assert id_lookup_hash(parsed.normalized) == id_lookup_hash(number)


@given(
    number=numbers,
    category=st.integers(1, 7),
    level=st.integers(1, 4),
    zero=st.sampled_from(OTHER_ZEROS),
    tail=st.sampled_from([{18}, {19}, {18, 19}, {0}, {5, 19}]),
)
def test_certificate_numbers_refuse_other_scripts_and_read_full_width(
    number: str, category: int, level: int, zero: int, tail
) -> None:
    ascii_number = make_certificate_number(number, category, level)
    with pytest.raises(ValidationFailed) as info:
        parse_certificate_number(spell(ascii_number, zero, tail), today=TODAY)
    assert info.value.code in ("characters", "category", "level")
    full_width = spell(ascii_number, FULLWIDTH_ZERO, set(range(20)))
    parsed = parse_certificate_number(full_width, today=TODAY)
    assert parsed.normalized == ascii_number
    assert certificate_lookup_hash(parsed.normalized) == certificate_lookup_hash(ascii_number)


@given(number=numbers, zero=st.sampled_from(OTHER_ZEROS), positions=some_positions)
def test_a_roster_row_refuses_other_scripts_digits(number: str, zero: int, positions) -> None:
    """The roster parser used to fold cells with NFKC, which reads mathematical digits as
    ASCII: those rows matched a person under a spelling nobody typed."""
    spelled = spell(number, zero, positions)
    if spelled == number:
        return
    cells = {"id_number": spelled, "name": "张海明", "status": "低保", "valid_from": "2023-1-5"}
    row = parse_row(HOUSEHOLD, {c.key: c.header for c in HOUSEHOLD.columns}, cells, 2, today=TODAY)
    assert [e["code"] for e in row.errors] == ["characters"]
    assert row.id_hash == ""


@given(number=numbers, positions=some_positions)
def test_a_roster_row_in_full_width_digits_matches_the_ascii_number(number: str, positions) -> None:
    cells = {
        "id_number": spell(number, FULLWIDTH_ZERO, positions),
        "name": "张海明",
        "status": "低保",
        "valid_from": "2023-1-5",
    }
    row = parse_row(HOUSEHOLD, {c.key: c.header for c in HOUSEHOLD.columns}, cells, 2, today=TODAY)
    assert row.valid, row.errors
    assert row.id_hash == id_lookup_hash(number)


def test_fold_and_ascii_check() -> None:
    assert fold_fullwidth_digits("１５０４０２ｘＸ") == "150402xX"
    assert fold_fullwidth_digits("١٥٠") == "١٥٠"  # only full-width is folded
    assert is_ascii_number("150402")
    assert is_ascii_number("15040X", last_x=True)
    assert not is_ascii_number("15040X")
    assert not is_ascii_number("١٥٠")
    assert not is_ascii_number("")


@given(number=numbers, lookalike=st.sampled_from(LOOKALIKES), nth=st.integers(0, 17))
def test_a_roster_row_refuses_digit_lookalikes_that_nfkc_would_fold(
    number: str, lookalike: str, nth: int
) -> None:
    folded = unicodedata.normalize("NFKC", lookalike)
    places = [i for i, c in enumerate(number) if c == folded[-1:]]
    assume(places)
    position = places[nth % len(places)]
    spelled = number[:position] + lookalike + number[position + 1 :]
    cells = {"id_number": spelled, "name": "张海明", "status": "低保", "valid_from": "2023-1-5"}
    row = parse_row(HOUSEHOLD, {c.key: c.header for c in HOUSEHOLD.columns}, cells, 2, today=TODAY)
    assert row.id_hash == ""
    assert [e["code"] for e in row.errors] in (["characters"], ["length"])
