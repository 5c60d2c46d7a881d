"""Proactive proposals (免申即享): a scan's proposal enters the workflow at the "proposed"
step; the worker confirms identity, the bank account and the person's consent, and the
application continues without the person having applied."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from dpf.accounts.models import User
from dpf.benefits import services as benefit_services
from dpf.benefits.models import WorkItem, WorkItemKind, WorkItemStatus
from dpf.core import audit
from dpf.core.errors import NotFound
from dpf.workflow.models import (
    ApplicantKind,
    Application,
    ApplicationItem,
    ApplicationStatus,
    Channel,
    ItemStatus,
    Transition,
)
from dpf.workflow.procedures import procedures
from dpf.workflow.services.common import (
    AlreadyHandled,
    NotYourStep,
    clean_reason,
    now_or,
    refuse,
    require_scope,
    today_or,
)
from dpf.workflow.services.payees import BankDetails, payee_account_request
from dpf.workflow.services.steps import application_for_change, record_transition, start_step

CONSENT_METHODS = {
    "signed": _("本人签字"),
    "fingerprint": _("本人按手印"),
    "guardian_signed": _("监护人签字"),
    "verbal_recorded": _("口头同意（已录音录像）"),
}


def _open_proposals(person_id: int) -> Any:
    return WorkItem.objects.filter(
        person_id=person_id, kind=WorkItemKind.PROPOSAL, status=WorkItemStatus.OPEN
    )


@transaction.atomic
def proposal_start(
    *, actor: User, work_item_id: int, now: dt.datetime | None = None
) -> Application:
    """Open the proposal (and the person's other open proposals: one bundle) as an
    application at the "proposed" step. Opening it again returns the same application."""
    now = now_or(now)
    work_item = (
        WorkItem.objects.select_for_update()
        .select_related("person", "benefit")
        .filter(pk=work_item_id, kind=WorkItemKind.PROPOSAL)
        .first()
    )
    if work_item is None:
        raise NotFound("work item")
    require_scope(actor, work_item.village_code, "work item")
    open_items = ApplicationItem.objects.filter(
        application__person_id=work_item.person_id, status=ItemStatus.IN_PROGRESS
    )
    existing = (
        Application.objects.filter(
            person_id=work_item.person_id,
            status=ApplicationStatus.PROPOSED,
            items__benefit_id=work_item.benefit_id,
        )
        .order_by("-id")
        .first()
    )
    if existing is not None:
        return existing
    if work_item.status != WorkItemStatus.OPEN:
        raise refuse("item_closed", "该事项已处理", "the item is already closed")
    busy = set(open_items.values_list("benefit_id", flat=True))
    if work_item.benefit_id in busy:
        raise refuse(
            "already_applying",
            "该人员已有该事项办理中的申请",
            "the person already has an application in progress for this benefit",
        )
    bundle = [
        w
        for w in _open_proposals(work_item.person_id).select_related("benefit").order_by("id")
        if w.benefit_id not in busy
    ]
    person = work_item.person
    application = Application.objects.create(
        person=person,
        applicant_kind=ApplicantKind.PROPOSAL,
        channel=Channel.PROACTIVE,
        status=ApplicationStatus.PROPOSED,
        county_code=person.county_code,
        township_code=person.township_code,
        village_code=person.village_code,
        created_by=actor,
        created_at=now,
        work_item=work_item,
    )
    procs = procedures()
    today = today_or(None, now)
    for w in bundle:
        step = procs.for_benefit(w.benefit.code).of_kind("proposed")
        item = ApplicationItem(
            application=application,
            benefit=w.benefit,
            county_code=application.county_code,
            township_code=application.township_code,
            village_code=application.village_code,
        )
        start_step(item, step, today)
        item.save()
        record_transition(
            item=item,
            from_step="",
            to_step=step.code,
            action=Transition.Action.SUBMIT,
            actor=actor,
            now=now,
            today=today,
            reason="主动发现 / proactive proposal",
        )
    audit.record(
        actor=actor,
        action="create",
        object_type="application",
        object_id=application.pk,
        changes={
            "person": person.pk,
            "benefits": [w.benefit.code for w in bundle],
            "work_items": [w.pk for w in bundle],
            "applicant_kind": ApplicantKind.PROPOSAL,
        },
    )
    return application


@transaction.atomic
def proposal_confirm(
    *,
    actor: User,
    application_id: int,
    identity_confirmed: bool,
    consent: bool,
    consent_method: str,
    bank: BankDetails,
    consent_note: str = "",
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Application:
    """The worker has checked the person's identity, recorded the bank account and the
    person's consent: the application is submitted on their behalf and each item moves to
    its procedure's first step. The scan's proposals are closed as handled."""
    now = now_or(now)
    today = today_or(today, now)
    application = application_for_change(actor, application_id)
    if application.status != ApplicationStatus.PROPOSED:
        raise AlreadyHandled()
    items = list(
        application.items.select_for_update()
        .select_related("benefit")
        .filter(status=ItemStatus.IN_PROGRESS)
    )
    procs = procedures()
    for item in items:
        step = procs.step(item.benefit.code, item.step_code)
        if step is not None and not step.decided_by(actor):
            raise NotYourStep(step.name_zh, step.name_en)
    if not identity_confirmed:
        raise refuse(
            "identity_unconfirmed",
            "请先核实本人身份",
            "confirm the person's identity first",
            "identity_confirmed",
        )
    if not consent:
        raise refuse(
            "consent_missing",
            "须征得本人（或监护人）同意",
            "the person's (or guardian's) consent is required",
            "consent",
        )
    if consent_method not in CONSENT_METHODS:
        raise refuse(
            "consent_method", "请选择同意方式", "choose how consent was given", "consent_method"
        )
    note = clean_reason(consent_note, field="consent_note", required=False)
    payee_account_request(actor=actor, person=application.person, bank=bank, on=today)
    application.status = ApplicationStatus.SUBMITTED
    application.submitted_at = now
    application.application_date = today
    application.identity_confirmed_at = now
    application.consent_at = now
    application.consent_method = consent_method
    application.consent_note = note[:300]
    application.confirmed_by = actor
    application.save()
    for item in items:
        first = procs.for_benefit(item.benefit.code).first()
        record_transition(
            item=item,
            from_step=item.step_code,
            to_step=first.code,
            action=Transition.Action.CONFIRM,
            actor=actor,
            now=now,
            today=today,
            reason=note,
        )
        start_step(item, first, today)
        item.save()
    benefit_ids = [i.benefit_id for i in items]
    for work_item in _open_proposals(application.person_id).filter(benefit_id__in=benefit_ids):
        benefit_services.work_item_close(
            actor=actor,
            item=work_item,
            status=WorkItemStatus.DONE,
            note=f"已转入申请 {application.pk} / application {application.pk}",
        )
    audit.record(
        actor=actor,
        action="change",
        object_type="application",
        object_id=application.pk,
        changes={"status": ["proposed", "submitted"], "consent_method": consent_method},
    )
    return application


@transaction.atomic
def proposal_decline(
    *, actor: User, application_id: int, reason: str, now: dt.datetime | None = None
) -> Application:
    """The person does not want it (or cannot be reached): the proposal is closed, the
    scan's items are dismissed with the reason."""
    reason = clean_reason(reason)
    now = now_or(now)
    today = today_or(None, now)
    application = application_for_change(actor, application_id)
    if application.status != ApplicationStatus.PROPOSED:
        raise AlreadyHandled()
    items = list(application.items.select_for_update().filter(status=ItemStatus.IN_PROGRESS))
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
    benefit_ids = [i.benefit_id for i in items]
    for work_item in _open_proposals(application.person_id).filter(benefit_id__in=benefit_ids):
        benefit_services.work_item_close(
            actor=actor, item=work_item, status=WorkItemStatus.DISMISSED, note=reason
        )
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
        changes={"status": ["proposed", "withdrawn"]},
        reason=reason,
    )
    return application
