"""The fixed catalogue a rule may name: typed attributes, predicates, their labels, and the
sources of ``receiving("code")``.

Other apps add sources of ``receiving`` with ``register_receiving_source`` (the benefits
app registers its entitlements in its ``AppConfig.ready``), because imports point down and
this app must not import them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from django.db.models import Q
from django.db.models.expressions import BaseExpression
from django.utils import translation

from dpf.core.certnumber import CATEGORY_SHORT_EN, Category
from dpf.core.i18n import localised
from dpf.registry.models import (
    DeviceKind,
    EmploymentStatus,
    HouseholdStatusCode,
    InsuranceKind,
    OutsidePaymentKind,
    SchoolStatus,
    Sex,
)
from dpf.rules.ast import Scalar, Type


@dataclass(frozen=True)
class Attribute:
    """One typed fact of a person as of a date.

    ``default`` is the value when the fact is unknown (no certificate, no survey …): SQL
    COALESCEs to it and Python uses it, so no rule ever meets a NULL. ``yes``/``no`` are
    the phrases of a boolean attribute when true/false; ``label`` names a valued one.
    """

    name: str
    type: Type
    default: Scalar
    label_zh: str
    label_en: str
    yes_zh: str = ""
    yes_en: str = ""
    no_zh: str = ""
    no_en: str = ""
    unit_zh: str = ""
    unit_en: str = ""
    values: Callable[[], dict[Any, tuple[str, str]]] | None = None  # closed value set
    # read from a source an app above registers (``register_attribute_source``)
    sourced: bool = False


def zh(label: Any) -> str:
    """The Chinese of a translatable label whatever the active language (Chinese is the
    source language, so its text is the untranslated one)."""
    with translation.override("zh-hans"):
        return str(label)


def _choices(choices: Any, english: dict[Any, str]) -> Callable[[], dict[Any, tuple[str, str]]]:
    @cache
    def values() -> dict[Any, tuple[str, str]]:
        return {v: (zh(label), english.get(v, str(v))) for v, label in choices.choices}

    return values


HOUSEHOLD_EN = {
    "dibao": "on dibao (minimum living guarantee)",
    "tekun": "in tekun (state care for the destitute)",
    "dibao_edge": "on the edge of dibao",
    "low_income": "low-income",
    "monitored": "monitored against return to poverty",
    "lifted": "lifted out of poverty",
    "none": "ordinary",
}
SEX_EN = {"M": "male", "F": "female"}
DEVICE_EN = {
    "": "none",
    "wheelchair": "wheelchair",
    "hearing_aid": "hearing aid",
    "prosthesis": "prosthesis or orthosis",
    "visual_aid": "visual aid",
    "walking_aid": "walking aid",
    "other": "other device",
}
EMPLOYMENT_EN = {
    "employed": "employed",
    "unemployed": "unemployed",
    "unable": "unable to work",
    "retired": "retired",
    "student": "a student",
    "na": "not applicable",
}
SCHOOL_EN = {
    "enrolled": "enrolled",
    "not_enrolled": "not enrolled",
    "home_teaching": "taught at home",
    "na": "not applicable",
}
INSURANCE_EN = {"pension": "basic pension insurance", "medical": "basic medical insurance"}
OUTSIDE_PAYMENT_EN = {
    "work_injury_care": "work-injury care pay",
    "orphan_support": "orphan basic living support",
    "elderly_care_allowance": "elderly care allowance",
    "veteran_care": "veterans' care pay",
}


def _levels() -> dict[Any, tuple[str, str]]:
    return {
        0: ("无", "none"),
        1: ("一级", "1"),
        2: ("二级", "2"),
        3: ("三级", "3"),
        4: ("四级", "4"),
    }


@cache
def _categories() -> dict[Any, tuple[str, str]]:
    out: dict[Any, tuple[str, str]] = {0: ("无", "none")}
    for value, label in Category.choices:
        out[value] = (zh(label), CATEGORY_SHORT_EN.get(value, str(value)))
    return out


ValueTable = Callable[[], dict[Any, tuple[str, str]]]


def _strict(values: ValueTable, extra: dict[Any, tuple[str, str]]) -> ValueTable:
    @cache
    def merged() -> dict[Any, tuple[str, str]]:
        return {**values(), **extra}

    return merged


def _attrs() -> dict[str, Attribute]:
    a = [
        Attribute("age", Type.INT, 0, "年龄", "age", unit_zh="周岁", unit_en=" years"),
        Attribute(
            "sex",
            Type.STRING,
            "",
            "性别",
            "sex",
            values=_strict(_choices(Sex, SEX_EN), {"": ("未知", "unknown")}),
        ),
        Attribute("alive", Type.BOOL, True, "在世", "alive", "在世", "alive", "已故", "deceased"),
        Attribute("birth_date", Type.DATE, dt.date(1900, 1, 1), "出生日期", "date of birth"),
        Attribute("as_of", Type.DATE, dt.date(1900, 1, 1), "评估日期", "evaluation date"),
        Attribute(
            "certificate.valid",
            Type.BOOL,
            False,
            "持有效残疾人证",
            "valid disability certificate",
            "持有效残疾人证",
            "holds a valid disability certificate",
            "未持有效残疾人证",
            "holds no valid disability certificate",
        ),
        Attribute(
            "certificate.category",
            Type.INT,
            0,
            "残疾类别",
            "disability category",
            values=_categories,
        ),
        Attribute("certificate.level", Type.INT, 0, "残疾等级", "disability level", values=_levels),
        Attribute(
            "certificate.severe",
            Type.BOOL,
            False,
            "重度残疾",
            "severe disability",
            "重度残疾（一级或二级）",
            "severely disabled (level 1 or 2)",
            "非重度残疾（一级或二级）",
            "not severely disabled (level 1 or 2)",
        ),
        Attribute(
            "household.status",
            Type.STRING,
            "none",
            "家庭",
            "household",
            values=_choices(HouseholdStatusCode, HOUSEHOLD_EN),
        ),
        Attribute(
            "household.members",
            Type.INT,
            0,
            "家庭在世成员人数",
            "living members of the household",
            unit_zh="人",
            unit_en=" persons",
        ),
        Attribute(
            "household.dibao_ended_days",
            Type.INT,
            -1,
            "家庭低保终止后的天数",
            "days since the household's dibao ended",
            unit_zh="天",
            unit_en=" days",
        ),
        Attribute(
            "household.earner_lost_days",
            Type.INT,
            -1,
            "家庭最后一名就业成员停止就业后的天数",
            "days since the household's last earner stopped working",
            unit_zh="天",
            unit_en=" days",
        ),
        Attribute(
            "household.medical_out_of_pocket_year",
            Type.NUMBER,
            Decimal(0),
            "家庭近一年医疗个人自付费用",
            "the household's out-of-pocket medical expenses over a year",
            unit_zh="元",
            unit_en=" yuan",
        ),
        Attribute(
            "allowance_suspended_days",
            Type.INT,
            -1,
            "待遇暂停后的天数",
            "days since a benefit was suspended",
            unit_zh="天",
            unit_en=" days",
            sourced=True,
        ),
        Attribute(
            "in_destitute_care",
            Type.BOOL,
            False,
            "特困供养",
            "state care for the destitute",
            "特困供养人员",
            "in state care for the destitute (tekun)",
            "非特困供养人员",
            "not in state care for the destitute (tekun)",
        ),
        Attribute(
            "long_term_care_need",
            Type.BOOL,
            False,
            "长期照护需求",
            "long-term care need",
            "需要长期照护",
            "needs long-term care",
            "无长期照护需求",
            "no long-term care need",
        ),
        Attribute(
            "in_school",
            Type.BOOL,
            False,
            "在校",
            "in school",
            "在校就读",
            "enrolled in school",
            "未在校就读",
            "not enrolled in school",
        ),
        Attribute(
            "survey.rehab_need",
            Type.BOOL,
            False,
            "康复需求",
            "rehabilitation need",
            "有康复需求",
            "needs rehabilitation",
            "无康复需求",
            "no rehabilitation need",
        ),
        Attribute(
            "survey.device_need",
            Type.BOOL,
            False,
            "辅具需求",
            "assistive device need",
            "有辅具需求",
            "needs an assistive device",
            "无辅具需求",
            "no assistive device need",
        ),
        Attribute(
            "survey.device_kind",
            Type.STRING,
            "",
            "所需辅具",
            "device needed",
            values=_choices(DeviceKind, DEVICE_EN),
        ),
        Attribute(
            "survey.home_renovation_need",
            Type.BOOL,
            False,
            "无障碍改造需求",
            "home accessibility renovation need",
            "有无障碍改造需求",
            "needs home accessibility renovation",
            "无无障碍改造需求",
            "no home accessibility renovation need",
        ),
        Attribute(
            "survey.care_need",
            Type.BOOL,
            False,
            "托养需求",
            "care (托养) need",
            "有托养需求",
            "needs care services (托养)",
            "无托养需求",
            "no need for care services (托养)",
        ),
        Attribute(
            "survey.employment_status",
            Type.STRING,
            "",
            "就业状况",
            "employment status",
            values=_strict(_choices(EmploymentStatus, EMPLOYMENT_EN), {"": ("未知", "unknown")}),
        ),
        Attribute(
            "survey.employment_wish",
            Type.BOOL,
            False,
            "就业意愿",
            "wish to work",
            "有就业意愿",
            "wishes to work",
            "无就业意愿",
            "does not wish to work",
        ),
        Attribute(
            "survey.school_status",
            Type.STRING,
            "",
            "就学状况",
            "schooling",
            values=_strict(_choices(SchoolStatus, SCHOOL_EN), {"": ("未知", "unknown")}),
        ),
        Attribute(
            "survey.income_per_capita",
            Type.NUMBER,
            Decimal(-1),
            "家庭人均年收入",
            "household yearly income per head",
            unit_zh="元",
            unit_en=" yuan",
        ),
    ]
    return {x.name: x for x in a}


ATTRIBUTES: dict[str, Attribute] = _attrs()

# The needs-survey answers a rule may read: attribute name -> NeedsSurvey field.
SURVEY_FIELDS: dict[str, str] = {
    "survey.rehab_need": "rehab_need",
    "survey.device_kind": "device_need",
    "survey.home_renovation_need": "home_renovation_need",
    "survey.care_need": "care_need",
    "survey.employment_status": "employment_status",
    "survey.employment_wish": "employment_wish",
    "survey.school_status": "school_status",
    "survey.income_per_capita": "income_per_capita",
}


@dataclass(frozen=True)
class Predicate:
    """A function of the catalogue: one string-literal argument, a boolean result."""

    name: str
    label_zh: str
    label_en: str


PREDICATES: dict[str, Predicate] = {
    "in_region": Predicate("in_region", "居住地区", "region of residence"),
    "insured": Predicate("insured", "参保", "insurance enrolment"),
    "receiving": Predicate("receiving", "领取", "receiving"),
}
# Recognised but not predicates: ``date("YYYY-MM-DD")`` becomes a date literal.
LITERAL_FUNCTIONS = frozenset({"date"})

REGION_CODE = re.compile(r"^(\d{6}|\d{9}|\d{12})$")


@cache
def insurance_kinds() -> dict[str, tuple[str, str]]:
    return {v: (zh(label), INSURANCE_EN.get(v, v)) for v, label in InsuranceKind.choices}


# --- sources of receiving("code") -------------------------------------------------------

SqlSource = Callable[[str, dt.date], Q | BaseExpression]
PythonSource = Callable[[Any, str, dt.date], bool]


@dataclass(frozen=True)
class ReceivingSource:
    """Where ``receiving(code)`` looks for the codes it knows.

    ``sql(code, as_of)`` is a condition over ``Person`` (outer reference ``"pk"``);
    ``python(person_id, code, as_of)`` the same for one person; ``codes()`` the codes it
    knows; optional ``held(person_id, as_of)`` every code one person receives in one
    query, ``labels()`` code -> (Chinese, English) names for explanations, and
    ``boundaries(code, first, second)`` the condition over ``Person`` of those whose answer
    may differ between the two dates with no record written (``dpf.rules.boundaries``;
    without it, figures reading the code are not rolled forward but computed again).
    """

    name: str
    sql: SqlSource
    python: PythonSource
    codes: Callable[[], set[str]]
    held: Callable[[Any, dt.date], set[str]] | None = None
    labels: Callable[[], dict[str, tuple[str, str]]] | None = None
    boundaries: Callable[[str, dt.date, dt.date], Q] | None = None


_SOURCES: dict[str, ReceivingSource] = {}


def register_receiving_source(
    name: str,
    *,
    sql: SqlSource,
    python: PythonSource,
    codes: Callable[[], set[str]],
    held: Callable[[Any, dt.date], set[str]] | None = None,
    labels: Callable[[], dict[str, tuple[str, str]]] | None = None,
    boundaries: Callable[[str, dt.date, dt.date], Q] | None = None,
) -> None:
    """Add (or replace, by ``name``) a source of ``receiving("code")``."""
    _SOURCES[name] = ReceivingSource(name, sql, python, codes, held, labels, boundaries)


def unregister_receiving_source(name: str) -> None:
    _SOURCES.pop(name, None)


def receiving_sources() -> list[ReceivingSource]:
    return [_SOURCES[k] for k in sorted(_SOURCES)]


@cache
def outside_payment_codes() -> dict[str, tuple[str, str]]:
    return {v: (zh(label), OUTSIDE_PAYMENT_EN.get(v, v)) for v, label in OutsidePaymentKind.choices}


def receiving_codes() -> set[str]:
    """Every code ``receiving`` accepts: outside payments and each registered source's."""
    out = set(outside_payment_codes())
    for source in receiving_sources():
        out |= set(source.codes())
    return out


