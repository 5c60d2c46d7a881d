"""Every write of the benefits app: rule and standard versions, entitlements, the queue.

Overlapping versions are refused here on every database (PostgreSQL's exclusion
constraints are the second line). The proactive scan lives in ``scanning.py`` and is
re-exported here (``services.scan``) as the one entry point other apps call.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models, transaction
from django.db.models import Case, IntegerField, Q, Sum, Value, When
from django.utils import timezone

from dpf.accounts.scoping import region_in_scope
from dpf.benefits.eligibility import compiled, condition, rules_in_force
from dpf.benefits.models import (
    AmountStandard,
    BenefitItem,
    Entitlement,
    EntitlementStatus,
    RuleMode,
    RuleVersion,
    WorkItem,
    WorkItemStatus,
)
from dpf.benefits.scanning import scan
from dpf.benefits.selectors import work_item_eligibility
from dpf.core import audit
from dpf.core.errors import DomainError, ValidationFailed
from dpf.core.models import EffectiveDated, Region, RegionLevel
from dpf.core.roles import Role
from dpf.registry.models import Certificate, Person
from dpf.registry.services import mark_facts_changed, overlapping

__all__ = [
    "NotAllowed",
    "PreviewRow",
    "RuleRefused",
    "entitlement_create",
    "entitlement_suspend",
    "entitlement_terminate",
    "rule_change_preview",
    "rule_version_publish",
    "scan",
    "standard_set",
    "work_item_close",
]

CITY_PREFIX = "1504"


class NotAllowed(DomainError):
    """The actor's role may not do this (checked in the service, not only on the route)."""

    def __init__(self, what_zh: str, what_en: str) -> None:
        super().__init__("forbidden", f"无权{what_zh}", f"you may not {what_en}")


class RuleRefused(ValidationFailed):
    """A rule text that does not compile, with where (``line``, ``column``, 1-based)."""

    def __init__(
        self, code: str, message_zh: str, message_en: str, *, line: int | None, column: int | None
    ) -> None:
        super().__init__(code, message_zh, message_en, field="text")
        self.line = line
        self.column = column


def _refuse(code: str, zh: str, en: str, field: str | None = None) -> ValidationFailed:
    return ValidationFailed(code, zh, en, field=field)


def _require_city_admin(actor: Any, what_zh: str, what_en: str) -> None:
    if getattr(actor, "role", None) != Role.CITY_ADMIN or not getattr(
        actor, "is_authenticated", False
    ):
        raise NotAllowed(what_zh, what_en)


def _check_interval(valid_from: dt.date, valid_to: dt.date | None) -> None:
    if valid_to is not None and valid_to < valid_from:
        raise _refuse(
            "date_range",
            "截止日期早于起始日期",
            "the end date is before the start date",
            "valid_to",
        )


def _check_region(region_code: str, *, required: bool) -> None:
    if not region_code:
        if required:
            raise _refuse(
                "region_required",
                "地区放宽规则须指定旗县区",
                "a widening needs a county",
                "region_code",
            )
        return
    ok = Region.objects.filter(
        code=region_code, level=RegionLevel.COUNTY, code__startswith=CITY_PREFIX
    ).exists()
    if not ok:
        raise _refuse(
            "region_unknown",
            f"旗县区代码 {region_code} 不存在",
            f"county code {region_code} does not exist",
            "region_code",
        )


def check_rule_text(text: str) -> None:
    """Compile ``text``; a rule error is refused naming its line and column."""
    from dpf.rules import RuleError

    if not (text or "").strip():
        raise _refuse("rule_empty", "规则不能为空", "the rule is empty", "text")
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


def _close_open_predecessor(
    rows: models.QuerySet[Any], valid_from: dt.date
) -> tuple[Any, dt.date | None] | None:
    """End the open version that started before ``valid_from`` the day before it."""
    current = rows.filter(valid_to__isnull=True, valid_from__lt=valid_from).first()
    if current is None:
        return None
    before = current.valid_to
    current.valid_to = valid_from - dt.timedelta(days=1)
    current.save(update_fields=["valid_to"])
    return current, before


