"""An entitlement's life after approval: suspension (e.g. the certificate expired: the
scan's review items), resumption, termination (death, moving away, no longer eligible).

The benefits service changes the entitlement row; this app keeps the history
(``EntitlementEvent``). A resumption is a new entitlement from the resumption day (the
suspended one keeps the dates it was in force), linked by the event's ``previous``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Q

from dpf.accounts.models import User
from dpf.accounts.permissions import require_permission
from dpf.benefits import services as benefit_services
from dpf.benefits.models import (
    BenefitItem,
    Entitlement,
    EntitlementStatus,
    WorkItem,
    WorkItemKind,
    WorkItemStatus,
)
from dpf.core import audit
from dpf.core.errors import NotFound
from dpf.registry.models import Person
from dpf.registry.services import mark_facts_changed
from dpf.workflow.models import EntitlementEvent
from dpf.workflow.services.common import (
    actor_source,
    clean_reason,
    now_or,
    refuse,
    require_scope,
    today_or,
)

Reason = EntitlementEvent.Reason
SUSPEND_REASONS = (Reason.CERTIFICATE_EXPIRED, Reason.NO_LONGER_ELIGIBLE, Reason.OTHER)
TERMINATE_REASONS = (Reason.DEATH, Reason.MOVED_AWAY, Reason.NO_LONGER_ELIGIBLE, Reason.OTHER)


def _entitlement(actor: User | None, entitlement_id: int) -> Entitlement:
    require_permission(actor, "change", "entitlement", entitlement_id)
    entitlement = (
        Entitlement.objects.select_related("person", "benefit").filter(pk=entitlement_id).first()
    )
    if entitlement is None:
        raise NotFound("entitlement")
    require_scope(actor, entitlement.person.village_code, "entitlement")
    return entitlement


def _review_item(
    actor: User | None, work_item_id: int | None, entitlement: Entitlement
) -> WorkItem | None:
    if work_item_id is None:
        return None
    item = WorkItem.objects.filter(
        pk=work_item_id,
        kind=WorkItemKind.REVIEW,
        person_id=entitlement.person_id,
        benefit_id=entitlement.benefit_id,
    ).first()
    if item is None:
        raise NotFound("work item")
    return item


def _event(
    *,
    entitlement: Entitlement,
    kind: str,
    from_status: str,
    on: dt.date,
    reason_code: str,
    reason: str,
    source: str,
    actor: User | None,
    now: dt.datetime,
    previous: Entitlement | None = None,
) -> EntitlementEvent:
    return EntitlementEvent.objects.create(
        entitlement=entitlement,
        person_id=entitlement.person_id,
        benefit_id=entitlement.benefit_id,
        kind=kind,
        from_status=from_status,
        to_status=entitlement.status,
        on=on,
        reason_code=reason_code,
        reason=reason[:300],
        source=source[:60],
        previous=previous,
        actor=actor if getattr(actor, "pk", None) else None,
        at=now,
    )


def _close_review(actor: User | None, item: WorkItem | None, note: str) -> None:
    if item is not None and item.status == WorkItemStatus.OPEN:
        benefit_services.work_item_close(
            actor=actor, item=item, status=WorkItemStatus.DONE, note=note
        )


def _text(reason_code: str, reason: str) -> str:
    label = str(Reason(reason_code).label)
    return f"{label}：{reason}" if reason else label


@transaction.atomic
def suspend(
    *,
    actor: User | None,
    entitlement_id: int,
    on: dt.date,
    reason_code: str,
    reason: str = "",
    work_item_id: int | None = None,
    now: dt.datetime | None = None,
) -> Entitlement:
    """Suspend from ``on`` (paid for the months it was in force on their first day)."""
    if reason_code not in SUSPEND_REASONS:
        raise refuse("reason_code", "请选择暂停原因", "choose why it is suspended", "reason_code")
    reason = clean_reason(reason, required=reason_code == Reason.OTHER)
    now = now_or(now)
    entitlement = _entitlement(actor, entitlement_id)
    item = _review_item(actor, work_item_id, entitlement)
    changed = benefit_services.entitlement_suspend(
        actor=actor, entitlement=entitlement, on=on, reason=_text(reason_code, reason)
    )
    source = f"work_item:{item.pk}" if item else actor_source(actor)
    _event(
        entitlement=changed,
        kind=EntitlementEvent.Kind.SUSPENDED,
        from_status=EntitlementStatus.ACTIVE,
        on=on,
        reason_code=reason_code,
        reason=reason,
        source=source,
        actor=actor,
        now=now,
    )
    _close_review(actor, item, f"已暂停 / suspended from {on.isoformat()}")
    return changed


@transaction.atomic
def resume(
    *,
    actor: User | None,
    entitlement_id: int,
    on: dt.date,
    reason: str,
    now: dt.datetime | None = None,
) -> Entitlement:
    """Resume a suspended entitlement from ``on``: a new entitlement at the standard in
    force then (refused when the person already receives the benefit again)."""
    reason = clean_reason(reason)
    now = now_or(now)
    old = _entitlement(actor, entitlement_id)
    Entitlement.objects.select_for_update().filter(pk=old.pk).first()
    old.refresh_from_db()
    if old.status != EntitlementStatus.SUSPENDED:
        raise refuse(
            "not_suspended", "只有暂停的待遇可以恢复", "only a suspended entitlement can resume"
        )
    if EntitlementEvent.objects.filter(previous=old, kind=EntitlementEvent.Kind.RESUMED).exists():
        raise refuse("already_resumed", "该待遇已恢复", "this entitlement has already resumed")
    if old.valid_to is not None and on <= old.valid_to:
        raise refuse(
            "date_range",
            "恢复日期须晚于暂停日期",
            "the resumption must follow the suspension",
            "on",
        )
    new = benefit_services.entitlement_create(
        actor=actor,
        person=old.person,
        benefit=old.benefit,
        valid_from=on,
        source=f"resumed:{old.pk}",
        status_reason="恢复 / resumed",
    )
    _event(
        entitlement=new,
        kind=EntitlementEvent.Kind.RESUMED,
        from_status=EntitlementStatus.SUSPENDED,
        on=on,
        reason_code=Reason.RESUMED,
        reason=reason,
        source=actor_source(actor),
        actor=actor,
        now=now,
        previous=old,
    )
    return new


@transaction.atomic
def terminate(
    *,
    actor: User | None,
    entitlement_id: int,
    on: dt.date,
    reason_code: str,
    reason: str = "",
    work_item_id: int | None = None,
    now: dt.datetime | None = None,
) -> Entitlement:
    """Terminate from ``on`` (death, moving away, no longer eligible)."""
    if reason_code not in TERMINATE_REASONS:
        raise refuse("reason_code", "请选择终止原因", "choose why it ends", "reason_code")
    reason = clean_reason(reason, required=reason_code == Reason.OTHER)
    now = now_or(now)
    entitlement = _entitlement(actor, entitlement_id)
    item = _review_item(actor, work_item_id, entitlement)
    if entitlement.status != EntitlementStatus.ACTIVE:
        raise refuse(
            "entitlement_not_active",
            "该待遇不在享受中（暂停的待遇不再恢复即可）",
            "the entitlement is not active (a suspended one simply is not resumed)",
            "status",
        )
    changed = benefit_services.entitlement_terminate(
        actor=actor, entitlement=entitlement, on=on, reason=_text(reason_code, reason)
    )
    _event(
        entitlement=changed,
        kind=EntitlementEvent.Kind.TERMINATED,
        from_status=EntitlementStatus.ACTIVE,
        on=on,
        reason_code=reason_code,
        reason=reason,
        source=f"work_item:{item.pk}" if item else actor_source(actor),
        actor=actor,
        now=now,
    )
    _close_review(actor, item, f"已终止 / terminated from {on.isoformat()}")
    return changed


@transaction.atomic
def terminate_many(
    *,
    last_days: dict[int, dt.date],
    reason_code: str,
    reason: str,
    source: str,
    now: dt.datetime | None = None,
) -> list[Entitlement]:
    """Terminate many entitlements at once for a scheduled job (no person acts): each of
    ``last_days`` (entitlement id -> its last day in force) that is still active ends on
    that day, or on its own earlier fixed end, with its ``terminated`` event; one UPDATE,
    one INSERT and one audit entry whatever the number. The caller chooses last days that
    leave every earlier day as it was (a period is never shortened into the past)."""
    if reason_code not in TERMINATE_REASONS:
        raise refuse("reason_code", "请选择终止原因", "choose why it ends", "reason_code")
    now = now_or(now)
    rows = list(
        Entitlement.objects.select_for_update()
        .filter(pk__in=list(last_days), status=EntitlementStatus.ACTIVE)
        .order_by("pk")
    )
    text = _text(reason_code, reason)[:300]
    ends: dict[int, dt.date] = {}
    for row in rows:
        last = last_days[row.pk]
        if last < row.valid_from:
            raise refuse(
                "date_range", "日期须晚于起始日期", "the date must follow the start date", "on"
            )
        ends[row.pk] = row.valid_to = last if row.valid_to is None else min(last, row.valid_to)
        row.status = EntitlementStatus.TERMINATED
        row.status_reason = text
    Entitlement.objects.bulk_update(rows, ["status", "status_reason", "valid_to"])
    EntitlementEvent.objects.bulk_create(
        EntitlementEvent(
            entitlement=row,
            person_id=row.person_id,
            benefit_id=row.benefit_id,
            kind=EntitlementEvent.Kind.TERMINATED,
            from_status=EntitlementStatus.ACTIVE,
            to_status=EntitlementStatus.TERMINATED,
            on=ends[row.pk] + dt.timedelta(days=1),
            reason_code=reason_code,
            reason=reason[:300],
            source=source[:60],
            at=now,
        )
        for row in rows
    )
    mark_facts_changed([row.person_id for row in rows])
    if rows:
        audit.record(
            actor=None,
            actor_name="scheduler",
            action="change",
            object_type="entitlement",
            changes={
                "terminated": [[row.pk, ends[row.pk].isoformat()] for row in rows],
                "reason_code": reason_code,
                "source": source[:60],
            },
            reason=reason[:300],
        )
    return rows


@transaction.atomic
def review_resolve(
    *,
    actor: User | None,
    work_item_id: int,
    action: str,
    on: dt.date | None = None,
    reason_code: str = "",
    reason: str = "",
    now: dt.datetime | None = None,
) -> WorkItem:
    """Act on a scan's review item (receiving but no longer eligible): suspend or terminate
    the person's active entitlement of that benefit, or dismiss the item with a note."""
    now = now_or(now)
    item = (
        WorkItem.objects.select_related("benefit")
        .filter(pk=work_item_id, kind=WorkItemKind.REVIEW)
        .first()
    )
    if item is None:
        raise NotFound("work item")
    require_scope(actor, item.village_code, "work item")
    if item.status != WorkItemStatus.OPEN:
        raise refuse("item_closed", "该事项已处理", "the item is already closed")
    if action == "dismiss":
        return benefit_services.work_item_close(
            actor=actor,
            item=item,
            status=WorkItemStatus.DISMISSED,
            note=clean_reason(reason),
        )
    if action not in ("suspend", "terminate"):
        raise refuse("action", "操作无效", "invalid action", "action")
    day = on or today_or(None, now)
    entitlement = (
        Entitlement.objects.filter(
            person_id=item.person_id, benefit_id=item.benefit_id, status=EntitlementStatus.ACTIVE
        )
        .order_by("-valid_from")
        .first()
    )
    if entitlement is None:
        raise refuse(
            "no_active_entitlement",
            "该人员没有享受中的该项待遇",
            "the person has no active entitlement of this benefit",
        )
    handler = suspend if action == "suspend" else terminate
    handler(
        actor=actor,
        entitlement_id=entitlement.pk,
        on=day,
        reason_code=reason_code,
        reason=reason,
        work_item_id=item.pk,
        now=now,
    )
    item.refresh_from_db()
    return item