def receiving_label(code: str) -> tuple[str, str]:
    known = outside_payment_codes()
    if code in known:
        return known[code]
    for source in receiving_sources():
        if source.labels is not None:
            names = source.labels()
            if code in names:
                return names[code]
    return code, code


# --- sources of attributes the apps above hold -------------------------------------------


@dataclass(frozen=True)
class AttributeSource:
    """Where a ``sourced`` attribute is read: ``sql(as_of)`` an expression over ``Person``
    (outer reference ``"pk"``; NULL becomes the attribute's default), ``python(person_id,
    as_of)`` the same value for one person."""

    name: str
    sql: Callable[[dt.date], Any]
    python: Callable[[Any, dt.date], Scalar]


_ATTRIBUTE_SOURCES: dict[str, AttributeSource] = {}


def register_attribute_source(
    name: str, *, sql: Callable[[dt.date], Any], python: Callable[[Any, dt.date], Scalar]
) -> None:
    """Give a ``sourced`` attribute of the catalogue its reading (the benefits app gives
    ``allowance_suspended_days`` in its ``AppConfig.ready``)."""
    if name not in ATTRIBUTES or not ATTRIBUTES[name].sourced:
        raise ValueError(f"not a sourced attribute of the catalogue: {name!r}")
    _ATTRIBUTE_SOURCES[name] = AttributeSource(name, sql, python)