@transaction.atomic
def rule_version_publish(
    *,
    actor: Any,
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
    _require_city_admin(actor, "发布规则", "publish rules")
    if mode not in RuleMode.values:
        raise _refuse("mode", "规则方式无效", "invalid rule mode", "mode")
    region_code = (region_code or "").strip()
    if mode == RuleMode.BASE and region_code:
        raise _refuse(
            "base_region",
            "基本规则适用于全市，不能指定地区；旗县区请使用放宽规则",
            "a base rule applies city-wide; a county publishes a widening",
            "region_code",
        )
    _check_region(region_code, required=mode == RuleMode.WIDEN)
    _check_interval(valid_from, valid_to)
    check_rule_text(text)
    BenefitItem.objects.select_for_update().filter(pk=benefit.pk).first()
    rows = RuleVersion.objects.filter(benefit=benefit, region_code=region_code, mode=mode)
    closed = _close_open_predecessor(rows, valid_from)
    if overlapping(rows, valid_from, valid_to):
        raise _refuse(
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


def _flag(cond: Q | When, *, unless: Q | None = None) -> Sum:
    whens = [When(unless, then=Value(0))] if unless is not None else []
    whens.append(When(cond, then=Value(1)))
    return Sum(Case(*whens, default=Value(0), output_field=IntegerField()))


def rule_change_preview(
    *,
    actor: Any,
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
    _require_city_admin(actor, "预览规则变更", "preview rule changes")
    region_code = (region_code or "").strip()
    if mode == RuleMode.BASE and region_code:
        raise _refuse(
            "base_region",
            "基本规则适用于全市，不能指定地区；旗县区请使用放宽规则",
            "a base rule applies city-wide; a county publishes a widening",
            "region_code",
        )
    _check_region(region_code, required=mode == RuleMode.WIDEN)
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
    rows = (
        Person.objects.filter(county_code__startswith=CITY_PREFIX)
        .values("county_code")
        .annotate(
            current=_flag(now_q),
            proposed=_flag(new_q),
            gaining=_flag(new_q, unless=now_q),
            losing=_flag(now_q, unless=new_q),
        )
        .order_by("county_code")
    )
    names = dict(
        Region.objects.filter(level=RegionLevel.COUNTY, code__startswith=CITY_PREFIX).values_list(
            "code", "name"
        )
    )
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
            )
        )
    return out


def _decimal_amount(value: Any, field: str = "monthly_amount") -> Decimal:
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise _refuse("amount", "金额格式不正确", "the amount is not a number", field) from None
    if not amount.is_finite() or amount < 0:
        raise _refuse("amount_negative", "金额不能为负数", "the amount cannot be negative", field)
    if amount != amount.quantize(Decimal("0.01")) or amount >= Decimal("100000000"):
        raise _refuse(
            "amount_format",
            "金额最多两位小数、不超过一亿元",
            "the amount has at most 2 decimals and is below 100,000,000",
            field,
        )
    return amount.quantize(Decimal("0.01"))


@transaction.atomic
def standard_set(
    *,
    actor: Any,
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
    _require_city_admin(actor, "设置补贴标准", "set amount standards")
    amount = _decimal_amount(monthly_amount)
    region_code = (region_code or "").strip()
    _check_region(region_code, required=False)
    if level is not None and level not in (1, 2, 3, 4):
        raise _refuse("level", "残疾等级应为1至4", "the level must be 1 to 4", "level")
    _check_interval(valid_from, valid_to)
    BenefitItem.objects.select_for_update().filter(pk=benefit.pk).first()
    rows = AmountStandard.objects.filter(benefit=benefit, region_code=region_code, level=level)
    closed = _close_open_predecessor(rows, valid_from)
    if overlapping(rows, valid_from, valid_to):
        raise _refuse(
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
        EffectiveDated.as_of_q(as_of),
        Q(region_code=county_code) | Q(region_code=""),
        Q(level=level) | Q(level__isnull=True),
        benefit=benefit,
    )
    best: AmountStandard | None = None
    best_rank = -1
    for s in candidates:
        rank = (2 if s.region_code else 0) + (1 if s.level is not None else 0)
        if rank > best_rank:
            best, best_rank = s, rank
    return best


def _actor_source(actor: Any) -> str:
    pk = getattr(actor, "pk", None)
    return f"user:{pk}" if pk is not None else "system"


@transaction.atomic
def entitlement_create(
    *,
    actor: Any,
    person: Person,
    benefit: BenefitItem,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    monthly_amount: Decimal | str | None = None,
    source: str = "",
    status_reason: str = "",
) -> Entitlement:
    """Enrol a person in a benefit (minimal; the workflow issue adds applications).

    Without ``monthly_amount`` the standard in force on ``valid_from`` for the person's
    county and certificate level applies. Refused when an active entitlement of the same
    benefit overlaps the dates.
    """
    _check_interval(valid_from, valid_to)
    if actor is not None and not region_in_scope(actor, person.village_code):
        raise NotAllowed("办理该人员的待遇", "enrol this person")
    Person.objects.select_for_update().filter(pk=person.pk).first()
    active = Entitlement.objects.filter(
        person=person, benefit=benefit, status=EntitlementStatus.ACTIVE
    )
    if overlapping(active, valid_from, valid_to):
        raise _refuse(
            "entitlement_overlap",
            "该人员在此期间已享受该待遇",
            "the person already receives this benefit for these dates",
            "valid_from",
        )
    if monthly_amount is None:
        level = (
            Certificate.objects.filter(EffectiveDated.as_of_q(valid_from), person=person)
            .values_list("level", flat=True)
            .first()
        )
        standard = amount_for(
            benefit, county_code=person.county_code, level=level, as_of=valid_from
        )
        amount = standard.monthly_amount if standard else None
    else:
        amount = _decimal_amount(monthly_amount)
    entitlement = Entitlement.objects.create(
        person=person,
        benefit=benefit,
        status=EntitlementStatus.ACTIVE,
        valid_from=valid_from,
        valid_to=valid_to,
        monthly_amount=amount,
        source=(source or _actor_source(actor))[:100],
        status_reason=status_reason[:300],
    )
    mark_facts_changed([person.pk])
    audit.record(
        actor=actor,
        actor_name="" if actor else "system",
        action="create",
        object_type="entitlement",
        object_id=entitlement.pk,
        changes={
            "person": person.pk,
            "benefit": benefit.code,
            "valid_from": valid_from.isoformat(),
            "monthly_amount": str(amount) if amount is not None else None,
        },
    )
    return entitlement


def _end_entitlement(
    *, actor: Any, entitlement: Entitlement, status: str, on: dt.date, reason: str
) -> Entitlement:
    if not (reason or "").strip():
        raise _refuse("reason_required", "请填写原因", "a reason is required", "reason")
    if actor is not None and not region_in_scope(actor, entitlement.person.village_code):
        raise NotAllowed("办理该人员的待遇", "change this person's benefits")
    locked = Entitlement.objects.select_for_update().get(pk=entitlement.pk)
    if locked.status != EntitlementStatus.ACTIVE:
        raise _refuse(
            "entitlement_not_active", "该待遇不在享受中", "the entitlement is not active", "status"
        )
    if on <= locked.valid_from:
        raise _refuse(
            "date_range", "日期须晚于起始日期", "the date must follow the start date", "on"
        )
    before = {"status": locked.status, "valid_to": str(locked.valid_to)}
    locked.status = status
    locked.status_reason = reason.strip()[:300]
    locked.valid_to = min(on - dt.timedelta(days=1), locked.valid_to or on)
    locked.save(update_fields=["status", "status_reason", "valid_to"])
    mark_facts_changed([locked.person_id])
    audit.record(
        actor=actor,
        action="change",
        object_type="entitlement",
        object_id=locked.pk,
        changes={"before": before, "after": {"status": status, "valid_to": str(locked.valid_to)}},
        reason=reason[:300],
    )
    return locked


@transaction.atomic
def entitlement_suspend(
    *, actor: Any, entitlement: Entitlement, on: dt.date, reason: str
) -> Entitlement:
    """Suspend from ``on`` (paid until the day before; the workflow issue adds resuming)."""
    return _end_entitlement(
        actor=actor,
        entitlement=entitlement,
        status=EntitlementStatus.SUSPENDED,
        on=on,
        reason=reason,
    )


@transaction.atomic
def entitlement_terminate(
    *, actor: Any, entitlement: Entitlement, on: dt.date, reason: str
) -> Entitlement:
    """Terminate from ``on`` (the last day received is the day before)."""
    return _end_entitlement(
        actor=actor,
        entitlement=entitlement,
        status=EntitlementStatus.TERMINATED,
        on=on,
        reason=reason,
    )


@transaction.atomic
def work_item_close(*, actor: Any, item: WorkItem, status: str, note: str = "") -> WorkItem:
    """A worker closes a queue item as handled (``done``) or not to be acted on
    (``dismissed``, with a note). Only staff whose region covers the item's village."""
    if status not in (WorkItemStatus.DONE, WorkItemStatus.DISMISSED):
        raise _refuse("status", "状态无效", "invalid status", "status")
    if not region_in_scope(actor, item.village_code):
        raise NotAllowed("处理该事项", "handle this item")
    if status == WorkItemStatus.DISMISSED and not note.strip():
        raise _refuse("note_required", "不予处理须说明原因", "say why it is dismissed", "note")
    locked = (
        WorkItem.objects.select_for_update().select_related("person", "benefit").get(pk=item.pk)
    )
    if locked.status != WorkItemStatus.OPEN:
        raise _refuse("item_closed", "该事项已处理", "the item is already closed", "status")
    # Keep the basis the worker saw when deciding (the rules may change later).
    locked.explanation = work_item_eligibility(locked).as_json()
    locked.status = status
    locked.note = note.strip()[:300]
    locked.closed_at = timezone.now()
    locked.closed_by = actor
    locked.save(update_fields=["status", "note", "closed_at", "closed_by", "explanation"])
    audit.record(
        actor=actor,
        action="change",
        object_type="work_item",
        object_id=locked.pk,
        changes={"status": ["open", status]},
        reason=note[:300],
    )
    return locked
