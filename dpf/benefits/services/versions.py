"""Rule versions (with the change preview) and amount standards: city admins only.

An open version of the same key that started earlier is ended the day before the new one;
any other overlap is refused here on every database (PostgreSQL's exclusion constraints
are the second line). Nothing is written on refusal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import (
    Case,
    DecimalField,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from dpf.accounts.models import User
from dpf.accounts.permissions import require_permission
from dpf.benefits.eligibility import compiled, condition, rules_in_force
from dpf.benefits.exclusive import monthly_standard
from dpf.benefits.models import (
    AmountStandard,
    BenefitItem,
    RuleMode,
    RuleVersion,
)
from dpf.benefits.services.common import (
    RuleRefused,
    check_interval,
    check_region,
    close_open_predecessor,
    decimal_amount,
    refuse,
)
from dpf.benefits.standards import StandardTable
from dpf.core import audit
from dpf.core.models import EffectiveDated
from dpf.core.regions import counties, root_prefix
from dpf.core.text import check_text_characters
from dpf.registry.models import Certificate, Person
from dpf.registry.services import overlapping


def check_rule_text(text: str) -> None:
    """Compile ``text``; a rule error is refused naming its line and column."""
    from dpf.rules import RuleError

    if not (text or "").strip():
        raise refuse("rule_empty", "规则不能为空", "the rule is empty", "text")
    try:
        compiled(text)
    except RuleError as exc:
        line = getattr(exc, "line", None)
        column = getattr(exc, "column", None)
        where_zh = f"第{line}行第{column}列：" if line is not None else ""
        where_en = f"line {line}, column {column}: " if line is not None else ""
        raise RuleRefused(
            exc.code,
            f"{where_zh}{exc.message_zh}",
            f"{where_en}{exc.message_en}",
            line=line,
            column=column,
        ) from None


@transaction.atomic
def rule_version_publish(
    *,
    actor: User,
    benefit: BenefitItem,
    text: str,
    region_code: str = "",
    mode: str = RuleMode.BASE,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    note: str = "",
) -> RuleVersion:
    """Publish a new version of a benefit's rule (city admins only).

    The text is compiled first (a syntax or type error is refused with its position). An
    open version of the same (benefit, region, mode) that started earlier is ended the day
    before ``valid_from``; any other overlap is refused. Nothing is written on refusal.
    """
    require_permission(actor, "change", "rule_version", benefit.code)
    if mode not in RuleMode.values:
        raise refuse("mode", "规则方式无效", "invalid rule mode", "mode")
    region_code = (region_code or "").strip()
    if mode == RuleMode.BASE and region_code:
        raise refuse(
            "base_region",
            "基本规则适用于全市，不能指定地区；旗县区请使用放宽规则",
            "a base rule applies city-wide; a county publishes a widening",
            "region_code",
        )
    check_region(region_code, required=mode == RuleMode.WIDEN)
    check_interval(valid_from, valid_to)
    check_rule_text(text)
    check_text_characters(note, field="note", label_zh="说明", label_en="note", multiline=True)
    BenefitItem.objects.select_for_update().filter(pk=benefit.pk).first()
    rows = RuleVersion.objects.filter(benefit=benefit, region_code=region_code, mode=mode)
    closed = close_open_predecessor(rows, valid_from)
    if overlapping(rows, valid_from, valid_to):
        raise refuse(
            "rule_overlap",
            "该事项在此期间已有同一地区、同一方式的规则版本",
            "a version of this rule for the same region and mode covers these dates",
            "valid_from",
        )
    version = RuleVersion.objects.create(
        benefit=benefit,
        region_code=region_code,
        mode=mode,
        text=text.strip(),
        valid_from=valid_from,
        valid_to=valid_to,
        created_by=actor,
        note=note[:300],
        source=f"user:{actor.pk}",
    )
    changes: dict[str, Any] = {
        "benefit": benefit.code,
        "mode": mode,
        "region_code": region_code,
        "valid_from": valid_from.isoformat(),
        "valid_to": valid_to.isoformat() if valid_to else None,
        "text": version.text,
    }
    if closed is not None:
        changes["ended_version"] = {"id": closed[0].pk, "valid_to": str(closed[0].valid_to)}
    audit.record(
        actor=actor,
        action="create",
        object_type="rule_version",
        object_id=version.pk,
        changes=changes,
        reason=note[:300],
    )
    return version


@dataclass(frozen=True)
class PreviewRow:
    """Counts for one county: eligible now, eligible under the new text, gains, losses."""

    county_code: str
    county_name: str
    current: int
    proposed: int
    gaining: int
    losing: int
    # Monthly money at the benefit's standards on the preview date (yuan): paid to those
    # eligible now, to those eligible under the new text, and the difference. A person
    # with no standard for their county and level counts as a person, adds no money.
    money_current: Decimal = Decimal(0)
    money_proposed: Decimal = Decimal(0)

    @property
    def money_change(self) -> Decimal:
        return self.money_proposed - self.money_current


_MONEY: DecimalField[Decimal, Decimal] = DecimalField(max_digits=14, decimal_places=2)


def _flag(cond: Q, *, unless: Q | None = None) -> Sum:
    whens = [When(unless, then=Value(0))] if unless is not None else []
    whens.append(When(cond, then=Value(1)))
    return Sum(Case(*whens, default=Value(0), output_field=IntegerField()))


def _money(cond: Q) -> Sum:
    """The monthly standard (annotation ``_amount``) summed over persons meeting ``cond``."""
    return Sum(Case(When(cond, then=F("_amount")), default=Value(0), output_field=_MONEY))


def rule_change_preview(
    *,
    actor: User | None,
    benefit: BenefitItem,
    text: str,
    region_code: str = "",
    mode: str = RuleMode.BASE,
    as_of: dt.date,
) -> list[PreviewRow]:
    """What publishing ``text`` would change on ``as_of``, per county, before saving.

    One aggregate query: for each county, people eligible under the versions in force and
    under the versions with ``text`` in place of the one it replaces. ``CASE WHEN`` keeps a
    rule clause that is unknown (NULL) for a person on the "not eligible" side both times.
    """
    require_permission(actor, "change", "rule_version", benefit.code)
    region_code = (region_code or "").strip()
    if mode == RuleMode.BASE and region_code:
        raise refuse(
            "base_region",
            "基本规则适用于全市，不能指定地区；旗县区请使用放宽规则",
            "a base rule applies city-wide; a county publishes a widening",
            "region_code",
        )
    check_region(region_code, required=mode == RuleMode.WIDEN)
    check_rule_text(text)
    rules = rules_in_force(benefit, as_of)
    base_now = rules.base.text if rules.base else None
    widen_now = {c: v.text for c, v in rules.widenings.items()}
    base_new, widen_new = base_now, dict(widen_now)
    if mode == RuleMode.BASE:
        base_new = text
    else:
        widen_new[region_code] = text
    now_q = condition(base_now, widen_now, as_of)
    new_q = condition(base_new, widen_new, as_of)
    # The certificate level on the day picks the standard (as exclusive.monthly_standard
    # and amount_for do): one correlated subquery, still one statement for all persons.
    level = (
        Certificate.objects.filter(EffectiveDated.as_of_q(as_of), person=OuterRef("pk"))
        .order_by("-valid_from", "-pk")
        .values("level")[:1]
    )
    rows = (
        Person.objects.filter(county_code__startswith=root_prefix())
        .annotate(_level=Subquery(level))
        .annotate(_amount=Coalesce(monthly_standard(benefit, as_of), Value(0, output_field=_MONEY)))
        .values("county_code")
        .annotate(
            current=_flag(now_q),
            proposed=_flag(new_q),
            gaining=_flag(new_q, unless=now_q),
            losing=_flag(now_q, unless=new_q),
            money_current=_money(now_q),
            money_proposed=_money(new_q),
        )
        .order_by("county_code")
    )
    names = dict(counties().values_list("code", "name"))
    by_county = {r["county_code"]: r for r in rows}
    out = []
    for code in sorted(set(names) | set(by_county)):
        r = by_county.get(code, {})
        out.append(
            PreviewRow(
                county_code=code,
                county_name=names.get(code, code),
                current=int(r.get("current") or 0),
                proposed=int(r.get("proposed") or 0),
                gaining=int(r.get("gaining") or 0),
                losing=int(r.get("losing") or 0),
                money_current=Decimal(r.get("money_current") or 0),
                money_proposed=Decimal(r.get("money_proposed") or 0),
            )
        )
    return out


@transaction.atomic
def standard_set(
    *,
    actor: User,
    benefit: BenefitItem,
    monthly_amount: Decimal | str,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    region_code: str = "",
    level: int | None = None,
    illustrative: bool = False,
) -> AmountStandard:
    """Set a monthly amount standard from ``valid_from`` (city admins only).

    An open standard of the same (benefit, region, level) that started earlier is ended the
    day before; any other overlap is refused.
    """
    require_permission(actor, "change", "rule_version", benefit.code)
    amount = decimal_amount(monthly_amount)
    region_code = (region_code or "").strip()
    check_region(region_code, required=False)
    if level is not None and level not in (1, 2, 3, 4):
        raise refuse("level", "残疾等级应为1至4", "the level must be 1 to 4", "level")
    check_interval(valid_from, valid_to)
    BenefitItem.objects.select_for_update().filter(pk=benefit.pk).first()
    rows = AmountStandard.objects.filter(benefit=benefit, region_code=region_code, level=level)
    closed = close_open_predecessor(rows, valid_from)
    if overlapping(rows, valid_from, valid_to):
        raise refuse(
            "standard_overlap",
            "该事项在此期间已有同一地区、同一等级的标准",
            "a standard for the same region and level covers these dates",
            "valid_from",
        )
    standard = AmountStandard.objects.create(
        benefit=benefit,
        region_code=region_code,
        level=level,
        monthly_amount=amount,
        valid_from=valid_from,
        valid_to=valid_to,
        illustrative=illustrative,
        created_by=actor,
        source=f"user:{actor.pk}",
    )
    changes: dict[str, Any] = {
        "benefit": benefit.code,
        "region_code": region_code,
        "level": level,
        "monthly_amount": str(amount),
        "valid_from": valid_from.isoformat(),
        "illustrative": illustrative,
    }
    if closed is not None:
        changes["ended_standard"] = closed[0].pk
    audit.record(
        actor=actor,
        action="create",
        object_type="amount_standard",
        object_id=standard.pk,
        changes=changes,
    )
    return standard


def amount_for(
    benefit: BenefitItem, *, county_code: str, level: int | None, as_of: dt.date
) -> AmountStandard | None:
    """The most specific standard in force: county+level, county, city+level, city."""
    candidates = AmountStandard.objects.filter(
        EffectiveDated.as_of_q(as_of), region_code__in=[county_code, ""], benefit=benefit
    )
    return StandardTable.of(candidates).pick(county_code, level, as_of)