# Entitlements decided outside an application -----------------------------------------------
# A care placement (托养, ``dpf.services``) grants the catalogue's care benefit for its months
# at the subsidy the county decided: the placement's service checks who may place whom, and
# these write the entitlement and its history, so the payment lists pay it like any other.


@transaction.atomic
def entitlement_grant(
    *,
    actor: User,
    person: Person,
    benefit_code: str,
    valid_from: dt.date,
    valid_to: dt.date,
    monthly_amount: Decimal,
    source: str,
    field: str = "valid_from",
    now: dt.datetime | None = None,
) -> Entitlement:
    """An entitlement of the benefit ``benefit_code`` from ``valid_from`` to ``valid_to`` at a
    decided monthly amount (``amount_fixed``), with its "created" event naming ``source``.

    Refused, with the period already held named, when the person holds the benefit on any
    of these days in whatever status (a month is never paid twice), and when the catalogue
    has no such benefit in use."""
    now = now_or(now)
    benefit = BenefitItem.objects.filter(code=benefit_code, active=True).first()
    if benefit is None:
        raise refuse(
            "benefit_unavailable",
            "目录中没有在用的该惠残事项，不能发放",
            "the catalogue has no such benefit in use: it cannot be paid",
            field,
        )
    held = (
        Entitlement.objects.filter(person=person, benefit=benefit, valid_from__lte=valid_to)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from))
        .order_by("valid_from")
        .first()
    )
    if held is not None:
        until = held.valid_to.isoformat() if held.valid_to else "至今"
        until_en = held.valid_to.isoformat() if held.valid_to else "open-ended"
        raise refuse(
            "entitlement_held",
            f"此人在这段时间已享受“{benefit.name_zh}”（{held.valid_from}至{until}），不能重复发放",
            f"this person already receives “{benefit.name_en}” in that period "
            f"({held.valid_from} to {until_en}): it is not paid twice",
            field,
        )
    entitlement = benefit_services.entitlement_create(
        actor=actor,
        person=person,
        benefit=benefit,
        valid_from=valid_from,
        valid_to=valid_to,
        monthly_amount=monthly_amount,
        amount_fixed=True,
        source=source,
        status_reason="核定 / decided",
    )
    _event(
        entitlement=entitlement,
        kind=EntitlementEvent.Kind.CREATED,
        from_status="",
        on=valid_from,
        reason_code=Reason.APPROVED,
        reason="",
        source=source,
        actor=actor,
        now=now,
    )
    return entitlement


