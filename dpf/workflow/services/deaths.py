"""Recording a death from the person page (issue 17 part 1): the registry records the
death (certificate cancelled, household follows), then every active entitlement ends on
the day of death, the applications in progress and the scan's open items for the person
close, and months already paid after the death are listed for recovery (nothing deleted).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from dpf.accounts.models import User
from dpf.benefits import services as benefit_services
from dpf.benefits.models import Entitlement, EntitlementStatus, WorkItem, WorkItemStatus
from dpf.core import audit
from dpf.registry import changes as registry_changes
from dpf.registry.change_models import ChangeKind, RecordChange
from dpf.workflow.models import (
    Application,
    ApplicationItem,
    EntitlementEvent,
    ItemStatus,
    PaymentLine,
    PaymentMonth,
    Transition,
)
from dpf.workflow.services.common import actor_source, now_or, today_or
from dpf.workflow.services.entitlements import _event, _text
from dpf.workflow.services.steps import record_transition, refresh_status

Reason = EntitlementEvent.Reason


@dataclass(frozen=True)
class Overpayment:
    """A month paid although the person had died before it began (to be recovered)."""

    benefit: str
    month: dt.date
    amount: Decimal


@dataclass
class DeathResult:
    person_id: int
    on: dt.date
    entitlements_ended: list[str] = field(default_factory=list)
    entitlements_not_ended: list[str] = field(default_factory=list)
    applications_closed: int = 0
    work_items_closed: int = 0
    certificates_cancelled: int = 0
    overpayments: list[Overpayment] = field(default_factory=list)

    @property
    def overpaid_total(self) -> Decimal:
        return sum((o.amount for o in self.overpayments), Decimal("0"))


def overpaid_after_death(person_id: int, on: dt.date) -> list[Overpayment]:
    """Months paid to the person (not failed, not yet recovered) that began after ``on``:
    a person is paid for a month when alive on its first day."""
    rows = (
        PaymentMonth.objects.filter(person_id=person_id, month__gt=on, recovered_by__isnull=True)
        .exclude(line__status=PaymentLine.Status.FAILED)
        .select_related("benefit")
        .order_by("month", "benefit_id")
    )
    return [Overpayment(r.benefit.name_zh, r.month, r.amount) for r in rows]


@transaction.atomic
def death_record(
    *,
    actor: User,
    person_id: int,
    on: dt.date,
    reason: str,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> DeathResult:
    """Record that the person died on ``on`` and let everything follow (see the module).

    Refusals (nothing written): a person outside the actor's region ("not found"), an
    unknown or future date, a person already recorded as deceased, no reason."""
    now = now_or(now)
    today = today_or(today, now)
    death = registry_changes.person_death_record(
        actor=actor, person=person_id, on=on, reason=reason, today=today
    )
    person = death.person
    reason = registry_changes.clean_reason(reason)
    result = DeathResult(
        person_id=person.pk, on=on, certificates_cancelled=len(death.certificates_cancelled)
    )
    end_on = on + dt.timedelta(days=1)
    active = Entitlement.objects.filter(
        person=person, status=EntitlementStatus.ACTIVE
    ).select_related("benefit", "person")
    for entitlement in active.order_by("pk"):
        name = entitlement.benefit.name_zh
        if entitlement.valid_to is not None and entitlement.valid_to < end_on:
            continue  # already over before the death
        if end_on <= entitlement.valid_from:
            # Starts after the death: it cannot be ended from a date before its start.
            result.entitlements_not_ended.append(name)
            continue
        changed = benefit_services.entitlement_terminate(
            actor=actor, entitlement=entitlement, on=end_on, reason=_text(Reason.DEATH, reason)
        )
        _event(
            entitlement=changed,
            kind=EntitlementEvent.Kind.TERMINATED,
            from_status=EntitlementStatus.ACTIVE,
            on=end_on,
            reason_code=Reason.DEATH,
            reason=reason,
            source=actor_source(actor),
            actor=actor,
            now=now,
        )
        result.entitlements_ended.append(name)
    result.applications_closed = _close_applications(actor, person.pk, reason, now, today)
    for item in WorkItem.objects.filter(person=person, status=WorkItemStatus.OPEN):
        benefit_services.work_item_close(
            actor=actor, item=item, status=WorkItemStatus.DISMISSED, note="本人死亡 / deceased"
        )
        result.work_items_closed += 1
    result.overpayments = overpaid_after_death(person.pk, on)
    if result.overpayments:
        summary = (
            f"死亡后已发放 {len(result.overpayments)} 个月，共 {result.overpaid_total} 元，待追回"
        )
        RecordChange.objects.filter(person=person, kind=ChangeKind.DEATH).update(summary=summary)
    audit.record(
        actor=actor,
        action="change",
        object_type="person",
        object_id=person.pk,
        changes={
            "death_date": on.isoformat(),
            "entitlements_ended": len(result.entitlements_ended),
            "entitlements_not_ended": len(result.entitlements_not_ended),
            "applications_closed": result.applications_closed,
            "work_items_closed": result.work_items_closed,
            "overpaid_months": [
                {"benefit": o.benefit, "month": o.month.isoformat(), "amount": str(o.amount)}
                for o in result.overpayments
            ],
        },
        reason=reason,
    )
    return result


def _close_applications(
    actor: User, person_id: int, reason: str, now: dt.datetime, today: dt.date
) -> int:
    """Close the person's items still in progress (submitted or proposed): withdrawn, with
    the death as the recorded reason; each application then takes its final status."""
    items = list(
        ApplicationItem.objects.select_for_update()
        .filter(application__person_id=person_id, status=ItemStatus.IN_PROGRESS)
        .order_by("pk")
    )
    why = f"本人死亡，终止办理：{reason}"
    for item in items:
        record_transition(
            item=item,
            from_step=item.step_code,
            to_step="",
            action=Transition.Action.WITHDRAW,
            actor=actor,
            now=now,
            today=today,
            reason=why[:500],
        )
        item.status = ItemStatus.WITHDRAWN
        item.step_role = ""
        item.step_due_on = None
        item.decided_at = now
        item.decision_reason = why[:500]
        item.save(
            update_fields=["status", "step_role", "step_due_on", "decided_at", "decision_reason"]
        )
    for application in Application.objects.filter(pk__in={i.application_id for i in items}):
        refresh_status(application)
        audit.record(
            actor=actor,
            action="change",
            object_type="application",
            object_id=application.pk,
            changes={"status": application.status, "closed_on_death": True},
            reason=why[:300],
        )
    return len({i.application_id for i in items})