def attribute_source(name: str) -> AttributeSource:
    if name not in _ATTRIBUTE_SOURCES:
        raise LookupError(f"no source is registered for {name!r}")
    return _ATTRIBUTE_SOURCES[name]


def attribute_sources() -> list[AttributeSource]:
    return [_ATTRIBUTE_SOURCES[k] for k in sorted(_ATTRIBUTE_SOURCES)]


# --- help for people who write rules ---------------------------------------------------


@dataclass(frozen=True)
class NameHelp:
    """One name a rule may use, for the rule form: meaning, values and a working example.

    Built from ATTRIBUTES and PREDICATES above (the one list); every example is a rule
    text that the checker accepts (tests/rules compile each one)."""

    name: str
    label_zh: str
    label_en: str
    meaning_zh: str
    meaning_en: str
    values_zh: str
    values_en: str
    example: str


_TYPE_NAMES = {
    Type.BOOL: ("是/否", "yes/no"),
    Type.INT: ("整数", "whole number"),
    Type.NUMBER: ("数值", "number"),
    Type.STRING: ("代码", "code"),
    Type.DATE: ("日期", "date"),
}


def _literal(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value)


def _example(attr: Attribute, values: dict[Any, tuple[str, str]]) -> str:
    if attr.type == Type.BOOL:
        return attr.name
    if attr.type == Type.DATE:
        return (
            f'{attr.name} >= date("2027-01-01")'
            if attr.name == "as_of"
            else (f'{attr.name} <= date("1966-12-31")')
        )
    if values:
        shown = [v for v in values if v not in (0, "")][:2]
        if attr.type == Type.STRING:
            return f"{attr.name} == {_literal(shown[0])}"
        return f"{attr.name} in [{', '.join(_literal(v) for v in shown)}]"
    return _EXAMPLES.get(attr.name) or f"{attr.name} < 10000"


