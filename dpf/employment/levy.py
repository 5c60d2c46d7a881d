"""The employment security levy (残疾人就业保障金) of one declaration, without the database.

``compute(declaration)`` applies the rules in force for the levy year (dated configuration
in ``data/levy_rules.json``): the required number (staff x quota share), the disabled
employees counted (level 1-2, intellectual or mental level 3-4 and military level 1-3 count
as 2; a contract of at least 12 months, pay at least the minimum wage and social insurance
are required to count at all), the shortfall, the wage used (capped at a multiple of the
local average social wage), the gross levy, the relief (small-enterprise exemption, the 50% /
90% bands) and the levy due, or the over-quota reward. Money is ``Decimal`` yuan rounded
half-up to the fen. ``parse_declaration`` turns the JSON of ``dpf levy compute`` into a
:class:`Declaration`, refusing bad input with a bilingual :class:`LevyInputInvalid`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from dpf.core.errors import ValidationFailed

RULES_FILE = Path(__file__).parent / "data" / "levy_rules.json"
FEN = Decimal("0.01")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?", re.ASCII)
MAX_STAFF = Decimal("1000000")  # more staff than any employer in the region has
MAX_YEARLY_WAGE = Decimal("10000000")  # 10 million yuan a year per person is absurd
MAX_CONTRACT_MONTHS = 600
CATEGORY_NAMES = {
    "visual": 1,
    "hearing": 2,
    "speech": 3,
    "physical": 4,
    "intellectual": 5,
    "mental": 6,
    "multiple": 7,
}
INTELLECTUAL, MENTAL = 5, 6


class LevyInputInvalid(ValidationFailed):
    """A levy declaration refused: nothing computed, nothing saved."""


def _money(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


# --- the dated rules ----------------------------------------------------------------------


@dataclass(frozen=True)
class DatedValue:
    valid_from: dt.date
    valid_to: dt.date | None
    values: Mapping[str, Any]

    def in_force(self, on: dt.date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)


@dataclass(frozen=True)
class LevyRules:
    """The levy's dated configuration: one list of dated values per rule."""

    rules: Mapping[str, tuple[DatedValue, ...]]

    def in_force(self, name: str, on: dt.date) -> Mapping[str, Any] | None:
        for dated in self.rules.get(name, ()):
            if dated.in_force(on):
                return dated.values
        return None


def rules_from_mapping(data: Mapping[str, Any]) -> LevyRules:
    rules: dict[str, tuple[DatedValue, ...]] = {}
    for name, rows in data.items():
        if name.startswith("_"):
            continue
        rules[name] = tuple(
            DatedValue(
                valid_from=dt.date.fromisoformat(row["valid_from"]),
                valid_to=dt.date.fromisoformat(row["valid_to"]) if row.get("valid_to") else None,
                values=row,
            )
            for row in rows
        )
    return LevyRules(rules)


@lru_cache(maxsize=1)
def shipped_rules() -> LevyRules:
    return rules_from_mapping(json.loads(RULES_FILE.read_text(encoding="utf-8")))


# --- the declaration ------------------------------------------------------------------------


@dataclass(frozen=True)
class DisabledEmployee:
    category: int | None
    level: int | None
    contract_months: int
    paid_at_least_min_wage: bool
    social_insurance: bool
    military_level: int | None = None


@dataclass(frozen=True)
class Declaration:
    levy_year: int
    enterprise: bool
    staff_count: Decimal
    avg_wage: Decimal
    local_avg_social_wage: Decimal
    disabled_employees: tuple[DisabledEmployee, ...] = ()
    declared_on: dt.date | None = None
    monthly_min_wage: Decimal | None = None

    @property
    def reference_date(self) -> dt.date:
        """The date whose rules apply: the declaration date, else the levy year's end."""
        return self.declared_on or dt.date(self.levy_year, 12, 31)


def employee_weight(employee: DisabledEmployee) -> int:
    """How many places one disabled employee fills: 0 (does not count), 1 or 2."""
    if (
        employee.contract_months < 12
        or not employee.paid_at_least_min_wage
        or not employee.social_insurance
    ):
        return 0
    if employee.military_level is not None and 1 <= employee.military_level <= 3:
        return 2
    if employee.level in (1, 2):
        return 2
    if employee.category in (INTELLECTUAL, MENTAL) and employee.level in (3, 4):
        return 2
    return 1


