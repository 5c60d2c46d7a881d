"""Citizen ID numbers (公民身份号码, GB 11643-1999): parse, validate, normalise, upgrade.

An unknown address code is a warning, never an error: codes change over time and people
keep the code of the place their number was first issued (see DOMAIN.md). A code is known
when it is Chifeng's or GB/T 2260 ever listed it; otherwise ``IdNumber.warnings`` holds
``address_code_unknown``, which the registration makes the worker confirm. Full-width digits
are read as ASCII; any other script's digits are refused, so one number has one spelling
(and one look-up hash).
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from stdnum import numdb

from dpf.core.dates import local_today
from dpf.core.errors import ValidationFailed
from dpf.core.text import fold_fullwidth_digits, is_ascii_number

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"

_MESSAGES: dict[str, tuple[str, str]] = {
    "empty": ("身份证号码不能为空", "The ID number is empty"),
    "length": (
        "身份证号码应为18位（或旧式15位）",
        "An ID number has 18 characters (or 15 for old numbers)",
    ),
    "characters": (
        "身份证号码只能包含数字0至9，最后一位可以是X",
        "An ID number has only the digits 0 to 9, with an optional final X",
    ),
    "region": ("身份证号码的地址码无效", "The address code of the ID number is not valid"),
    "date": ("身份证号码中的出生日期不存在", "The birth date in the ID number does not exist"),
    "future_date": (
        "身份证号码中的出生日期晚于今天",
        "The birth date in the ID number is in the future",
    ),
    "too_old": (
        "身份证号码中的出生日期早于1900年",
        "The birth date in the ID number is before 1900",
    ),
    "checksum": ("身份证号码校验位错误", "The check character of the ID number is wrong"),
}


# Warnings: the number is valid and accepted, but the worker must see and confirm this.
ADDRESS_CODE_UNKNOWN = "address_code_unknown"

WARNING_MESSAGES: dict[str, tuple[str, str]] = {
    ADDRESS_CODE_UNKNOWN: (
        "身份证号码的地址码（{code}）不是赤峰市的区划代码，也不是已知的行政区划代码（GB/T 2260），"
        "请与本人证件核对",
        "The address code of the ID number ({code}) is neither a Chifeng code nor a known "
        "administrative division code (GB/T 2260); check it against the person's ID card",
    ),
}

_REGIONS_CSV = Path(__file__).resolve().parent / "data" / "regions_chifeng.csv"


@cache
def _chifeng_codes() -> frozenset[str]:
    """The six-digit codes of the shipped Chifeng region tree (city and its counties)."""
    with _REGIONS_CSV.open(encoding="utf-8") as fh:
        return frozenset(row["code"] for row in csv.DictReader(fh) if len(row["code"]) == 6)


def address_code_known(code: str) -> bool:
    """A Chifeng code, or a county-level code GB/T 2260 has ever listed (python-stdnum's
    table of current and historical codes: a code retired since is still known)."""
    if code in _chifeng_codes():
        return True
    parts = numdb.get("cn/loc").info(code)
    return len(parts) == 2 and bool(parts[0][1]) and bool(parts[1][1])


def warning_message(code: str, number: IdNumber) -> tuple[str, str]:
    zh, en = WARNING_MESSAGES[code]
    return zh.format(code=number.region_code), en.format(code=number.region_code)


class InvalidIdNumber(ValidationFailed):
    """An ID number that GB 11643 refuses."""

    def __init__(self, code: str, *, field: str | None = "id_number") -> None:
        zh, en = _MESSAGES[code]
        super().__init__(code, zh, en, field=field)


@dataclass(frozen=True)
class IdNumber:
    """A valid, normalised 18-character citizen ID number."""

    normalized: str
    birth_date: dt.date
    sex: str  # "M" or "F"
    region_code: str
    upgraded_from_15: bool = False
    warnings: tuple[str, ...] = field(default=())

    @property
    def masked(self) -> str:
        return mask_id_number(self.normalized)

    def as_dict(self) -> dict[str, object]:
        return {
            "valid": True,
            "normalized": self.normalized,
            "birth_date": self.birth_date.isoformat(),
            "sex": self.sex,
            "region_code": self.region_code,
            "upgraded_from_15": self.upgraded_from_15,
        }


def check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits."""
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def mask_id_number(number: str) -> str:
    """``150402********123X``: address code and last four kept, the rest hidden."""
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def _parse_date(text: str, today: dt.date) -> dt.date:
    try:
        born = dt.date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise InvalidIdNumber("date") from None
    if born > today:
        raise InvalidIdNumber("future_date")
    if born.year < 1900:
        raise InvalidIdNumber("too_old")
    return born


def parse_id_number(raw: str, *, today: dt.date | None = None) -> IdNumber:
    """Validate and normalise ``raw``; raise :class:`InvalidIdNumber` with a specific code.

    A 15-digit first-generation number is upgraded (``19`` inserted before the year, check
    character computed) and marked ``upgraded_from_15``. Full-width digits and X are read
    as ASCII; digits of any other script are refused (code ``characters``).
    """
    today = today or local_today()
    text = fold_fullwidth_digits((raw or "").strip()).upper()
    if not text:
        raise InvalidIdNumber("empty")
    if len(text) not in (15, 18):
        raise InvalidIdNumber("length")
    upgraded = False
    if len(text) == 15:
        if not is_ascii_number(text):
            raise InvalidIdNumber("characters")
        first17 = text[:6] + "19" + text[6:]
        text = first17 + check_character(first17)
        upgraded = True
    if not is_ascii_number(text, last_x=True):
        raise InvalidIdNumber("characters")
    if text[0] == "0":  # no GB/T 2260 province code starts with 0
        raise InvalidIdNumber("region")
    born = _parse_date(text[6:14], today)
    if check_character(text[:17]) != text[17]:
        raise InvalidIdNumber("checksum")
    sex = "M" if int(text[16]) % 2 == 1 else "F"
    warnings = () if address_code_known(text[:6]) else (ADDRESS_CODE_UNKNOWN,)
    return IdNumber(
        normalized=text,
        birth_date=born,
        sex=sex,
        region_code=text[:6],
        upgraded_from_15=upgraded,
        warnings=warnings,
    )


def make_id_number(region_code: str, birth_date: dt.date, sequence: int) -> str:
    """Build a valid 18-character number (used by the synthetic data generator)."""
    first17 = f"{region_code}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)
