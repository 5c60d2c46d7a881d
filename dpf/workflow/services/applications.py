"""Applications: the bundle form, documents, each step's decision, withdrawal and appeal.

Lock order everywhere: the application row, then (inside the benefits service) the person
and the entitlement. A step is decided once per round (a unique constraint on
``Transition``): of two officers deciding the same step at once, the second is told the
item was already handled and nothing of theirs is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction

from dpf.accounts.permissions import require_permission
from dpf.benefits import services as benefit_services
from dpf.benefits.models import BenefitItem
from dpf.core import audit
from dpf.core.errors import DomainError, NotFound
from dpf.core.workdays import add_working_days, working_days_between
from dpf.registry.models import Person
from dpf.workflow import documents
from dpf.workflow.models import (
    ApplicantKind,
    Application,
    ApplicationItem,
    ApplicationStatus,
    Channel,
    Document,
    EntitlementEvent,
    ItemStatus,
    PayeeAccount,
    Transition,
)
from dpf.workflow.procedures import Step, document_types, procedures
from dpf.workflow.services.common import (
    WITHDRAW_MINUTES,
    AlreadyHandled,
    NotYourStep,
    actor_source,
    clean_bank_account,
    clean_reason,
    mask_bank_account,
    month_start,
    now_or,
    refuse,
    require_scope,
    today_or,
)

ADVANCE = "advance"
REJECT = "reject"
OVERTURN = "overturn"
UPHOLD = "uphold"
DECISIONS = (ADVANCE, REJECT, OVERTURN, UPHOLD)
BULK_LIMIT = 200


@dataclass(frozen=True)
class BankDetails:
    bank_name: str
    account_holder: str
    account_number: str


# Bank accounts ---------------------------------------------------------------------------


def payee_account_set(
    *, actor: Any, person: Person, bank: BankDetails, on: dt.date
) -> PayeeAccount:
    """Record the account an allowance is paid to from ``on`` (the previous one ends)."""
    number = clean_bank_account(bank.account_number)
    bank_name = " ".join((bank.bank_name or "").split())[:100]
    holder = " ".join((bank.account_holder or "").split())[:50]
    if not bank_name:
        raise refuse("bank_name", "请填写开户银行", "the bank is required", "bank_name")
    if not holder:
        raise refuse(
            "account_holder", "请填写户名", "the account holder is required", "account_holder"
        )
    if actor is not None:  # None: a system import (roster exchange, demo data)
        require_scope(actor, person.village_code, "person")
    Person.objects.select_for_update().filter(pk=person.pk).first()
    current = PayeeAccount.objects.filter(person=person, valid_to__isnull=True).first()
    if current is not None:
        if current.account_number == number and current.bank_name == bank_name:
            return current
        current.valid_to = max(on - dt.timedelta(days=1), current.valid_from)
        current.save(update_fields=["valid_to"])
        on = max(on, current.valid_to + dt.timedelta(days=1))
    account = PayeeAccount.objects.create(
        person=person,
        bank_name=bank_name,
        account_holder=holder,
        account_number=number,
        account_masked=mask_bank_account(number),
        valid_from=on,
        recorded_by=actor if getattr(actor, "pk", None) else None,
        source=actor_source(actor),
    )
    audit.record(
        actor=actor,
        action="change",
        object_type="payee_account",
        object_id=account.pk,
        changes={"person": person.pk, "account": account.account_masked, "bank": bank_name},
    )
    return account


# Submission ------------------------------------------------------------------------------


def _start_step(item: ApplicationItem, step: Step, today: dt.date) -> None:
    item.step_code = step.code
    item.step_role = step.role
    item.step_started_on = today
    item.step_due_on = (
        add_working_days(today, step.deadline_days) if step.deadline_days is not None else None
    )


def _record(
    *,
    item: ApplicationItem,
    from_step: str,
    to_step: str,
    action: str,
    actor: Any,
    now: dt.datetime,
    today: dt.date,
    reason: str = "",
    overdue_days: int = 0,
) -> Transition:
    """Insert the transition; a second decision of the same step is "already handled"."""
    try:
        with transaction.atomic():
            return Transition.objects.create(
                item=item,
                round=item.round,
                from_step=from_step,
                to_step=to_step,
                action=action,
                actor=actor,
                actor_role=str(getattr(actor, "role", "")),
                at=now,
                on_date=today,
                reason=reason,
                overdue_days=overdue_days,
            )
    except IntegrityError:
        raise AlreadyHandled() from None


def _benefits(codes: list[str]) -> list[BenefitItem]:
    wanted = list(dict.fromkeys(c.strip() for c in codes if c and c.strip()))
    if not wanted:
        raise refuse(
            "benefits_required", "请至少选择一个申请事项", "choose at least one benefit", "benefits"
        )
    found = {b.code: b for b in BenefitItem.objects.filter(code__in=wanted, active=True)}
    unknown = [c for c in wanted if c not in found]
    if unknown:
        raise refuse(
            "benefit_unknown",
            f"申请事项不存在：{'、'.join(unknown)}",
            f"unknown benefit: {', '.join(unknown)}",
            "benefits",
        )
    return [found[c] for c in wanted]


def _refuse_duplicates(person: Person, benefits: list[BenefitItem]) -> None:
    busy = list(
        ApplicationItem.objects.filter(
            application__person=person, benefit__in=benefits, status=ItemStatus.IN_PROGRESS
        ).values_list("benefit__name_zh", "benefit__name_en")
    )
    if busy:
        raise refuse(
            "already_applying",
            f"该人员已有办理中的申请：{'、'.join(zh for zh, _ in busy)}",
            f"the person already has an application in progress for: "
            f"{', '.join(en for _, en in busy)}",
            "benefits",
        )


@transaction.atomic
def application_submit(
    *,
    actor: Any,
    person: Person,
    benefit_codes: list[str],
    applicant_kind: str,
    channel: str,
    applicant_name: str = "",
    applicant_relation: str = "",
    bank: BankDetails | None = None,
    note: str = "",
    now: dt.datetime | None = None,
    today: dt.date | None = None,
) -> Application:
    """One form for one or several benefits (the "one thing" bundle), at the window, by
    phone, online or on a home visit. Each benefit starts at its procedure's first step.

    A person who is not eligible may still apply: the officer decides, with the failing
    clauses shown beside the application.
    """
    require_permission(actor, "create", "application")
    require_scope(actor, person.village_code, "person")
    now = now_or(now)
    today = today_or(today, now)
    if applicant_kind not in (ApplicantKind.SELF, ApplicantKind.GUARDIAN, ApplicantKind.WORKER):
        raise refuse(
            "applicant_kind", "申请方式无效", "invalid kind of applicant", "applicant_kind"
        )
    if channel not in Channel.values or channel == Channel.PROACTIVE:
        raise refuse("channel", "受理渠道无效", "invalid channel", "channel")
    applicant_name = " ".join((applicant_name or "").split())[:50]
    if applicant_kind == ApplicantKind.GUARDIAN and not applicant_name:
        raise refuse(
            "applicant_name",
            "监护人代为申请须填写监护人姓名",
            "name the guardian who applies",
            "applicant_name",
        )
    if person.death_date is not None:
        raise refuse(
            "person_deceased", "该人员已登记死亡", "the person is recorded as deceased", "person"
        )
    benefits = _benefits(benefit_codes)
    Person.objects.select_for_update().filter(pk=person.pk).first()
    _refuse_duplicates(person, benefits)
    application = Application.objects.create(
        person=person,
        applicant_kind=applicant_kind,
        applicant_name=applicant_name,
        applicant_relation=(applicant_relation or "").strip()[:20],
        channel=channel,
        status=ApplicationStatus.SUBMITTED,
        county_code=person.county_code,
        township_code=person.township_code,
        village_code=person.village_code,
        created_by=actor,
        created_at=now,
        submitted_at=now,
        application_date=today,
        note=(note or "").strip()[:300],
    )
    if bank is not None:
        payee_account_set(actor=actor, person=person, bank=bank, on=today)
    procs = procedures()
    for benefit in benefits:
        step = procs.for_benefit(benefit.code).first()
        item = ApplicationItem(
            application=application,
            benefit=benefit,
            county_code=application.county_code,
            township_code=application.township_code,
            village_code=application.village_code,
        )
        _start_step(item, step, today)
        item.save()
        _record(
            item=item,
            from_step="",
            to_step=step.code,
            action=Transition.Action.SUBMIT,
            actor=actor,
            now=now,
            today=today,
        )
    audit.record(
        actor=actor,
        action="create",
        object_type="application",
        object_id=application.pk,
        changes={
            "person": person.pk,
            "benefits": [b.code for b in benefits],
            "applicant_kind": applicant_kind,
            "channel": channel,
        },
    )
    return application


# Documents -------------------------------------------------------------------------------


def _application_for_change(actor: Any, application_id: int) -> Application:
    application = (
        Application.objects.select_for_update().filter(pk=application_id).select_related("person")
    ).first()
    if application is None:
        raise NotFound("application")
    require_scope(actor, application.village_code, "application")
    return application


def document_upload(
    *,
    actor: Any,
    application_id: int,
    doc_type: str,
    name: str,
    data: bytes,
    now: dt.datetime | None = None,
) -> Document:
    """Attach a document. Refused when empty, too large, or not a PDF/JPEG/PNG by content."""
    require_permission(actor, "create", "application")
    if doc_type not in document_types():
        raise refuse("doc_type", "请选择材料类型", "choose the kind of document", "doc_type")
    checked = documents.check(name, data)
    stored = documents.store(checked, data)
    saved = False
    try:
        with transaction.atomic():
            application = _application_for_change(actor, application_id)
            if application.status == ApplicationStatus.WITHDRAWN:
                raise refuse(
                    "application_withdrawn",
                    "申请已撤回，不能再上传材料",
                    "the application was withdrawn",
                    "file",
                )
            document = Document.objects.create(
                application=application,
                doc_type=doc_type,
                original_name=checked.safe_name,
                stored_name=stored,
                content_type=checked.content_type,
                size=checked.size,
                sha256=checked.sha256,
                uploaded_by=actor,
                uploaded_at=now_or(now),
            )
            audit.record(
                actor=actor,
                action="create",
                object_type="document",
                object_id=document.pk,
                changes={
                    "application": application.pk,
                    "doc_type": doc_type,
                    "content_type": checked.content_type,
                    "size": checked.size,
                },
            )
            saved = True
    finally:
        if not saved:
            documents.remove(stored)
    return document


# Decisions -------------------------------------------------------------------------------


def _refresh_status(application: Application) -> None:
    statuses = set(application.items.values_list("status", flat=True))
    if ItemStatus.IN_PROGRESS in statuses:
        return
    application.status = (
        ApplicationStatus.WITHDRAWN
        if statuses == {ItemStatus.WITHDRAWN}
        else ApplicationStatus.DECIDED
    )
    application.save(update_fields=["status"])


def _overdue_days(item: ApplicationItem, today: dt.date) -> int:
    if item.step_due_on is None or today <= item.step_due_on:
        return 0
    return min(working_days_between(item.step_due_on, today), 32767)


@transaction.atomic
def item_decide(
    *,
    actor: Any,
    item_id: int,
    expected_step: str,
    decision: str,
    reason: str = "",
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> ApplicationItem:
    """Decide the item's current step: pass it on (the last step approves and creates the
    entitlement), reject it with a reason, or at an appeal overturn or uphold the rejection.

    ``expected_step`` is the step the officer saw: when the item has moved on since (another
    officer was faster) nothing is written and :class:`AlreadyHandled` is raised.
    """
    if decision not in DECISIONS:
        raise refuse("decision", "办理意见无效", "invalid decision", "decision")
    reason = clean_reason(reason, required=decision in (REJECT, UPHOLD))
    now = now_or(now)
    today = today_or(today, now)
    found = ApplicationItem.objects.filter(pk=item_id).values_list("application_id", flat=True)
    application_id = found.first()
    if application_id is None:
        raise NotFound("application item")
    application = _application_for_change(actor, application_id)
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
    if getattr(actor, "role", None) != step.role:
        raise NotYourStep(step.name_zh, step.name_en)
    appeal = step.kind == "appeal"
    if appeal != (decision in (OVERTURN, UPHOLD)):
        raise refuse("decision", "办理意见无效", "invalid decision for this step", "decision")
    overdue = _overdue_days(item, today)
    approve = False
    if decision == ADVANCE:
        following = procedure.after(step.code)
        approve = following is None
        action = Transition.Action.APPROVE if approve else Transition.Action.ADVANCE
        to_step = following.code if following else ""
    elif decision == OVERTURN:
        back = procedure.step(item.rejected_step) or procedure.first()
        action, to_step = Transition.Action.OVERTURN, back.code
    else:
        action = Transition.Action.REJECT if decision == REJECT else Transition.Action.UPHOLD
        to_step = ""
    _record(
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
        _start_step(item, next_step, today)
    else:
        item.status = ItemStatus.REJECTED
        if decision == REJECT:
            item.rejected_step = step.code
        item.decision_reason = reason
        item.decided_at = now
        item.step_role = ""
        item.step_due_on = None
    item.save()
    _refresh_status(application)
    audit.record(
        actor=actor,
        action="change",
        object_type="application",
        object_id=application.pk,
        changes={"item": item.pk, "step": step.code, "action": action, "to": to_step},
        reason=reason,
    )
    return item


def _approve(
    *, actor: Any, application: Application, item: ApplicationItem, now: dt.datetime
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
    actor: Any,
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
def application_withdraw(
    *, actor: Any, application_id: int, reason: str = "", now: dt.datetime | None = None
) -> Application:
    """The applicant, or the worker who submitted, withdraws within 10 minutes."""
    now = now_or(now)
    application = _application_for_change(actor, application_id)
    if application.created_by_id != getattr(actor, "pk", None):
        raise refuse(
            "withdraw_not_yours",
            "只有提交申请的人可以撤回",
            "only the person who submitted the application may withdraw it",
        )
    if application.status != ApplicationStatus.SUBMITTED or application.submitted_at is None:
        raise refuse("not_withdrawable", "该申请不能撤回", "this application cannot be withdrawn")
    if now - application.submitted_at > dt.timedelta(minutes=WITHDRAW_MINUTES):
        raise refuse(
            "withdraw_window_closed",
            f"提交已超过{WITHDRAW_MINUTES}分钟，不能撤回",
            f"more than {WITHDRAW_MINUTES} minutes have passed since submission: "
            "it can no longer be withdrawn",
        )
    items = list(application.items.select_for_update())
    if any(i.status != ItemStatus.IN_PROGRESS for i in items):
        raise refuse(
            "already_decided", "申请已有办理结果，不能撤回", "a part of it has already been decided"
        )
    reason = clean_reason(reason, required=False)
    today = today_or(None, now)
    for item in items:
        _record(
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
    actor: Any,
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
    application = _application_for_change(actor, application_id)
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
    _start_step(item, step, today)
    _record(
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