# --- the result -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LevyResult:
    required: Decimal
    counted: int
    shortfall: Decimal
    wage_used: Decimal
    gross: Decimal
    relief: Decimal
    levy_due: Decimal
    reward: Decimal
    placement_rate: Decimal = Decimal(0)
    exempt: bool = False
    pay_share: Decimal = Decimal(1)
    wage_cap: Decimal = Decimal(0)
    notes: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        """The keys of ``dpf levy compute --json``: counts as numbers, money as strings."""
        return {
            "required": _number(self.required),
            "counted": self.counted,
            "shortfall": _number(self.shortfall),
            "wage_used": str(self.wage_used),
            "gross": str(self.gross),
            "relief": str(self.relief),
            "levy_due": str(self.levy_due),
            "reward": str(self.reward),
        }


def _number(value: Decimal) -> int | float:
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def _refuse(code: str, zh: str, en: str, field_name: str | None = None) -> LevyInputInvalid:
    return LevyInputInvalid(code, zh, en, field=field_name)


def compute(declaration: Declaration, rules: LevyRules | None = None) -> LevyResult:
    """The levy of one declaration under the rules in force for its levy year."""
    rules = rules or shipped_rules()
    on = declaration.reference_date
    quota = rules.in_force("quota_share", on)
    cap_rule = rules.in_force("wage_cap_multiple", on)
    if quota is None or cap_rule is None:
        raise _refuse(
            "no_rule",
            f"{declaration.levy_year}年没有适用的保障金规则",
            f"No levy rule is configured for the levy year {declaration.levy_year}",
            "levy_year",
        )
    share = Decimal(quota["value"])
    staff = declaration.staff_count
    required = staff * share
    counted = sum(employee_weight(e) for e in declaration.disabled_employees)
    shortfall = max(Decimal(0), required - counted)
    wage_cap = _money(Decimal(cap_rule["value"]) * declaration.local_avg_social_wage)
    wage_used = _money(min(declaration.avg_wage, wage_cap))
    gross = _money(shortfall * wage_used)
    rate = Decimal(counted) / staff if staff > 0 else Decimal(0)
    notes: list[str] = []

    exempt = False
    pay_share = Decimal(1)
    exemption = rules.in_force("small_enterprise_exemption", on)
    if (
        declaration.enterprise
        and exemption is not None
        and staff <= Decimal(exemption["max_staff"])
    ):
        exempt = True
        pay_share = Decimal(0)
        notes.append("small_enterprise_exemption")
    elif gross > 0:
        relief_rule = rules.in_force("relief_bands", on)
        if relief_rule is not None:
            for band in relief_rule["bands"]:
                if rate >= Decimal(band["rate_at_least"]):
                    pay_share = Decimal(band["pay_share"])
                    notes.append(f"relief_band_{band['pay_share']}")
                    break
    levy_due = _money(gross * pay_share)
    relief = gross - levy_due

    reward = Decimal("0.00")
    reward_rule = rules.in_force("over_quota_reward", on)
    if reward_rule is not None and counted > required:
        extra = (Decimal(counted) - required).to_integral_value(rounding=ROUND_FLOOR)
        min_wage = declaration.monthly_min_wage
        if min_wage is None:
            wage_rule = rules.in_force("monthly_min_wage", on)
            min_wage = Decimal(wage_rule["value"]) if wage_rule is not None else None
        if min_wage is None:
            raise _refuse(
                "no_min_wage",
                "没有适用的月最低工资标准，无法计算超比例奖励",
                "No monthly minimum wage is configured, so the over-quota reward "
                "cannot be computed",
                "monthly_min_wage",
            )
        reward = _money(extra * Decimal(reward_rule["min_wage_months"]) * min_wage)
    return LevyResult(
        required=required,
        counted=counted,
        shortfall=shortfall,
        wage_used=wage_used,
        gross=gross,
        relief=relief,
        levy_due=levy_due,
        reward=reward,
        placement_rate=rate,
        exempt=exempt,
        pay_share=pay_share,
        wage_cap=wage_cap,
        notes=tuple(notes),
    )


# --- parsing the command's JSON -------------------------------------------------------------

