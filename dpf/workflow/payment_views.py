"""Payment list pages: lists and generation, one list with township totals, approval,
the bank list (.xlsx), the PDF for signing and the bank's result file."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dpf.accounts.http import AuthedHttpRequest
from dpf.accounts.permissions import has_permission, permission_required
from dpf.benefits.models import BenefitItem
from dpf.core.errors import NotFound, ValidationFailed
from dpf.core.regions import display_names
from dpf.core.table_limits import import_limits
from dpf.core.tables import read_upload
from dpf.jobs import selectors as job_selectors
from dpf.jobs.models import Job, JobStatus
from dpf.workflow import selectors, services
from dpf.workflow.forms import (
    ApproveListForm,
    ExportForm,
    GenerateForm,
    ResultFileForm,
    attach_refusal,
)
from dpf.workflow.models import PaymentLine
from dpf.workflow.services.payments import township_totals

# The permission table says who generates (create), approves, changes (deletes a draft, records
# the bank's results) and exports a payment list: the county officer; the services further
# require the list's county (``services.payments._require_officer``).


@permission_required("view", "payment_list")
def payment_lists(request: AuthedHttpRequest) -> HttpResponse:
    """The county's lists (newest first); county officers generate a month's list here."""
    lists = selectors.payment_lists(request.user).order_by("-month", "county_code", "benefit")
    page = Paginator(lists, 50).get_page(request.GET.get("page"))
    can_generate = has_permission(request.user, "create", "payment_list")
    form = GenerateForm(request.POST or None, counties=selectors.counties_for(request.user))
    if request.method == "POST":
        if not can_generate:
            raise NotFound("payment list")
        if form.is_valid():
            data = form.cleaned_data
            benefit = BenefitItem.objects.filter(code=data["benefit"]).first()
            try:
                if benefit is None:
                    raise ValidationFailed(
                        "benefit", "事项不存在", "unknown benefit", field="benefit"
                    )
                job = services.payment_list_generate_start(
                    actor=request.user,
                    county_code=data["county_code"],
                    benefit=benefit,
                    month=data["month"],
                )
            except ValidationFailed as refusal:
                attach_refusal(form, refusal)
            else:
                return _after_generation(request, job, data["county_code"], benefit, data["month"])
    names = display_names({p.county_code for p in page.object_list})
    context = {
        "page": page,
        "form": form,
        "can_generate": can_generate,
        "names": names,
        "jobs": _generation_jobs(request.user) if can_generate else [],
    }
    return render(request, "workflow/payments.html", context, status=400 if form.errors else 200)


def _generation_jobs(user: object) -> list[tuple[Job, str, str]]:
    """The officer's newest generation jobs, each with its county's and benefit's names."""
    jobs = job_selectors.jobs_started_by(user, "workflow.payment_list")
    counties = display_names({str(j.params.get("county_code", "")) for j in jobs})
    codes = {str(j.params.get("benefit", "")) for j in jobs}
    benefits = {b.code: b for b in BenefitItem.objects.filter(code__in=codes)}
    english = translation.get_language() == "en"
    rows = []
    for job in jobs:
        item = benefits.get(str(job.params.get("benefit", "")))
        name = (item.name_en if english else item.name_zh) if item else ""
        rows.append((job, counties.get(str(job.params.get("county_code", "")), ""), name))
    return rows


def _after_generation(
    request: HttpRequest, job: Job, county_code: str, benefit: BenefitItem, month: dt.date
) -> HttpResponse:
    """The list once its job is done (at once with ``DPF_JOBS_RUN=immediate``, or when
    quick); otherwise the lists page, which shows the job's progress, result or error."""
    job.refresh_from_db()
    plist = services.payment_list_find(county_code=county_code, benefit=benefit, month=month)
    if job.status == JobStatus.DONE and plist is not None:
        messages.success(
            request, _("名册已生成：%(n)s 人。请核对后审核。") % {"n": plist.line_count}
        )
        return redirect("workflow:payment_list", pk=plist.pk)
    if job.status != JobStatus.FAILED:
        messages.info(request, _("名册正在后台生成，完成后在本页“生成作业”中显示结果。"))
    return redirect("workflow:payment_lists")


