"""Intake at the window (or by phone, online, on a home visit): the bundle form (with the
bank account to pay to, recorded as a pending change: ``payees``) and the documents (one
notice lists everything missing)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from dpf.accounts.models import User
from dpf.accounts.permissions import require_permission
from dpf.benefits.models import BenefitItem
from dpf.core import audit
from dpf.core.text import check_text_characters, clean_person_name
from dpf.registry.models import Person
from dpf.workflow import documents
from dpf.workflow.models import (
    ApplicantKind,
    Application,
    ApplicationItem,
    ApplicationStatus,
    Channel,
    Document,
    ItemStatus,
    Transition,
)
from dpf.workflow.procedures import document_types, procedures
from dpf.workflow.services.common import (
    now_or,
    refuse,
    require_scope,
    today_or,
)
from dpf.workflow.services.payees import BankDetails, payee_account_request
from dpf.workflow.services.steps import application_for_change, record_transition, start_step

# Submission ------------------------------------------------------------------------------


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


NOTE_MAX = 300


@transaction.atomic
def application_submit(
    *,
    actor: User,
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
    require_scope(actor, person.village_code, "person", person_id=person.pk)
    now = now_or(now)
    today = today_or(today, now)
    if applicant_kind not in (ApplicantKind.SELF, ApplicantKind.GUARDIAN, ApplicantKind.WORKER):
        raise refuse(
            "applicant_kind", "申请方式无效", "invalid kind of applicant", "applicant_kind"
        )
    if channel not in Channel.values or channel == Channel.PROACTIVE:
        raise refuse("channel", "受理渠道无效", "invalid channel", "channel")
    applicant_name = (applicant_name or "").strip()
    if applicant_name:  # a guardian's name, checked like every person's (dpf.core.text)
        applicant_name = clean_person_name(applicant_name, field="applicant_name")
    if applicant_kind == ApplicantKind.GUARDIAN and not applicant_name:
        raise refuse(
            "applicant_name",
            "监护人代为申请须填写监护人姓名",
            "name the guardian who applies",
            "applicant_name",
        )
    note = (note or "").strip()
    check_text_characters(note, field="note", label_zh="说明", label_en="note", multiline=True)
    if len(note) > NOTE_MAX:
        raise refuse(
            "note_long",
            f"说明不超过{NOTE_MAX}字",
            f"the note is at most {NOTE_MAX} characters",
            "note",
        )
    applicant_relation = (applicant_relation or "").strip()[:20]
    check_text_characters(
        applicant_relation, field="applicant_relation", label_zh="关系", label_en="relation"
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
        applicant_relation=applicant_relation,
        channel=channel,
        status=ApplicationStatus.SUBMITTED,
        county_code=person.county_code,
        township_code=person.township_code,
        village_code=person.village_code,
        created_by=actor,
        created_at=now,
        submitted_at=now,
        application_date=today,
        note=note,
    )
    if bank is not None:
        payee_account_request(actor=actor, person=person, bank=bank, on=today)
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


def document_upload(
    *,
    actor: User,
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
            application = application_for_change(actor, application_id)
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