_TOP_KEYS = {
    "levy_year",
    "enterprise",
    "staff_count",
    "avg_wage",
    "local_avg_social_wage",
    "disabled_employees",
    "declared_on",
    "monthly_min_wage",
}
_EMPLOYEE_KEYS = {
    "category",
    "level",
    "contract_months",
    "paid_at_least_min_wage",
    "social_insurance",
    "military_level",
}
_LABELS = {
    "levy_year": ("征收年度", "levy_year"),
    "enterprise": ("是否企业", "enterprise"),
    "staff_count": ("在职职工人数", "staff_count"),
    "avg_wage": ("职工年平均工资", "avg_wage"),
    "local_avg_social_wage": ("当地社会平均工资", "local_avg_social_wage"),
    "monthly_min_wage": ("月最低工资标准", "monthly_min_wage"),
    "disabled_employees": ("残疾人职工", "disabled_employees"),
    "declared_on": ("申报日期", "declared_on"),
    "category": ("残疾类别", "category"),
    "level": ("残疾等级", "level"),
    "contract_months": ("劳动合同月数", "contract_months"),
    "paid_at_least_min_wage": ("工资不低于最低工资", "paid_at_least_min_wage"),
    "social_insurance": ("足额缴纳社会保险", "social_insurance"),
    "military_level": ("残疾军人等级", "military_level"),
}


def _label(key: str, where: str) -> tuple[str, str, str]:
    zh, en = _LABELS.get(key, (key, key))
    return (f"{where}{zh}", f"{where}{en}", f"{where}{key}")


def _require_bool(data: Mapping[str, Any], key: str, where: str = "") -> bool:
    value = data.get(key)
    if not isinstance(value, bool):
        zh, en, name = _label(key, where)
        raise _refuse("not_boolean", f"{zh}应为 true 或 false", f"{en} must be true or false", name)
    return value


def _int(
    data: Mapping[str, Any],
    key: str,
    low: int,
    high: int,
    where: str = "",
    *,
    optional: bool = False,
) -> int | None:
    value = data.get(key)
    zh, en, name = _label(key, where)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _refuse("not_integer", f"{zh}应为整数", f"{en} must be a whole number", name)
    if not low <= value <= high:
        raise _refuse(
            "out_of_range",
            f"{zh}应在{low}至{high}之间",
            f"{en} must be between {low} and {high}",
            name,
        )
    return value


def parse_decimal(
    value: object, key: str, *, low: Decimal, high: Decimal, positive: bool = False
) -> Decimal:
    """A decimal amount or count with at most 2 places within [low, high]; bilingual refusal."""
    zh, en, name = _label(key, "")
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise _refuse(
            "not_decimal",
            f'{zh}应为数字（如 "12345.67"）',
            f'{en} must be a number written as a string (e.g. "12345.67")',
            name,
        )
    text = str(value).strip()
    if not _NUMBER.fullmatch(text):
        raise _refuse(
            "not_decimal",
            f'{zh}应为数字（如 "12345.67"）',
            f'{en} must be a number written as a string (e.g. "12345.67")',
            name,
        )
    amount = Decimal(text)
    if "." in text and len(text.split(".")[1]) > 2:
        raise _refuse(
            "too_many_decimals",
            f"{zh}最多保留两位小数",
            f"{en} has at most 2 decimal places",
            name,
        )
    if amount < low or (positive and amount <= 0):
        raise _refuse(
            "negative" if amount < 0 else "not_positive",
            f"{zh}应大于0" if positive else f"{zh}不能为负数",
            f"{en} must be greater than 0" if positive else f"{en} must not be negative",
            name,
        )
    if amount > high:
        raise _refuse(
            "absurd",
            f"{zh}不能超过{high}",
            f"{en} must not exceed {high}",
            name,
        )
    return amount


def _employee(row: object, index: int) -> DisabledEmployee:
    where = f"disabled_employees[{index}]."
    if not isinstance(row, Mapping):
        raise _refuse(
            "not_object",
            f"残疾人职工第{index + 1}项应为对象",
            f"disabled_employees[{index}] must be an object",
            f"disabled_employees[{index}]",
        )
    unknown = sorted(set(row) - _EMPLOYEE_KEYS)
    if unknown:
        raise _refuse(
            "unknown_field",
            f"残疾人职工第{index + 1}项含有未知字段：{', '.join(unknown)}",
            f"disabled_employees[{index}] has unknown fields: {', '.join(unknown)}",
            f"{where}{unknown[0]}",
        )
    military = _int(row, "military_level", 1, 10, where, optional=True)
    raw_category = row.get("category")
    category: int | None
    if raw_category is None and military is not None:
        category = None
    elif isinstance(raw_category, str) and raw_category.strip().lower() in CATEGORY_NAMES:
        category = CATEGORY_NAMES[raw_category.strip().lower()]
    else:
        category = _int(row, "category", 1, 7, where)
    level = _int(row, "level", 1, 4, where, optional=military is not None)
    return DisabledEmployee(
        category=category,
        level=level,
        contract_months=_int(row, "contract_months", 0, MAX_CONTRACT_MONTHS, where) or 0,
        paid_at_least_min_wage=_require_bool(row, "paid_at_least_min_wage", where),
        social_insurance=_require_bool(row, "social_insurance", where),
        military_level=military,
    )