def _list_page(
    request: HttpRequest, pk: int, *, status: int = 200, **forms: object
) -> HttpResponse:
    plist = selectors.payment_list_for(request.user, pk)
    line_status = request.GET.get("status", "")
    if line_status not in PaymentLine.Status.values:
        line_status = ""
    page = Paginator(
        selectors.payment_lines(plist, line_status).order_by("township_code", "village_code", "pk"),
        50,
    ).get_page(request.GET.get("page"))
    names = display_names(
        {ln.township_code for ln in page.object_list} | {ln.village_code for ln in page.object_list}
    )
    towns = township_totals(plist)
    is_officer = has_permission(request.user, "approve", "payment_list")
    context = {
        "plist": plist,
        "page": page,
        "names": names,
        "towns": towns,
        "counts": selectors.status_counts(plist),
        "line_status": line_status,
        "is_officer": is_officer,
        "approve": forms.get("approve") or ApproveListForm(),
        "export": forms.get("export") or ExportForm(),
        "results": forms.get("results") or ResultFileForm(),
        "county_name": display_names({plist.county_code}).get(plist.county_code, ""),
        "files": selectors.document_jobs(request.user, plist, towns) if is_officer else [],
    }
    return render(request, "workflow/payment_list.html", context, status=status)


@permission_required("view", "payment_list")
def payment_list(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return _list_page(request, pk)


@permission_required("approve", "payment_list")
@require_POST
def payment_list_approve(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Approve (freeze) a draft, after the officer ticked the confirmation; refused to the
    officer who generated it (four eyes, in the service)."""
    form = ApproveListForm(request.POST)
    if not form.is_valid():
        return _list_page(request, pk, status=400, approve=form)
    try:
        services.payment_list_approve(actor=request.user, list_id=pk)
    except ValidationFailed as refusal:
        attach_refusal(form, refusal)
        return _list_page(request, pk, status=400, approve=form)
    messages.success(request, _("名册已审核，不能再修改。"))
    return redirect("workflow:payment_list", pk=pk)


@permission_required("change", "payment_list")
@require_POST
def payment_list_discard(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    try:
        services.payment_list_discard(actor=request.user, list_id=pk)
    except ValidationFailed as refusal:
        messages.error(request, refusal.message)
        return redirect("workflow:payment_list", pk=pk)
    messages.success(request, _("草稿名册已删除，可以重新生成。"))
    return redirect("workflow:payment_lists")


@permission_required("export", "payment_list")
@require_POST
def payment_list_xlsx(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Start the bank workbook (a job); the file is offered on the list page when ready."""
    form = ExportForm(request.POST)
    if form.is_valid():
        try:
            _job, started = services.document_start(
                actor=request.user,
                list_id=pk,
                kind=services.BANK_WORKBOOK,
                purpose=form.cleaned_data["purpose"],
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal)
        else:
            return _document_started(request, pk, started)
    return _list_page(request, pk, status=400, export=form)


@permission_required("export", "payment_list")
@require_POST
def payment_list_pdf(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Start a signing PDF (a job): the county summary, or one township's lines with
    ``township=CODE`` (and ``volume=K`` for the K-th volume of a township of more than
    1,000 lines)."""
    volume = request.POST.get("volume", "1")
    try:
        _job, started = services.document_start(
            actor=request.user,
            list_id=pk,
            kind=services.SIGNING_PDF,
            township_code=request.POST.get("township", ""),
            volume=int(volume) if volume.isdigit() and len(volume) < 6 else 0,
        )
    except ValidationFailed as refusal:
        messages.error(request, refusal.message)
        return redirect("workflow:payment_list", pk=pk)
    return _document_started(request, pk, started)


def _document_started(request: HttpRequest, pk: int, started: bool) -> HttpResponse:
    if started:
        messages.success(request, _("已开始生成文件，完成后在“我生成的文件”中下载"))
    else:
        messages.info(request, _("该文件正在生成，请稍候"))
    return redirect(reverse("workflow:payment_list", args=[pk]) + "#files")


@permission_required("export", "payment_list")
def payment_list_file(request: AuthedHttpRequest, pk: int, job_id: int) -> HttpResponse:
    """A file the officer's document job made (``services.document_file`` decides)."""
    filename, content_type, data = services.document_file(
        actor=request.user, list_id=pk, job_id=job_id
    )
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@permission_required("change", "payment_list")
@require_POST
def payment_results(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The bank's result file: all rows valid, or nothing marked and every problem listed."""
    form = ResultFileForm(request.POST, request.FILES)
    problems = []
    if form.is_valid():
        uploaded = form.cleaned_data["file"]
        try:
            data = read_upload(uploaded, import_limits())
            summary = services.import_results(actor=request.user, list_id=pk, data=data)
        except services.ResultFileRefused as refusal:
            form.add_error("file", refusal.message)
            problems = refusal.problems
        except ValidationFailed as refusal:
            attach_refusal(form, refusal)
        else:
            messages.success(
                request,
                _("已导入：成功 %(paid)s 笔，失败 %(failed)s 笔。")
                % {"paid": summary.paid, "failed": summary.failed},
            )
            return redirect("workflow:payment_list", pk=pk)
    if problems:
        plist = selectors.payment_list_for(request.user, pk)
        context = {"problems": problems, "plist": plist, "form": form}
        return render(request, "workflow/result_problems.html", context, status=400)
    return _list_page(request, pk, status=400, results=form)
