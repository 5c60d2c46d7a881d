"""Writes of a person's own effective-dated facts that other departments decide: payments
from outside the DPF (工伤护理费, 孤儿保障, 老年人护理补贴, 优抚对象护理费) and the person's
programme status (特困供养人员). Keyword-only, transactional, audited; overlaps refused.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from dpf.accounts.models import User
from dpf.accounts.permissions import require_permission
from dpf.accounts.scoping import person_in_scope
from dpf.core import audit
from dpf.core.errors import NotFound
from dpf.core.inputs import refuse
from dpf.registry.models import (
    OutsidePayment,
    OutsidePaymentKind,
    Person,
    PersonStatus,
    PersonStatusCode,
)
from dpf.registry.services import mark_facts_changed, overlapping

# Above this a monthly amount is a typing error (the largest of these payments is a few
# thousand yuan a month).
MAX_MONTHLY_AMOUNT = Decimal("100000")


def _check_person(actor: User | None, person: Person) -> Person:
    """The person, locked, when the actor may change their records (else "not found")."""
    if actor is not None:
        require_permission(actor, "change", "person", person.pk)
    locked = Person.objects.select_for_update().filter(pk=person.pk).first()
    if locked is None or (
        actor is not None
        and not person_in_scope(actor, person_id=locked.pk, village_code=locked.village_code)
    ):
        raise NotFound("person")
    return locked


def _check_dates(valid_from: Any, valid_to: Any) -> None:
    if not isinstance(valid_from, dt.date):
        raise refuse("valid_from_missing", "请填写起始日期", "enter the start date", "valid_from")
    if valid_to is not None and valid_to < valid_from:
        raise refuse(
            "date_range",
            "截止日期早于起始日期",
            "the end date is before the start date",
            "valid_to",
        )


def monthly_amount_of(value: Any) -> Decimal | None:
    """A monthly amount in yuan (two places) or None; negative, absurd or not a number is
    refused naming the field."""
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0 or amount > MAX_MONTHLY_AMOUNT:
        raise refuse(
            "monthly_amount",
            "月发放金额须为0至100000元之间的数字",
            "the monthly amount must be a number from 0 to 100,000 yuan",
            "monthly_amount",
        )
    if amount != amount.quantize(Decimal("0.01")):
        raise refuse(
            "monthly_amount",
            "月发放金额最多两位小数",
            "the monthly amount has at most two decimal places",
            "monthly_amount",
        )
    return amount.quantize(Decimal("0.01"))


@transaction.atomic
def outside_payment_record(
    *,
    actor: User | None,
    person: Person,
    kind: str,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    monthly_amount: Any = None,
    source: str = "manual",
) -> OutsidePayment:
    """Record that another department pays ``person`` a ``kind`` of payment over
    ``[valid_from, valid_to]``. A payment of the same kind overlapping one already recorded
    is refused (history is corrected explicitly, never overwritten)."""
    if kind not in OutsidePaymentKind.values:
        raise refuse("kind", "外部发放类型无效", "unknown kind of outside payment", "kind")
    _check_dates(valid_from, valid_to)
    amount = monthly_amount_of(monthly_amount)
    person = _check_person(actor, person)
    existing = OutsidePayment.objects.filter(person=person, kind=kind)
    if overlapping(existing, valid_from, valid_to):
        raise refuse(
            "outside_payment_overlap",
            "该人员在此期间已有同类外部发放记录",
            "the person already has a payment of this kind for these dates",
            "valid_from",
        )
    row = OutsidePayment.objects.create(
        person=person,
        kind=kind,
        valid_from=valid_from,
        valid_to=valid_to,
        monthly_amount=amount,
        source=source if actor is None else f"user:{actor.pk}",
    )
    mark_facts_changed([person.pk])
    audit.record(
        actor=actor,
        action="create",
        object_type="outside_payment",
        object_id=row.pk,
        changes={
            "person": person.pk,
            "kind": kind,
            "valid_from": str(valid_from),
            "valid_to": str(valid_to) if valid_to else None,
            "monthly_amount": str(amount) if amount is not None else None,
        },
    )
    return row


@transaction.atomic
def person_status_set(
    *,
    actor: User | None,
    person: Person,
    status: str,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    source: str = "manual",
) -> PersonStatus:
    """Record the person's own programme status (特困供养人员) from ``valid_from``.

    An open status that started earlier is closed the day before; any other overlap is
    refused. The household's status and the other members are left as they are.
    """
    if status not in PersonStatusCode.values:
        raise refuse("status", "人员类别无效", "unknown person status", "status")
    _check_dates(valid_from, valid_to)
    person = _check_person(actor, person)
    existing = PersonStatus.objects.filter(person=person)
    current = existing.filter(valid_to__isnull=True, valid_from__lt=valid_from).first()
    if current is not None:
        current.valid_to = valid_from - dt.timedelta(days=1)
        current.save(update_fields=["valid_to"])
    if overlapping(existing, valid_from, valid_to):
        raise refuse(
            "person_status_overlap",
            "该人员在此期间已有人员类别记录",
            "the person already has a status for these dates",
            "valid_from",
        )
    row = PersonStatus.objects.create(
        person=person,
        status=status,
        valid_from=valid_from,
        valid_to=valid_to,
        source=source if actor is None else f"user:{actor.pk}",
    )
    mark_facts_changed([person.pk])
    audit.record(
        actor=actor,
        action="change",
        object_type="person",
        object_id=person.pk,
        changes={"person_status": status, "valid_from": str(valid_from)},
    )
    return row
