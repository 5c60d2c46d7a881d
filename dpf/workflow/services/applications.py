"""Decisions on applications: each step's decision (the last approves and creates the
entitlement), bulk approval, withdrawal within 10 minutes, appeal of a rejection.

Lock order everywhere: the application row, then (inside the benefits service) the person
and the entitlement. A step is decided once per round (a unique constraint on
``Transition``): of two officers deciding the same step at once, the second is told the
item was already handled and nothing of theirs is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction

from dpf.accounts.models import User
from dpf.accounts.permissions import require_permission
from dpf.benefits import services as benefit_services
from dpf.core import audit
from dpf.core.dates import month_start
from dpf.core.errors import DomainError, NotFound
from dpf.workflow.models import (
    Application,
    ApplicationItem,
    ApplicationStatus,
    EntitlementEvent,
    ItemStatus,
    Transition,
)
from dpf.workflow.procedures import DocumentType, procedures, required_documents
from dpf.workflow.services.common import (
    WITHDRAW_MINUTES,
    AlreadyHandled,
    NotYourStep,
    clean_reason,
    now_or,
    refuse,
    today_or,
)
from dpf.workflow.services.steps import (
    application_for_change,
    overdue_days,
    record_transition,
    refresh_status,
    start_step,
)

ADVANCE = "advance"
REJECT = "reject"
OVERTURN = "overturn"
UPHOLD = "uphold"
DECISIONS = (ADVANCE, REJECT, OVERTURN, UPHOLD)
BULK_LIMIT = 200


@transaction.atomic
def item_decide(  # noqa: C901
    *,
    actor: User,
    item_id: int,
    expected_step: str,
    decision: str,
    reason: str = "",
    waiver_reason: str = "",
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> ApplicationItem:
    """Decide the item's current step: pass it on (the last step approves and creates the
    entitlement), reject it with a reason, or at an appeal overturn or uphold the rejection.

    The approval is refused while a document the benefit requires is missing, unless the
    approver records a waiver with its reason (``waiver_reason``: kept in the transition's
    reason and in the audit entry with the documents waived).

    ``expected_step`` is the step the officer saw: when the item has moved on since (another
    officer was faster) nothing is written and :class:`AlreadyHandled` is raised.
    """
    if decision not in DECISIONS:
        raise refuse("decision", "办理意见无效", "invalid decision", "decision")
    reason = clean_reason(reason, required=decision in (REJECT, UPHOLD))
    waiver_reason = clean_reason(waiver_reason, field="waiver_reason", required=False)
    now = now_or(now)
    today = today_or(today, now)
    found = ApplicationItem.objects.filter(pk=item_id).values_list("application_id", flat=True)
    application_id = found.first()
    if application_id is None:
        raise NotFound("application item")
    application = application_for_change(actor, application_id)
    item = ApplicationItem.objects.select_for_update().select_related("benefit").get(pk=item_id)
    if application.status == ApplicationStatus.PROPOSED:
        raise refuse(
            "proposal_unconfirmed",
            "主动发现的申请须先核实身份、账户并征得本人同意",
            "confirm identity, bank account and consent of a proposal first",
        )
    if (
        item.status != ItemStatus.IN_PROGRESS
        or item.step_code != expected_step
        or application.status != ApplicationStatus.SUBMITTED
    ):
        raise AlreadyHandled()
    procedure = procedures().for_benefit(item.benefit.code)
    step = procedure.step(item.step_code)
    if step is None:
        raise refuse("step_unknown", "环节配置已变更", "the step is no longer configured")
    if not step.decided_by(actor):
        raise NotYourStep(step.name_zh, step.name_en)
    appeal = step.kind == "appeal"
    if appeal != (decision in (OVERTURN, UPHOLD)):
        raise refuse("decision", "办理意见无效", "invalid decision for this step", "decision")
    overdue = overdue_days(item, today)
    approve = False
    waived: list[DocumentType] = []
    if decision == ADVANCE:
        following = procedure.after(step.code)
        approve = following is None
        action = Transition.Action.APPROVE if approve else Transition.Action.ADVANCE
        to_step = following.code if following else ""
        if approve:
            waived = _missing_documents(application, item)
            if waived and not waiver_reason:
                raise MaterialsMissing(waived)
            if waived:
                names = "、".join(d.name_zh for d in waived)
                reason = " ".join(f"免交材料：{names}。理由：{waiver_reason} {reason}".split())
                reason = reason[:500]
    elif decision == OVERTURN:
        back = procedure.step(item.rejected_step) or procedure.first()
        action, to_step = Transition.Action.OVERTURN, back.code
    else:
        action = Transition.Action.REJECT if decision == REJECT else Transition.Action.UPHOLD
        to_step = ""
    record_transition(
        item=item,
        from_step=step.code,
        to_step=to_step,
        action=action,
        actor=actor,
        now=now,
        today=today,
        reason=reason,
        overdue_days=overdue,
    )
    if approve:
        _approve(actor=actor, application=application, item=item, now=now)
    elif to_step:
        next_step = procedure.step(to_step)
        assert next_step is not None
        start_step(item, next_step, today)
    else:
        item.status = ItemStatus.REJECTED
        if decision == REJECT:
            item.rejected_step = step.code
        item.decision_reason = reason
        item.decided_at = now
        item.step_role = ""
        item.step_due_on = None
    item.save()
    refresh_status(application)
    audit.record(
        actor=actor,
        action="change",
        object_type="application",
        object_id=application.pk,
        changes={
            "item": item.pk,
            "step": step.code,
            "action": action,
            "to": to_step,
            **({"waived": [d.code for d in waived]} if waived else {}),
        },
        reason=reason,
    )
    return item


class MaterialsMissing(DomainError):
    """Approval refused: documents the benefit requires are missing and nothing waived."""

    def __init__(self, missing: list[DocumentType]) -> None:
        super().__init__(
            "materials_missing",
            "缺少必需材料（" + "、".join(d.name_zh for d in missing) + "）：请补齐材料，"
            "或填写免交理由后再批准",
            "required documents are missing ("
            + ", ".join(d.name_en for d in missing)
            + "): upload them, or record why they are waived, before approving",
            field="waiver_reason",
        )
        self.missing = missing


def _missing_documents(application: Application, item: ApplicationItem) -> list[DocumentType]:
    """The documents this item's benefit requires that the application does not hold."""
    have = set(application.documents.values_list("doc_type", flat=True))
    guardian = application.applicant_kind == "guardian"
    required = required_documents([item.benefit.code], guardian=guardian)
    return [d for d in required if d.code not in have]


