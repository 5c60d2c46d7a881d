"""Entitlements (minimal: the workflow app adds applications and payments) and closing
items of the worker's queue."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from dpf.accounts.models import User
from dpf.accounts.permissions import PermissionRefused
from dpf.accounts.scoping import region_in_scope
from dpf.benefits.models import (
    BenefitItem,
    Entitlement,
    EntitlementStatus,
    WorkItem,
    WorkItemStatus,
)
from dpf.benefits.selectors import work_item_eligibility
from dpf.benefits.services.common import (
    actor_source,
    check_interval,
    decimal_amount,
    refuse,
)
from dpf.benefits.services.versions import amount_for
from dpf.core import audit
from dpf.core.models import EffectiveDated
from dpf.core.text import check_text_characters
from dpf.registry.models import Certificate, Person
from dpf.registry.services import mark_facts_changed, overlapping


@transaction.atomic
def entitlement_create(
    *,
    actor: User | None,
    person: Person,
    benefit: BenefitItem,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    monthly_amount: Decimal | str | None = None,
    amount_fixed: bool = False,
    source: str = "",
    status_reason: str = "",
) -> Entitlement:
    """Enrol a person in a benefit (minimal; the workflow issue adds applications).

    Without ``monthly_amount`` the standard in force on ``valid_from`` for the person's
    county and certificate level applies. With ``amount_fixed`` the given amount was
    decided for this period and is paid as it is (a care placement's subsidy). Refused
    when a period of the same benefit (in whatever status now) overlaps the dates.
    """
    check_interval(valid_from, valid_to)
    if amount_fixed and monthly_amount is None:
        raise refuse(
            "amount_required",
            "按核定金额发放须填写月金额",
            "a decided amount needs the monthly amount",
            "monthly_amount",
        )
    if actor is not None and not region_in_scope(actor, person.village_code):
        raise PermissionRefused("create", "entitlement", person.pk)
    Person.objects.select_for_update().filter(pk=person.pk).first()
    # Every period counts, whatever its status now: a suspended or terminated one was in
    # force over its dates, and two periods on one day would be paid twice.
    periods = Entitlement.objects.filter(person=person, benefit=benefit)
    if overlapping(periods, valid_from, valid_to):
        raise refuse(
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
        amount = decimal_amount(monthly_amount)
    entitlement = Entitlement.objects.create(
        person=person,
        benefit=benefit,
        status=EntitlementStatus.ACTIVE,
        valid_from=valid_from,
        valid_to=valid_to,
        monthly_amount=amount,
        amount_fixed=amount_fixed,
        source=(source or actor_source(actor))[:100],
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
            **({"amount_fixed": True} if amount_fixed else {}),
        },
    )
    return entitlement


def _end_entitlement(
    *, actor: User | None, entitlement: Entitlement, status: str, on: dt.date, reason: str
) -> Entitlement:
    if not (reason or "").strip():
        raise refuse("reason_required", "请填写原因", "a reason is required", "reason")
    if actor is not None and not region_in_scope(actor, entitlement.person.village_code):
        raise PermissionRefused("change", "entitlement", entitlement.pk)
    locked = Entitlement.objects.select_for_update().get(pk=entitlement.pk)
    if locked.status != EntitlementStatus.ACTIVE:
        raise refuse(
            "entitlement_not_active", "该待遇不在享受中", "the entitlement is not active", "status"
        )
    if on <= locked.valid_from:
        raise refuse(
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
    *, actor: User | None, entitlement: Entitlement, on: dt.date, reason: str
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
    *, actor: User | None, entitlement: Entitlement, on: dt.date, reason: str
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
def work_item_close(*, actor: User | None, item: WorkItem, status: str, note: str = "") -> WorkItem:
    """A worker closes a queue item as handled (``done``) or not to be acted on
    (``dismissed``, with a note). Only staff whose region covers the item's village."""
    if status not in (WorkItemStatus.DONE, WorkItemStatus.DISMISSED):
        raise refuse("status", "状态无效", "invalid status", "status")
    if not region_in_scope(actor, item.village_code):
        raise PermissionRefused("view", "work_item", item.pk)
    check_text_characters(note, field="note", label_zh="说明", label_en="note", multiline=True)
    if status == WorkItemStatus.DISMISSED and not note.strip():
        raise refuse("note_required", "不予处理须说明原因", "say why it is dismissed", "note")
    locked = (
        WorkItem.objects.select_for_update().select_related("person", "benefit").get(pk=item.pk)
    )
    if locked.status != WorkItemStatus.OPEN:
        raise refuse("item_closed", "该事项已处理", "the item is already closed", "status")
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