_EXAMPLES = {
    "age": "age >= 16 && age < 60",
    "household.members": "household.members == 1",
    "household.dibao_ended_days": (
        "household.dibao_ended_days >= 1 && household.dibao_ended_days <= 90"
    ),
    "household.earner_lost_days": (
        "household.earner_lost_days >= 1 && household.earner_lost_days <= 90"
    ),
    "allowance_suspended_days": "allowance_suspended_days >= 1 && allowance_suspended_days <= 90",
    "household.medical_out_of_pocket_year": "household.medical_out_of_pocket_year >= 20000",
}


def _attribute_help(attr: Attribute) -> NameHelp:
    values = attr.values() if attr.values is not None else {}
    type_zh, type_en = _TYPE_NAMES[attr.type]
    if attr.type == Type.BOOL:
        meaning_zh = f"真：{attr.yes_zh}；假：{attr.no_zh}"
        meaning_en = f"true: {attr.yes_en}; false: {attr.no_en}"
    else:
        unit_zh = f"（{attr.unit_zh}）" if attr.unit_zh else ""
        unit_en = f" ({attr.unit_en.strip()})" if attr.unit_en else ""
        meaning_zh = f"{attr.label_zh}{unit_zh}，{type_zh}"
        meaning_en = f"{attr.label_en}{unit_en}, {type_en}"
    if attr.type != Type.BOOL:
        meaning_zh += f"；未知时为 {_literal(attr.default)}"
        meaning_en += f"; {_literal(attr.default)} when unknown"
    return NameHelp(
        name=attr.name,
        label_zh=attr.label_zh,
        label_en=attr.label_en,
        meaning_zh=meaning_zh,
        meaning_en=meaning_en,
        values_zh="、".join(f"{_literal(v)} {z}" for v, (z, _e) in values.items()),
        values_en=", ".join(f"{_literal(v)} {e}" for v, (_z, e) in values.items()),
        example=_example(attr, values),
    )


