"""Unified social credit codes (GB 32100): the check character and the one spelling."""

from __future__ import annotations

import pytest

from dpf.core.creditcode import InvalidCreditCode, check_character, normalise_credit_code

# Codes printed on business licences (large public companies).
REAL_CODES = ["9144030071526726XG", "914403001922038216", "91330100716105852F"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code: str) -> None:
    assert normalise_credit_code(code) == code
    assert check_character(code[:17]) == code[17]


def test_lower_case_and_full_width_are_one_spelling() -> None:
    assert normalise_credit_code(" 9144030071526726xg ") == "9144030071526726XG"
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in "9144030071526726XG")
    assert normalise_credit_code(full_width) == "9144030071526726XG"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("9144030071526726X", "length"),
        ("9144030071526726XGX", "length"),
        ("9144030071526726XH", "checksum"),  # the check character of another code
        ("9144030071526726XI", "characters"),  # I is not in the alphabet
        ("91440300715O6726XG", "characters"),  # the letter O for the digit 0
        ("91A40300715267260G", "region"),
        ("9144030071526726٣G", "characters"),  # an Arabic-Indic digit
    ],
)
def test_refused(text: str, code: str) -> None:
    with pytest.raises(InvalidCreditCode) as caught:
        normalise_credit_code(text)
    assert caught.value.code == code
    assert caught.value.message_zh
    assert caught.value.message_en
    assert caught.value.field == "credit_code"


def test_every_single_character_change_is_caught() -> None:
    code = "914403001922038216"
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    for position in range(18):
        for other in alphabet:
            if other == code[position]:
                continue
            changed = code[:position] + other + code[position + 1 :]
            if position in range(2, 8) and not other.isdigit():
                continue
            with pytest.raises(InvalidCreditCode):
                normalise_credit_code(changed)