@transaction.atomic
def entitlement_close(
    *,
    actor: User,
    entitlement_id: int,
    last_day: dt.date,
    reason: str,
    source: str,
    now: dt.datetime | None = None,
) -> Entitlement:
    """End an entitlement granted by ``entitlement_grant`` after ``last_day`` because the
    decision behind it ended (a placement ended early): terminated from the next day, so
    the months whose first day is after ``last_day`` are not paid (and, if already paid,
    are recovered by the next list). An entitlement no longer active (the person died, it
    was suspended) is left as it is.

    The decision's own service has checked the actor (an institution's staff may end their
    placement without holding entitlements); the history event names them."""
    now = now_or(now)
    entitlement = (
        Entitlement.objects.select_for_update()
        .select_related("person", "benefit")
        .get(pk=entitlement_id)
    )
    ends_later = entitlement.valid_to is None or entitlement.valid_to >= last_day
    if entitlement.status != EntitlementStatus.ACTIVE or not ends_later:
        return entitlement
    on = last_day + dt.timedelta(days=1)
    changed = benefit_services.entitlement_terminate(
        actor=None, entitlement=entitlement, on=on, reason=_text(Reason.OTHER, reason)
    )
    _event(
        entitlement=changed,
        kind=EntitlementEvent.Kind.TERMINATED,
        from_status=EntitlementStatus.ACTIVE,
        on=on,
        reason_code=Reason.OTHER,
        reason=reason,
        source=source,
        actor=actor,
        now=now,
    )
    return changed