def _approve(
    *, actor: User | None, application: Application, item: ApplicationItem, now: dt.datetime
) -> None:
    """The final approval: an active entitlement from the first day of the month of
    application, at the standard in force (the benefits service checks overlaps)."""
    assert application.application_date is not None
    start = month_start(application.application_date)
    entitlement = benefit_services.entitlement_create(
        actor=actor,
        person=application.person,
        benefit=item.benefit,
        valid_from=start,
        source=f"application:{application.pk}",
        status_reason="审批通过 / approved",
    )
    EntitlementEvent.objects.create(
        entitlement=entitlement,
        person=application.person,
        benefit=item.benefit,
        kind=EntitlementEvent.Kind.CREATED,
        from_status="",
        to_status=entitlement.status,
        on=start,
        reason_code=EntitlementEvent.Reason.APPROVED,
        reason="",
        source=f"application:{application.pk}",
        actor=actor,
        at=now,
    )
    item.entitlement = entitlement
    item.status = ItemStatus.APPROVED
    item.decided_at = now
    item.step_code = ""
    item.step_role = ""
    item.step_due_on = None


@dataclass
class BulkOutcome:
    done: list[int] = field(default_factory=list)
    refused: list[tuple[int, DomainError]] = field(default_factory=list)


def bulk_advance(
    *,
    actor: User,
    choices: list[tuple[int, str]],
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> BulkOutcome:
    """Pass on (or approve) each chosen item at the step the officer saw, each in its own
    transaction: one refusal does not undo the others, and each is reported."""
    if len(choices) > BULK_LIMIT:
        raise refuse(
            "bulk_limit",
            f"一次最多办理{BULK_LIMIT}项",
            f"at most {BULK_LIMIT} items at once",
            "items",
        )
    outcome = BulkOutcome()
    for item_id, expected in choices:
        try:
            item_decide(
                actor=actor,
                item_id=item_id,
                expected_step=expected,
                decision=ADVANCE,
                today=today,
                now=now,
            )
        except DomainError as exc:
            outcome.refused.append((item_id, exc))
        else:
            outcome.done.append(item_id)
    return outcome


@transaction.atomic
def withdrawal_refused(
    application: Application,
    *,
    actor: User | None,
    now: dt.datetime,
    items: Iterable[ApplicationItem],
) -> DomainError | None:
    """Why ``actor`` may not withdraw ``application`` at ``now`` (None: they may).

    The one owner of the withdrawal rule: the service refuses with it, and the staff page
    and the portal show the "withdraw" button only when it returns None.
    """
    if application.created_by_id != getattr(actor, "pk", None):
        return refuse(
            "withdraw_not_yours",
            "只有提交申请的人可以撤回",
            "only the person who submitted the application may withdraw it",
        )
    if application.status != ApplicationStatus.SUBMITTED or application.submitted_at is None:
        return refuse("not_withdrawable", "该申请不能撤回", "this application cannot be withdrawn")
    if now - application.submitted_at > dt.timedelta(minutes=WITHDRAW_MINUTES):
        return refuse(
            "withdraw_window_closed",
            f"提交已超过{WITHDRAW_MINUTES}分钟，不能撤回",
            f"more than {WITHDRAW_MINUTES} minutes have passed since submission: "
            "it can no longer be withdrawn",
        )
    if any(i.status != ItemStatus.IN_PROGRESS for i in items):
        return refuse(
            "already_decided", "申请已有办理结果，不能撤回", "a part of it has already been decided"
        )
    return None


def application_withdraw(
    *, actor: User, application_id: int, reason: str = "", now: dt.datetime | None = None
) -> Application:
    """The applicant, or the worker who submitted, withdraws within 10 minutes."""
    now = now_or(now)
    application = application_for_change(actor, application_id)
    items = list(application.items.select_for_update())
    refusal = withdrawal_refused(application, actor=actor, now=now, items=items)
    if refusal is not None:
        raise refusal
    reason = clean_reason(reason, required=False)
    today = today_or(None, now)
    for item in items:
        record_transition(
            item=item,
            from_step=item.step_code,
            to_step="",
            action=Transition.Action.WITHDRAW,
            actor=actor,
            now=now,
            today=today,
            reason=reason,
        )
        item.status = ItemStatus.WITHDRAWN
        item.step_role = ""
        item.step_due_on = None
        item.decided_at = now
        item.save(update_fields=["status", "step_role", "step_due_on", "decided_at"])
    application.status = ApplicationStatus.WITHDRAWN
    application.withdrawn_at = now
    application.withdrawn_by = actor
    application.withdraw_reason = reason[:300]
    application.save(update_fields=["status", "withdrawn_at", "withdrawn_by", "withdraw_reason"])
    audit.record(
        actor=actor,
        action="change",
        object_type="application",
        object_id=application.pk,
        changes={"status": ["submitted", "withdrawn"]},
        reason=reason,
    )
    return application


@transaction.atomic
def item_appeal(
    *,
    actor: User,
    item_id: int,
    reason: str,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> ApplicationItem:
    """Appeal a rejection (once): the item enters the appeal step of its procedure."""
    require_permission(actor, "create", "application")
    reason = clean_reason(reason)
    now = now_or(now)
    today = today_or(today, now)
    application_id = (
        ApplicationItem.objects.filter(pk=item_id).values_list("application_id", flat=True).first()
    )
    if application_id is None:
        raise NotFound("application item")
    application = application_for_change(actor, application_id)
    item = ApplicationItem.objects.select_for_update().select_related("benefit").get(pk=item_id)
    if item.status != ItemStatus.REJECTED:
        raise refuse(
            "not_rejected", "只有不予批准的事项可以申诉", "only a rejection can be appealed"
        )
    if item.round >= 2:
        raise refuse("appeal_once", "每项申请只能申诉一次", "a rejection can be appealed once")
    step = procedures().for_benefit(item.benefit.code).of_kind("appeal")
    item.round += 1
    item.status = ItemStatus.IN_PROGRESS
    item.decided_at = None
    start_step(item, step, today)
    record_transition(
        item=item,
        from_step="",
        to_step=step.code,
        action=Transition.Action.APPEAL,
        actor=actor,
        now=now,
        today=today,
        reason=reason,
    )
    item.save()
    if application.status != ApplicationStatus.SUBMITTED:
        application.status = ApplicationStatus.SUBMITTED
        application.save(update_fields=["status"])
    audit.record(
        actor=actor,
        action="change",
        object_type="application",
        object_id=application.pk,
        changes={"item": item.pk, "action": "appeal"},
        reason=reason,
    )
    return item
