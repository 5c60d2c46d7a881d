"""Exchange pages: roster types and templates, upload, batch preview, commit or cancel,
reconciliation, duplicate suspects, registry export. County and city staff only; partner
departments use the API.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dpf.accounts.http import AuthedHttpRequest
from dpf.accounts.permissions import permission_required
from dpf.core.errors import DomainError
from dpf.core.table_limits import import_limits
from dpf.exchange import selectors, services
from dpf.exchange.forms import ExportForm, UploadForm
from dpf.exchange.models import BatchStatus, Outcome, SuspectStatus
from dpf.exchange.rostertypes import ROSTER_TYPES
from dpf.exchange.services.exports import LIST_LEFT_DIBAO
from dpf.exchange.validation import is_stalled
from dpf.exchange.workbooks import XLSX_TYPE, roster_template
from dpf.jobs import selectors as job_selectors
from dpf.jobs.models import JobStatus

ROWS_PER_PAGE = 50
# Staff import rosters through these pages (region scope); the partner departments'
# accounts (institution scope) through the API (``dpf.api.exchange``).
importer = permission_required("import", "roster", scope="region")


def _xlsx(handle: Any, filename: str) -> FileResponse:
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX_TYPE)


@importer
def index(request: AuthedHttpRequest) -> HttpResponse:
    batches = Paginator(selectors.batches_for(request.user).order_by("-created_at"), 20)
    return render(
        request,
        "exchange/index.html",
        {
            "roster_types": ROSTER_TYPES.values(),
            "page": batches.get_page(request.GET.get("page")),
            "open_suspects": selectors.suspects_for(request.user).count(),
        },
    )


@importer
def template_download(request: AuthedHttpRequest, code: str) -> FileResponse:
    rtype = ROSTER_TYPES.get(code)
    if rtype is None:
        raise Http404
    return _xlsx(roster_template(rtype), f"template-{code}.xlsx")


@importer
def upload(request: AuthedHttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        try:
            batch = services.batch_upload(
                actor=request.user,
                roster_type=form.cleaned_data["roster_type"],
                file_name=uploaded.name,
                stream=uploaded,
                size=uploaded.size,
            )
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            services.batch_validate_start(batch)
            return redirect("exchange:batch", batch.pk)
    elif request.method == "GET" and request.GET.get("type") in ROSTER_TYPES:
        form = UploadForm(initial={"roster_type": request.GET["type"]})
    return render(
        request,
        "exchange/upload.html",
        {
            "form": form,
            "max_mb": services.max_upload_bytes() // (1024 * 1024),
            "max_rows": f"{import_limits().max_rows:,}",
        },
        status=400 if request.method == "POST" else 200,  # here after a POST: refused
    )


@importer
def batch_detail(request: AuthedHttpRequest, batch_id: int) -> HttpResponse:
    batch = selectors.batch_get(request.user, batch_id)
    outcome = request.GET.get("outcome") or ""
    if outcome and outcome not in Outcome.values:
        raise Http404
    rows = (
        selectors.batch_rows(batch, outcome or None)
        .annotate(registry_name=F("person__name"))
        .values(
            "row_number",
            "outcome",
            "id_masked",
            "values",
            "registry_name",
            "before",
            "after",
            "errors",
            "note",
        )
    )
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    stalled = is_stalled(batch, timezone.now())
    interrupted = batch.status == BatchStatus.FAILED and any(
        e.get("code") == "internal" for e in batch.errors
    )
    return render(
        request,
        "exchange/batch.html",
        {
            "batch": batch,
            "rtype": ROSTER_TYPES[batch.roster_type],
            "page": page,
            "outcome": outcome,
            "outcomes": Outcome.choices,
            "stalled": stalled,
            "commit_job": job_selectors.latest_job(services.commit_job_key(batch.pk)),
            "may_validate_again": stalled or interrupted or batch.status == BatchStatus.PREVIEWED,
        },
    )


@importer
def batch_progress(request: AuthedHttpRequest, batch_id: int) -> JsonResponse:
    batch = selectors.batch_get(request.user, batch_id)
    return JsonResponse(
        {
            "status": batch.status,
            "progress": batch.progress,
            "rows_read": batch.rows_read,
            "rows_total": batch.rows_total,
        }
    )


@importer
@require_POST
def batch_revalidate(request: AuthedHttpRequest, batch_id: int) -> HttpResponse:
    batch = selectors.batch_get(request.user, batch_id)
    try:
        services.batch_revalidate(actor=request.user, batch=batch)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已开始重新校验。"))
    return redirect("exchange:batch", batch.pk)


@importer
@require_POST
def batch_commit(request: AuthedHttpRequest, batch_id: int) -> HttpResponse:
    """Commit in the background (a job); the batch page follows it until it is done."""
    batch = selectors.batch_get(request.user, batch_id)
    try:
        job = services.batch_commit_start(actor=request.user, batch=batch)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("exchange:batch", batch.pk)
    job.refresh_from_db()
    if job.status == JobStatus.DONE:  # run at once (DPF_JOBS_RUN=immediate) or very quick
        messages.success(request, _("已导入，相关人员已排入待遇重新核查。"))
        return redirect("exchange:reconciliation", batch.pk)
    if job.status != JobStatus.FAILED:
        messages.info(request, _("导入已在后台开始，完成后本页显示结果。"))
    return redirect("exchange:batch", batch.pk)


@importer
@require_POST
def batch_cancel(request: AuthedHttpRequest, batch_id: int) -> HttpResponse:
    batch = selectors.batch_get(request.user, batch_id)
    try:
        services.batch_cancel(actor=request.user, batch=batch)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已取消该批次，登记信息未作任何修改。"))
    return redirect("exchange:batch", batch.pk)


@importer
def reconciliation(request: AuthedHttpRequest, batch_id: int) -> HttpResponse:
    batch = selectors.batch_get(request.user, batch_id)
    if batch.status != BatchStatus.COMMITTED:
        return redirect("exchange:batch", batch.pk)
    context: dict[str, Any] = {
        "batch": batch,
        "rtype": ROSTER_TYPES[batch.roster_type],
        "outcomes": [(o, label, batch.counts.get(o, 0)) for o, label in Outcome.choices],
        "left_dibao_list": LIST_LEFT_DIBAO,
    }
    if batch.roster_type == "dibao":
        persons = selectors.left_dibao_receiving(batch, request.user)
        context["left_total"] = selectors.left_dibao_rows(batch).count()
        context["receiving"] = persons.values(
            "name", "id_number_masked", "village_code", "county_code"
        )[:200]
    return render(request, "exchange/reconciliation.html", context)


@permission_required("export", "person")
def download_list(request: AuthedHttpRequest, batch_id: int, outcome: str) -> FileResponse:
    batch = selectors.batch_get(request.user, batch_id)
    if outcome != LIST_LEFT_DIBAO and outcome not in Outcome.values:
        raise Http404
    handle, _count = services.row_list(actor=request.user, batch=batch, outcome=outcome)
    return _xlsx(handle, f"batch-{batch.pk}-{outcome}.xlsx")


@importer
def duplicates(request: AuthedHttpRequest) -> HttpResponse:
    status = request.GET.get("status", SuspectStatus.OPEN)
    if status not in SuspectStatus.values:
        raise Http404
    suspects = selectors.suspects_for(request.user, status)
    return render(
        request,
        "exchange/duplicates.html",
        {
            "page": Paginator(suspects, ROWS_PER_PAGE).get_page(request.GET.get("page")),
            "status": status,
            "statuses": SuspectStatus.choices,
        },
    )


@importer
@require_POST
def duplicates_find(request: AuthedHttpRequest) -> HttpResponse:
    found = services.duplicates_find(actor=request.user)
    messages.success(request, _("查找完成，新增疑似重复 %(n)d 组。") % {"n": found})
    return redirect("exchange:duplicates")


@importer
@require_POST
def suspect_resolve(request: AuthedHttpRequest, suspect_id: int) -> HttpResponse:
    suspect = selectors.suspect_get(request.user, suspect_id)
    try:
        services.suspect_resolve(
            actor=request.user, suspect=suspect, resolution=request.POST.get("resolution", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已处理。"))
    return redirect("exchange:duplicates")


@permission_required("export", "person")
def export(request: AuthedHttpRequest) -> HttpResponse | FileResponse:
    may_unmask = services.may_unmask(request.user)
    form = ExportForm(
        request.POST or None,
        regions=selectors.export_regions(request.user),
        may_unmask=may_unmask,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            handle, _count = services.registry_extract(
                actor=request.user,
                region_code=data["region"],
                as_of=data["as_of"],
                purpose=data["purpose"],
                unmask=bool(data.get("unmask")),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return _xlsx(handle, f"registry-{data['region']}-{data['as_of']:%Y%m%d}.xlsx")
    context = {"form": form, "may_unmask": may_unmask}
    refused = request.method == "POST"  # an export answered with its file above
    return render(request, "exchange/export.html", context, status=400 if refused else 200)
