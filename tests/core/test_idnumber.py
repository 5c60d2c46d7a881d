"""GB 11643 ID numbers: examples from the standard, each refusal, and properties."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dpf.core.idnumber import (
    InvalidIdNumber,
    check_character,
    make_id_number,
    mask_id_number,
    parse_id_number,
)

TODAY = dt.date(2026, 11, 29)


@pytest.mark.parametrize(
    ("number", "born", "sex"),
    [
        ("11010519491231002X", dt.date(1949, 12, 31), "F"),
        ("360121197011210013", dt.date(1970, 11, 21), "M"),
        ("440308199901101512", dt.date(1999, 1, 10), "M"),
    ],
)
def test_domain_examples_validate(number: str, born: dt.date, sex: str) -> None:
    parsed = parse_id_number(number, today=TODAY)
    assert parsed.normalized == number
    assert parsed.birth_date == born
    assert parsed.sex == sex
    assert parsed.region_code == number[:6]
    assert not parsed.upgraded_from_15


def test_lowercase_x_is_normalised() -> None:
    assert parse_id_number("11010519491231002x", today=TODAY).normalized == "11010519491231002X"


def test_fifteen_digit_number_is_upgraded() -> None:
    # 15-digit form of 360121197011210013: drop "19" and the check character.
    parsed = parse_id_number("360121701121001", today=TODAY)
    assert parsed.normalized == "360121197011210013"
    assert parsed.upgraded_from_15


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("", "empty"),
        ("1101051949123100", "length"),
        ("11010519491231002Y", "characters"),
        ("1101051949123X002X", "characters"),
        ("110105199902300021", "date"),
        ("110105209901010021", "future_date"),
        ("11010519491231002 ", "length"),
        ("110105194912310021", "checksum"),
        ("01010519491231002X", "region"),
        ("110105189912310021", "too_old"),
        ("1101054912310A2", "characters"),  # 15-digit, not all digits
        ("110105990230002", "date"),  # 15-digit, 1999-02-30
    ],
)
def test_each_refusal_has_its_code(number: str, code: str) -> None:
    with pytest.raises(InvalidIdNumber) as info:
        parse_id_number(number, today=TODAY)
    assert info.value.code == code
    assert info.value.message_zh
    assert info.value.message_en
    assert number.strip() not in str(info.value) or not number.strip()


def test_fifteen_digit_upgrade_derives_birth_date_and_sex() -> None:
    # 11010519491231002X without "19" and the check character: sequence 002, female.
    parsed = parse_id_number("110105491231002", today=TODAY)
    assert parsed.normalized == "11010519491231002X"
    assert (parsed.birth_date, parsed.sex, parsed.region_code) == (
        dt.date(1949, 12, 31),
        "F",
        "110105",
    )
    assert parsed.as_dict()["upgraded_from_15"] is True


def test_every_error_code_has_its_own_bilingual_message() -> None:
    from dpf.core.idnumber import _MESSAGES

    wanted = {"length", "characters", "date", "future_date", "checksum", "region"}
    assert wanted <= set(_MESSAGES)
    zh = [InvalidIdNumber(code).message_zh for code in _MESSAGES]
    en = [InvalidIdNumber(code).message_en for code in _MESSAGES]
    assert len(set(zh)) == len(zh)
    assert len(set(en)) == len(en)
    assert all(any("\u4e00" <= c <= "\u9fff" for c in m) for m in zh)
    assert all(m.isascii() for m in en)


def test_unknown_address_code_is_not_an_error() -> None:
    # 150427 does not exist in Chifeng (DOMAIN.md); numbers carrying it still validate.
    number = make_id_number("150427", dt.date(1950, 1, 1), 11)
    assert parse_id_number(number, today=TODAY).region_code == "150427"


def test_mask_keeps_address_code_and_last_four() -> None:
    assert mask_id_number("15040219800517123X") == "150402********123X"


dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
regions = st.sampled_from(["150402", "150404", "150430", "110105", "360121"])


@given(region=regions, born=dates, seq=st.integers(0, 999))
def test_every_generated_number_validates(region: str, born: dt.date, seq: int) -> None:
    number = make_id_number(region, born, seq)
    parsed = parse_id_number(number, today=TODAY)
    assert parsed.normalized == number
    assert parsed.birth_date == born
    assert parsed.sex == ("M" if seq % 2 else "F")


@given(
    region=regions,
    born=dates,
    seq=st.integers(0, 999),
    position=st.integers(0, 17),
    replacement=st.sampled_from("0123456789X"),
)
def test_every_single_character_change_is_caught(
    region: str, born: dt.date, seq: int, position: int, replacement: str
) -> None:
    number = make_id_number(region, born, seq)
    if number[position] == replacement:
        return
    changed = number[:position] + replacement + number[position + 1 :]
    try:
        parsed = parse_id_number(changed, today=TODAY)
    except InvalidIdNumber:
        return
    pytest.fail(f"changed number accepted as {parsed.normalized}")


def test_check_character_table() -> None:
    assert check_character("11010519491231002") == "X"
    assert check_character("36012119701121001") == "3"
