"""Staff pages of the workflow: queues, the application page and its actions, proposals,
reviews, entitlements. HTTP only: parse, call one service or selector, render."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dpf.accounts.permissions import has_permission, permission_required
from dpf.core import audit
from dpf.core.errors import DomainError, NotFound, ValidationFailed
from dpf.jobs import selectors as job_selectors
from dpf.jobs.models import ACTIVE
from dpf.workflow import documents as document_files
from dpf.workflow import proposal_queue, selectors, services
from dpf.workflow.forms import (
    ApplicationForm,
    DecisionForm,
    EntitlementActionForm,
    OptionalReasonForm,
    ProposalConfirmForm,
    ReasonForm,
    ReviewForm,
    UploadForm,
    attach_refusal,
)
from dpf.workflow.models import ApplicationStatus, ItemStatus
from dpf.workflow.procedures import procedures

PER_PAGE = 25


def _refused(form: Any, refusal: DomainError) -> None:
    if isinstance(refusal, ValidationFailed):
        attach_refusal(form, refusal)
    else:
        form.add_error(None, refusal.message)


# Queues --------------------------------------------------------------------------------


def _queue(request: HttpRequest, items: Any, *, title: str, overdue_page: bool) -> HttpResponse:
    page = Paginator(items, PER_PAGE).get_page(request.GET.get("page"))
    today = selectors.today()
    context = {
        "title": title,
        "page": page,
        "rows": selectors.task_rows(list(page.object_list), today),
        "overdue_page": overdue_page,
        "overdue_count": selectors.overdue_mine(request.user, today),
        "today": today,
    }
    return render(request, "workflow/tasks.html", context)


@permission_required("view", "application")
def tasks(request: HttpRequest) -> HttpResponse:
    """My tasks: items at a step of my role in my region, soonest due first."""
    return _queue(
        request, selectors.my_tasks(request.user), title=_("我的待办"), overdue_page=False
    )


@permission_required("view", "application")
def overdue(request: HttpRequest) -> HttpResponse:
    """Every overdue step in my region (whoever acts on it)."""
    return _queue(request, selectors.overdue(request.user), title=_("超期事项"), overdue_page=True)


@permission_required("view", "work_item")
def proposals(request: HttpRequest) -> HttpResponse:
    """The scan's proposals, one row a person with the benefits proposed (each with its rule
    explanation), filtered by benefit, township and village; the city admin starts the scan
    here and follows its job on this page."""
    filters = proposal_queue.Filters(
        benefit=request.GET.get("benefit", "")[:40],
        township=request.GET.get("township", "")[:9],
        village=request.GET.get("village", "")[:12],
    )
    # A choice not on offer (another region's township, an unknown benefit) is dropped.
    benefits = proposal_queue.benefit_choices()
    if filters.benefit not in {code for code, _zh, _en in benefits}:
        filters = proposal_queue.Filters(township=filters.township, village=filters.village)
    townships = proposal_queue.township_choices(request.user)
    villages = proposal_queue.village_choices(request.user, filters.township)
    if filters.township not in {code for code, _name in townships}:
        filters = proposal_queue.Filters(benefit=filters.benefit)
    elif filters.village not in {code for code, _name in villages}:
        filters = proposal_queue.Filters(benefit=filters.benefit, township=filters.township)
    page, people = proposal_queue.people_page(
        request.user, filters, request.GET.get("page"), selectors.today()
    )
    may_scan = has_permission(request.user, "manage", "schedule")
    scan_job = job_selectors.latest_job("schedule:benefits.scan") if may_scan else None
    context = {
        "page": page,
        "people": people,
        "filters": filters,
        "benefit_choices": benefits,
        "township_choices": townships,
        "village_choices": villages,
        "filter_query": urlencode(
            {"benefit": filters.benefit, "township": filters.township, "village": filters.village}
        ),
        "last_scan": selectors.last_scan(),
        "may_scan": may_scan,
        "scan_job": scan_job,
        "scan_running": scan_job is not None and scan_job.status in ACTIVE,
    }
    return render(request, "workflow/proposals.html", context)


@permission_required("create", "application")
@require_POST
def proposal_start(request: HttpRequest, item_id: int) -> HttpResponse:
    try:
        application = services.proposal_start(actor=request.user, work_item_id=item_id)
    except ValidationFailed as refusal:
        messages.error(request, refusal.message)
        return redirect("workflow:proposals")
    return redirect("workflow:proposal_confirm", pk=application.pk)


@permission_required("view", "work_item")
def reviews(request: HttpRequest) -> HttpResponse:
    """The scan's review items: receiving but no longer eligible."""
    page = Paginator(selectors.reviews(request.user), PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    names = selectors.region_names({r.township_code for r in rows})
    return render(request, "workflow/reviews.html", {"page": page, "rows": rows, "names": names})


@permission_required("change", "entitlement")
def review(request: HttpRequest, item_id: int) -> HttpResponse:
    """Act on one review item: suspend or terminate with the reason, or dismiss."""
    item = selectors.work_item_for(request.user, item_id)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.review_resolve(
                actor=request.user,
                work_item_id=item.pk,
                action=form.cleaned_data["action"],
                on=form.cleaned_data["on"],
                reason_code=form.cleaned_data["reason_code"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationFailed as refusal:
            _refused(form, refusal)
        else:
            messages.success(request, _("已处理。"))
            return redirect("workflow:reviews")
    audit.record_view(request, "work_item", item.pk)
    context = {
        "item": item,
        "form": form,
        "result": selectors.with_explanations([item], selectors.today())[0].eligibility,
    }
    return render(request, "workflow/review.html", context, status=400 if form.errors else 200)


# Applications ------------------------------------------------------------------------------


@permission_required("create", "application")
def application_new(request: HttpRequest) -> HttpResponse:
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
                _refused(form, refusal)
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
    request: HttpRequest, pk: int, *, status: int = 200, **forms: Any
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
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _application_page(request, pk)


@permission_required("view", "application")
def notice(request: HttpRequest, pk: int) -> HttpResponse:
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
def decide(request: HttpRequest, pk: int) -> HttpResponse:
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
            _refused(form, refusal)
        else:
            messages.success(request, _("已办理。"))
            return redirect("workflow:application", pk=item.application_id)
    return _application_page(request, item.application_id, status=400, **{f"decision_{pk}": form})


@permission_required("create", "application")
@require_POST
def appeal(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.item_for(request.user, pk)
    form = ReasonForm(request.POST, prefix=f"a{pk}")
    if form.is_valid():
        try:
            services.item_appeal(
                actor=request.user, item_id=item.pk, reason=form.cleaned_data["reason"]
            )
        except ValidationFailed as refusal:
            _refused(form, refusal)
        else:
            messages.success(request, _("已提出申诉，进入复核环节。"))
            return redirect("workflow:application", pk=item.application_id)
    return _application_page(request, item.application_id, status=400, **{f"appeal_{pk}": form})


@permission_required("create", "application")
@require_POST
def upload(request: HttpRequest, pk: int) -> HttpResponse:
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
            _refused(form, refusal)
        else:
            messages.success(request, _("材料已上传。"))
            return redirect("workflow:application", pk=application.pk)
    return _application_page(request, application.pk, status=400, upload=form)


@permission_required("create", "application")
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
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
            _refused(form, refusal)
        else:
            messages.success(request, _("申请已撤回。"))
            return redirect("workflow:application", pk=application.pk)
    return _application_page(request, application.pk, status=400, withdraw=form)


@permission_required("view", "application")
def document(request: HttpRequest, pk: int) -> FileResponse:
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
def proposal_confirm(request: HttpRequest, pk: int) -> HttpResponse:
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
            _refused(form, refusal)
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
def proposal_decline(request: HttpRequest, pk: int) -> HttpResponse:
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
            _refused(form, refusal)
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


# Bulk approval -------------------------------------------------------------------------


def _choices(request: HttpRequest) -> list[tuple[int, str]]:
    out = []
    for raw in request.POST.getlist("item")[: services.BULK_LIMIT]:
        pk, _sep, step = raw.partition(":")
        if pk.isdigit() and step:
            out.append((int(pk), step))
    return out


@permission_required("change", "bulk_decision")
def bulk(request: HttpRequest) -> HttpResponse:
    """Choose items of my tasks → a summary page → confirm. Each item is decided at the
    step shown on the summary (an item that moved meanwhile is reported, not decided)."""
    stage = request.POST.get("stage", "choose") if request.method == "POST" else "choose"
    if stage == "confirm":
        outcome = services.bulk_advance(actor=request.user, choices=_choices(request))
        context = {"outcome": outcome}
        return render(request, "workflow/bulk_done.html", context)
    if stage == "summary":
        choices = dict(_choices(request))
        items = selectors.my_tasks(request.user).filter(pk__in=list(choices))
        rows = selectors.task_rows(list(items))
        if not rows:
            messages.error(request, _("请至少选择一项。"))
        else:
            procs = procedures()
            summary = []
            for row in rows:
                following = procs.for_benefit(row.item.benefit.code).after(row.item.step_code)
                summary.append({"row": row, "next": following, "approves": following is None})
            approvals = sum(1 for s in summary if s["approves"])
            return render(
                request, "workflow/bulk_summary.html", {"summary": summary, "approvals": approvals}
            )
    page = Paginator(selectors.my_tasks(request.user), 100).get_page(request.GET.get("page"))
    rows = selectors.task_rows(list(page.object_list))
    return render(request, "workflow/bulk.html", {"page": page, "rows": rows})


# Entitlements ------------------------------------------------------------------------------


@permission_required("view", "entitlement")
def entitlement(request: HttpRequest, pk: int) -> HttpResponse:
    """One entitlement with its history; county officers suspend, resume or terminate."""
    ent = selectors.entitlement_for(request.user, pk)
    form = EntitlementActionForm(request.POST or None)
    if request.method == "POST":
        if not has_permission(request.user, "change", "entitlement"):
            raise NotFound("entitlement")
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["action"] == "resume":
                    new = services.resume(
                        actor=request.user,
                        entitlement_id=ent.pk,
                        on=data["on"],
                        reason=data["reason"],
                    )
                    messages.success(request, _("已恢复。"))
                    return redirect("workflow:entitlement", pk=new.pk)
                handler = services.suspend if data["action"] == "suspend" else services.terminate
                handler(
                    actor=request.user,
                    entitlement_id=ent.pk,
                    on=data["on"],
                    reason_code=data["reason_code"],
                    reason=data["reason"],
                )
            except ValidationFailed as refusal:
                _refused(form, refusal)
            else:
                messages.success(request, _("已保存。"))
                return redirect("workflow:entitlement", pk=ent.pk)
    audit.record_view(request, "entitlement", ent.pk)
    context = {
        "ent": ent,
        "events": selectors.entitlement_history(ent),
        "form": form,
        "can_change": has_permission(request.user, "change", "entitlement"),
    }
    return render(request, "workflow/entitlement.html", context, status=400 if form.errors else 200)
