"""Disability certificate numbers (残疾人证号): 18-character ID + category digit + level digit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from dpf.core.errors import ValidationFailed
from dpf.core.idnumber import IdNumber, InvalidIdNumber, parse_id_number
from dpf.core.text import fold_fullwidth_digits, is_ascii_number


class Category(models.IntegerChoices):
    """Disability category (残疾类别), GB/T 26341-2010."""

    VISUAL = 1, _("视力残疾")
    HEARING = 2, _("听力残疾")
    SPEECH = 3, _("言语残疾")
    PHYSICAL = 4, _("肢体残疾")
    INTELLECTUAL = 5, _("智力残疾")
    MENTAL = 6, _("精神残疾")
    MULTIPLE = 7, _("多重残疾")


class Level(models.IntegerChoices):
    """Disability level (残疾等级): 1 is the most severe."""

    ONE = 1, _("一级")
    TWO = 2, _("二级")
    THREE = 3, _("三级")
    FOUR = 4, _("四级")


CATEGORY_SHORT_ZH = {1: "视力", 2: "听力", 3: "言语", 4: "肢体", 5: "智力", 6: "精神", 7: "多重"}
CATEGORY_SHORT_EN = {
    1: "visual",
    2: "hearing",
    3: "speech",
    4: "physical",
    5: "intellectual",
    6: "mental",
    7: "multiple",
}

_MESSAGES: dict[str, tuple[str, str]] = {
    "empty": ("残疾人证号不能为空", "The certificate number is empty"),
    "length": ("残疾人证号应为20位", "A certificate number has 20 characters"),
    "category": ("残疾类别应为1至7", "The category digit must be 1 to 7"),
    "level": ("残疾等级应为1至4", "The level digit must be 1 to 4"),
    "id_mismatch": (
        "残疾人证号中的身份证号码与本人不一致",
        "The ID number inside the certificate number is not the person's",
    ),
}


class InvalidCertificateNumber(ValidationFailed):
    def __init__(self, code: str, *, field: str | None = "number") -> None:
        zh, en = _MESSAGES[code]
        super().__init__(code, zh, en, field=field)


def is_severe(level: int) -> bool:
    """Severe disability (重度) is level 1 or 2."""
    return level in (1, 2)


@dataclass(frozen=True)
class CertificateNumber:
    normalized: str
    id_number: IdNumber
    category: int
    level: int

    @property
    def severe(self) -> bool:
        return is_severe(self.level)

    def as_dict(self) -> dict[str, object]:
        """What ``dpf certificate check --json`` prints: exactly the keys of issue 2."""
        return {
            "valid": True,
            "id_number": self.id_number.normalized,
            "category": self.category,
            "category_name": CATEGORY_SHORT_ZH[self.category],
            "level": self.level,
            "severe": self.severe,
        }


def parse_certificate_number(raw: str, *, today: dt.date | None = None) -> CertificateNumber:
    """Validate a certificate number; the embedded ID number's errors keep their own codes.

    Full-width digits are read as ASCII, other scripts' digits refused (as in ID numbers).
    """
    text = fold_fullwidth_digits((raw or "").strip()).upper()
    if not text:
        raise InvalidCertificateNumber("empty")
    if len(text) != 20:
        raise InvalidCertificateNumber("length")
    try:
        id_number = parse_id_number(text[:18], today=today)
    except InvalidIdNumber as exc:
        raise InvalidIdNumber(exc.code, field="number") from None
    if not is_ascii_number(text[18]) or not 1 <= int(text[18]) <= 7:
        raise InvalidCertificateNumber("category")
    if not is_ascii_number(text[19]) or not 1 <= int(text[19]) <= 4:
        raise InvalidCertificateNumber("level")
    return CertificateNumber(
        normalized=text, id_number=id_number, category=int(text[18]), level=int(text[19])
    )


def make_certificate_number(id_number: str, category: int, level: int) -> str:
    return f"{id_number}{category}{level}"
