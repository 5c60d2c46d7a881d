"""Certificate numbers (残疾人证号): the domain example, each refusal, and properties."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dpf.core.certnumber import (
    InvalidCertificateNumber,
    is_severe,
    make_certificate_number,
    parse_certificate_number,
)
from dpf.core.errors import ValidationFailed
from dpf.core.idnumber import InvalidIdNumber, make_id_number

TODAY = dt.date(2026, 11, 29)


def test_domain_example() -> None:
    parsed = parse_certificate_number("36012119701121001343", today=TODAY)
    assert parsed.id_number.normalized == "360121197011210013"
    assert (parsed.category, parsed.level, parsed.severe) == (4, 3, False)
    assert parsed.as_dict() == {
        "valid": True,
        "id_number": "360121197011210013",
        "category": 4,
        "category_name": "肢体",
        "level": 3,
        "severe": False,
    }


def test_lowercase_x_in_the_embedded_id_is_normalised() -> None:
    parsed = parse_certificate_number(" 11010519491231002x71 ", today=TODAY)
    assert parsed.normalized == "11010519491231002X71"
    assert parsed.id_number.normalized == "11010519491231002X"
    assert (parsed.category, parsed.level, parsed.severe) == (7, 1, True)


@pytest.mark.parametrize(("level", "severe"), [(1, True), (2, True), (3, False), (4, False)])
def test_severe_is_level_one_or_two(level: int, severe: bool) -> None:
    assert is_severe(level) is severe
    assert parse_certificate_number(f"3601211970112100134{level}", today=TODAY).severe is severe


@pytest.mark.parametrize(
    ("number", "code", "error"),
    [
        ("", "empty", InvalidCertificateNumber),
        ("360121197011210013", "length", InvalidCertificateNumber),  # the bare ID number
        ("360121197011210013431", "length", InvalidCertificateNumber),
        ("36012119701121001303", "category", InvalidCertificateNumber),
        ("36012119701121001383", "category", InvalidCertificateNumber),
        ("360121197011210013A3", "category", InvalidCertificateNumber),
        ("36012119701121001340", "level", InvalidCertificateNumber),
        ("36012119701121001345", "level", InvalidCertificateNumber),
        ("3601211970112100134X", "level", InvalidCertificateNumber),
        # The embedded ID number's refusals keep their own codes.
        ("36012119701121001443", "checksum", InvalidIdNumber),
        ("36012119990230001343", "date", InvalidIdNumber),
        ("36012120990101001343", "future_date", InvalidIdNumber),
        ("3601211970112100Y343", "characters", InvalidIdNumber),
    ],
)
def test_each_refusal_has_its_code(number: str, code: str, error: type[ValidationFailed]) -> None:
    with pytest.raises(error) as info:
        parse_certificate_number(number, today=TODAY)
    assert info.value.code == code
    assert info.value.field == "number"
    assert info.value.message_zh
    assert info.value.message_en
    assert info.value.message_zh != info.value.message_en


dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
regions = st.sampled_from(["150402", "150404", "150430", "110105", "360121"])
categories = st.integers(1, 7)
levels = st.integers(1, 4)


@given(region=regions, born=dates, seq=st.integers(0, 999), category=categories, level=levels)
def test_every_generated_number_validates(
    region: str, born: dt.date, seq: int, category: int, level: int
) -> None:
    id_number = make_id_number(region, born, seq)
    number = make_certificate_number(id_number, category, level)
    parsed = parse_certificate_number(number, today=TODAY)
    assert parsed.normalized == number
    assert parsed.id_number.normalized == id_number
    assert (parsed.category, parsed.level) == (category, level)
    assert parsed.severe is (level <= 2)


@given(
    region=regions,
    born=dates,
    seq=st.integers(0, 999),
    category=categories,
    level=levels,
    position=st.integers(0, 19),
    replacement=st.sampled_from("0123456789X"),
)
def test_every_single_character_change_is_caught_or_reported(
    region: str,
    born: dt.date,
    seq: int,
    category: int,
    level: int,
    position: int,
    replacement: str,
) -> None:
    """A change inside the ID number is refused; a change of the category or level digit
    is refused or read as another category or level (never as the original)."""
    number = make_certificate_number(make_id_number(region, born, seq), category, level)
    if number[position] == replacement:
        return
    changed = number[:position] + replacement + number[position + 1 :]
    try:
        parsed = parse_certificate_number(changed, today=TODAY)
    except ValidationFailed:
        return
    assert position >= 18, f"a changed ID number was accepted at position {position}"
    assert (parsed.category, parsed.level) != (category, level)
