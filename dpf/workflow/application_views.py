"""Staff pages of one application: the intake form, the application page and its actions
(decide, appeal, upload, withdraw, the notice, a document), and a proactive proposal's
confirmation or decline. HTTP only: parse, call one service or selector, render."""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dpf.accounts.http import AuthedHttpRequest
from dpf.accounts.permissions import permission_required
from dpf.core import audit
from dpf.core.errors import DomainError, NotFound, ValidationFailed
from dpf.workflow import documents as document_files
from dpf.workflow import selectors, services
from dpf.workflow.forms import (
    ApplicationForm,
    DecisionForm,
    OptionalReasonForm,
    ProposalConfirmForm,
    ReasonForm,
    UploadForm,
    attach_refusal,
)
from dpf.workflow.models import ApplicationStatus, ItemStatus
from dpf.workflow.procedures import procedures


@permission_required("create", "application")
def application_new(request: AuthedHttpRequest) -> HttpResponse:
    """The one form (一件事一次办): one person, one or several benefits.

    Opened from the person page (``?person=<pk>``, posted back as ``person``), the person
    is fixed and the ID number is not typed again; ``?benefit=<code>`` ticks a benefit."""
    data_in = request.POST if request.method == "POST" else request.GET
    known = selectors.person_for(request.user, int(raw)) if (raw := _person_id(data_in)) else None
    initial: dict[str, Any] = {"channel": "window"}
    if request.method == "GET" and request.GET.get("benefit"):
        initial["benefits"] = request.GET.getlist("benefit")
    form = ApplicationForm(request.POST or None, initial=initial, person_known=known is not None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = known or selectors.person_by_id_number(request.user, data["id_number"])
        except NotFound:
            form.add_error("id_number", _("未找到该人员，请先登记"))
        except ValidationFailed as refusal:
            form.add_error("id_number", refusal.message)
        else:
            bank = None
            if data["account_number"]:
                bank = services.BankDetails(
                    data["bank_name"], data["account_holder"], data["account_number"]
                )
            try:
                application = services.application_submit(
                    actor=request.user,
                    person=person,
                    benefit_codes=data["benefits"],
                    applicant_kind=data["applicant_kind"],
                    channel=data["channel"],
                    applicant_name=data["applicant_name"],
                    applicant_relation=data["applicant_relation"],
                    bank=bank,
                    note=data["note"],
                )
            except ValidationFailed as refusal:
                attach_refusal(form, refusal)
            else:
                messages.success(
                    request, _("申请已提交。提交后10分钟内可以撤回。请查看一次性告知的材料清单。")
                )
                return redirect("workflow:application", pk=application.pk)
    status = 400 if form.errors else 200
    context = {"form": form, "person": known}
    return render(request, "workflow/application_new.html", context, status=status)


def _person_id(data: Any) -> str:
    """The person chosen on the person page, when the form was opened from there."""
    raw = str(data.get("person", "") or "")
    return raw if raw.isdigit() and len(raw) <= 12 else ""


def _application_page(
    request: AuthedHttpRequest, pk: int, *, status: int = 200, **forms: Any
) -> HttpResponse:
    application = selectors.application_for(request.user, pk)
    today = selectors.today()
    procs = procedures()
    items = []
    for item in application.items.all():
        step = procs.step(item.benefit.code, item.step_code)
        decision = forms.get(f"decision_{item.pk}") or DecisionForm(
            initial={"expected_step": item.step_code}, prefix=f"i{item.pk}"
        )
        items.append(
            {
                "item": item,
                "step": step,
                "can_act": item.status == ItemStatus.IN_PROGRESS
                and step is not None
                and step.decided_by(request.user)
                and application.status == ApplicationStatus.SUBMITTED,
                "overdue": item.step_due_on is not None and item.step_due_on < today,
                "decision": decision,
                "appeal": forms.get(f"appeal_{item.pk}") or ReasonForm(prefix=f"a{item.pk}"),
                "steps": procs.for_benefit(item.benefit.code).steps,
            }
        )
    try:
        explanations = selectors.explanations(request.user, application, today)
    except NotFound:
        explanations = []
    audit.record_view(request, "application", application.pk)
    context = {
        "application": application,
        "person": application.person,
        "items": items,
        "documents": list(application.documents.all()),
        "missing": selectors.missing_documents(application),
        "history": selectors.history(application, procs),
        "explanations": explanations,
        "upload": forms.get("upload") or UploadForm(),
        "withdraw": forms.get("withdraw") or OptionalReasonForm(prefix="w"),
        "can_withdraw": services.withdrawal_refused(
            application, actor=request.user, now=timezone.now(), items=application.items.all()
        )
        is None,
        "today": today,
    }
    return render(request, "workflow/application.html", context, status=status)


@permission_required("view", "application")
def application_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return _application_page(request, pk)


@permission_required("view", "application")
def notice(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """一次性告知书: everything still missing, for all the benefits of the bundle."""
    application = selectors.application_for(request.user, pk)
    context = {
        "application": application,
        "missing": selectors.missing_documents(application),
        "items": list(application.items.all()),
    }
    return render(request, "workflow/notice.html", context)


@permission_required("change", "application")
@require_POST
def decide(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    item = selectors.item_for(request.user, pk)
    form = DecisionForm(request.POST, prefix=f"i{pk}")
    if form.is_valid():
        try:
            services.item_decide(
                actor=request.user,
                item_id=item.pk,
                expected_step=form.cleaned_data["expected_step"],
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
                waiver_reason=form.cleaned_data["waiver_reason"],
            )
        except NotFound:
            raise
        except DomainError as refusal:
            attach_refusal(form, refusal)
        else:
            messages.success(request, _("已办理。"))
            return redirect("workflow:application", pk=item.application_id)
    return _application_page(request, item.application_id, status=400, **{f"decision_{pk}": form})


@permission_required("create", "application")
@require_POST
def appeal(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    item = selectors.item_for(request.user, pk)
    form = ReasonForm(request.POST, prefix=f"a{pk}")
    if form.is_valid():
        try:
            services.item_appeal(
                actor=request.user, item_id=item.pk, reason=form.cleaned_data["reason"]
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal)
        else:
            messages.success(request, _("已提出申诉，进入复核环节。"))
            return redirect("workflow:application", pk=item.application_id)
    return _application_page(request, item.application_id, status=400, **{f"appeal_{pk}": form})


@permission_required("create", "application")
@require_POST
def upload(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_for(request.user, pk)
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        uploaded = form.cleaned_data["file"]
        data = uploaded.read(document_files.MAX_BYTES + 1)
        try:
            services.document_upload(
                actor=request.user,
                application_id=application.pk,
                doc_type=form.cleaned_data["doc_type"],
                name=uploaded.name or "",
                data=data,
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal)
        else:
            messages.success(request, _("材料已上传。"))
            return redirect("workflow:application", pk=application.pk)
    return _application_page(request, application.pk, status=400, upload=form)


@permission_required("create", "application")
@require_POST
def withdraw(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_for(request.user, pk)
    form = OptionalReasonForm(request.POST, prefix="w")
    if form.is_valid():
        try:
            services.application_withdraw(
                actor=request.user,
                application_id=application.pk,
                reason=form.cleaned_data["reason"],
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal)
        else:
            messages.success(request, _("申请已撤回。"))
            return redirect("workflow:application", pk=application.pk)
    return _application_page(request, application.pk, status=400, withdraw=form)


@permission_required("view", "application")
def document(request: AuthedHttpRequest, pk: int) -> FileResponse:
    """A document, only through this scoped and audited view (never a static URL)."""
    doc = selectors.document_for(request.user, pk)
    content = document_files.read(doc.stored_name)  # decrypted here only (stored encrypted)
    audit.record_view(request, "document", doc.pk, changes={"application": doc.application_id})
    response = FileResponse(
        io.BytesIO(content),
        content_type=doc.content_type,
        as_attachment=True,
        filename=f"document-{doc.pk}{document_files.EXTENSION[doc.content_type]}",
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@permission_required("create", "application")
def proposal_confirm(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The worker confirms identity, bank account and consent (免申即享)."""
    application = selectors.application_for(request.user, pk)
    form = ProposalConfirmForm(request.POST or None)
    decline = ReasonForm(prefix="d")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.proposal_confirm(
                actor=request.user,
                application_id=application.pk,
                identity_confirmed=data["identity_confirmed"],
                consent=data["consent"],
                consent_method=data["consent_method"],
                consent_note=data["consent_note"],
                bank=services.BankDetails(
                    data["bank_name"], data["account_holder"], data["account_number"]
                ),
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal)
        except NotFound:
            raise
        except DomainError as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("已确认，申请转入办理流程。"))
            return redirect("workflow:application", pk=application.pk)
    context = {
        "application": application,
        "form": form,
        "decline": decline,
        "items": list(application.items.all()),
    }
    status = 400 if form.errors else 200
    return render(request, "workflow/proposal_confirm.html", context, status=status)


@permission_required("create", "application")
@require_POST
def proposal_decline(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_for(request.user, pk)
    form = ReasonForm(request.POST, prefix="d")
    if form.is_valid():
        try:
            services.proposal_decline(
                actor=request.user,
                application_id=application.pk,
                reason=form.cleaned_data["reason"],
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal)
        else:
            messages.success(request, _("已记录本人不同意办理。"))
            return redirect("workflow:proposals")
    context = {
        "application": application,
        "form": ProposalConfirmForm(),
        "decline": form,
        "items": list(application.items.all()),
    }
    return render(request, "workflow/proposal_confirm.html", context, status=400)