def parse_declaration(data: object) -> Declaration:  # noqa: C901
    """A :class:`Declaration` from the command's JSON object, or :class:`LevyInputInvalid`."""
    if not isinstance(data, Mapping):
        raise _refuse("not_object", "输入应为一个 JSON 对象", "The input must be a JSON object")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise _refuse(
            "unknown_field",
            f"输入含有未知字段：{', '.join(unknown)}",
            f"The input has unknown fields: {', '.join(unknown)}",
            unknown[0],
        )
    for key in ("levy_year", "enterprise", "staff_count", "avg_wage", "local_avg_social_wage"):
        if key not in data:
            zh, en, name = _label(key, "")
            raise _refuse("missing", f"缺少{zh}", f"{en} is missing", name)
    levy_year = _int(data, "levy_year", 2000, 2100) or 0
    staff = parse_decimal(data["staff_count"], "staff_count", low=Decimal(0), high=MAX_STAFF)
    avg_wage = parse_decimal(data["avg_wage"], "avg_wage", low=Decimal(0), high=MAX_YEARLY_WAGE)
    social = parse_decimal(
        data["local_avg_social_wage"],
        "local_avg_social_wage",
        low=Decimal(0),
        high=MAX_YEARLY_WAGE,
        positive=True,
    )
    min_wage = None
    if data.get("monthly_min_wage") is not None:
        min_wage = parse_decimal(
            data["monthly_min_wage"],
            "monthly_min_wage",
            low=Decimal(0),
            high=MAX_YEARLY_WAGE,
            positive=True,
        )
    declared_on = None
    if data.get("declared_on") is not None:
        try:
            declared_on = dt.date.fromisoformat(str(data["declared_on"]))
        except ValueError:
            declared_on = None
        if declared_on is None or declared_on.year != levy_year:
            raise _refuse(
                "declared_on",
                "申报日期应为征收年度内的日期（YYYY-MM-DD）",
                "declared_on must be a date (YYYY-MM-DD) in the levy year",
                "declared_on",
            )
    rows = data.get("disabled_employees", [])
    if not isinstance(rows, list):
        raise _refuse(
            "not_list",
            "残疾人职工应为列表",
            "disabled_employees must be a list",
            "disabled_employees",
        )
    employees = tuple(_employee(row, i) for i, row in enumerate(rows))
    if len(employees) > staff:
        raise _refuse(
            "more_disabled_than_staff",
            "残疾人职工人数不能超过在职职工人数",
            "There cannot be more disabled employees than staff",
            "disabled_employees",
        )
    return Declaration(
        levy_year=levy_year,
        enterprise=_require_bool(data, "enterprise"),
        staff_count=staff,
        avg_wage=avg_wage,
        local_avg_social_wage=social,
        disabled_employees=employees,
        declared_on=declared_on,
        monthly_min_wage=min_wage,
    )


def local_avg_social_wage(levy_year: int, rules: LevyRules | None = None) -> Decimal | None:
    """The configured local average social wage used for ``levy_year`` (illustrative)."""
    row = (rules or shipped_rules()).in_force("local_avg_social_wage", dt.date(levy_year, 12, 31))
    return Decimal(row["value"]) if row is not None else None


def declaration_deadline(levy_year: int, rules: LevyRules | None = None) -> dt.date | None:
    """The last day on which declarations of ``levy_year`` are accepted."""
    row = (rules or shipped_rules()).in_force("declaration_deadline", dt.date(levy_year, 1, 1))
    if row is None:
        return None
    month, day = (int(part) for part in str(row["month_day"]).split("-"))
    return dt.date(levy_year, month, day)