def _predicate_help() -> list[NameHelp]:
    insurance = insurance_kinds()
    receiving = sorted(receiving_codes())
    return [
        NameHelp(
            "in_region",
            PREDICATES["in_region"].label_zh,
            PREDICATES["in_region"].label_en,
            "居住在该地区（旗县区6位、苏木乡镇9位或嘎查村12位代码）",
            "lives in the region (a county's 6, township's 9 or village's 12-digit code)",
            "",
            "",
            'in_region("150402")',
        ),
        NameHelp(
            "insured",
            PREDICATES["insured"].label_zh,
            PREDICATES["insured"].label_en,
            "评估日期参加该项保险",
            "enrolled in the insurance on the evaluation date",
            "、".join(f'"{k}" {z}' for k, (z, _e) in insurance.items()),
            ", ".join(f'"{k}" {e}' for k, (_z, e) in insurance.items()),
            f'insured("{next(iter(insurance), "pension")}")',
        ),
        NameHelp(
            "receiving",
            PREDICATES["receiving"].label_zh,
            PREDICATES["receiving"].label_en,
            "评估日期正在领取该项待遇或外部补贴",
            "receives the benefit or outside payment on the evaluation date",
            "、".join(f'"{c}" {receiving_label(c)[0]}' for c in receiving),
            ", ".join(f'"{c}" {receiving_label(c)[1]}' for c in receiving),
            f'!receiving("{receiving[0]}")' if receiving else "",
        ),
    ]


def attribute_help() -> list[NameHelp]:
    """Every attribute and predicate a rule may use, in catalogue order, with an example."""
    return [_attribute_help(a) for a in ATTRIBUTES.values()] + _predicate_help()


def rule_names() -> list[dict[str, str]]:
    """``attribute_help()`` in the page's language, for the rule forms' list of names
    (template ``rules/_rule_names.html``)."""
    return [
        {
            "name": h.name,
            "label": localised(h.label_zh, h.label_en),
            "meaning": localised(h.meaning_zh, h.meaning_en),
            "values": localised(h.values_zh, h.values_en),
            "example": h.example,
        }
        for h in attribute_help()
    ]
