"""Social assistance pages: the emergency priority list of a township or village (masked on
screen, exported in full with a stated purpose); return-to-poverty alerts (the list, the
scan, one case's visit, measures and closure)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dpf.accounts.permissions import has_permission, permission_required
from dpf.core import audit
from dpf.core.dates import local_today
from dpf.core.errors import ValidationFailed
from dpf.registry.forms import attach_refusal
from dpf.social import emergency, monitoring, selectors
from dpf.social.forms import CloseForm, EmergencyExportForm, MeasureForm, VisitForm
from dpf.social.models import RiskCaseStatus

PER_PAGE = 50
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@permission_required("view", "emergency_list")
@require_http_methods(["GET", "POST"])
def emergency_list(request: HttpRequest) -> HttpResponse:
    today = local_today()
    region_code = request.POST.get("region") or request.GET.get("region") or ""
    region_code = region_code or selectors.default_emergency_region(request.user)
    form = EmergencyExportForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                name, content, _count = emergency.emergency_export(
                    actor=request.user,
                    region_code=region_code,
                    on=today,
                    purpose=form.cleaned_data["purpose"],
                    fmt=form.cleaned_data["fmt"],
                )
            except ValidationFailed as refusal:
                attach_refusal(form, refusal)
            else:
                kind = CONTENT_TYPES[form.cleaned_data["fmt"]]
                response = HttpResponse(content, content_type=kind)
                response["Content-Disposition"] = f'attachment; filename="{name}"'
                response["Cache-Control"] = "no-store"
                return response
    region, rows = None, list[emergency.PriorityPerson]()
    if region_code:
        region, rows = emergency.emergency_list(
            actor=request.user, region_code=region_code, on=today
        )
    context = {
        "region": region,
        "rows": rows,
        "form": form,
        "today": today,
        "choices": selectors.emergency_regions(request.user, region),
        "can_export": has_permission(request.user, "export", "emergency_list"),
        "reasons": emergency.REASONS,
    }
    return render(request, "social/emergency.html", context, status=status)


# --- return-to-poverty monitoring -------------------------------------------------------------


@permission_required("view", "risk_case")
@require_http_methods(["GET", "POST"])
def risk_cases(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        result = monitoring.risk_scan(actor=request.user, on=local_today())
        messages.success(
            request,
            _("扫描完成：%(found)s 户符合风险规则，新增预警 %(opened)s 件。")
            % {"found": result.found, "opened": result.opened},
        )
        return redirect("social:risk_cases")
    status = request.GET.get("status", "")
    status = status if status in RiskCaseStatus.values else ""
    page = Paginator(monitoring.cases(request.user, status=status), PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "rows": list(page),
        "status": status,
        "statuses": RiskCaseStatus.choices,
        "counts": monitoring.open_counts(request.user),
        "can_scan": has_permission(request.user, "create", "risk_case"),
        "rules": monitoring.rules_in_force(local_today()),
        "thresholds": monitoring.thresholds_on(local_today()),
    }
    return render(request, "social/risk_cases.html", context)


@permission_required("view", "risk_case")
@require_http_methods(["GET", "POST"])
def risk_case(request: HttpRequest, case_id: int) -> HttpResponse:
    case = monitoring.case_for(request.user, case_id)
    action = request.POST.get("action") if request.method == "POST" else None
    visit = VisitForm(request.POST if action == "visit" else None, prefix="v")
    measure = MeasureForm(request.POST if action == "measure" else None, prefix="m")
    close = CloseForm(request.POST if action == "close" else None, prefix="c")
    forms_by_action = {"visit": visit, "measure": measure, "close": close}
    status = 200
    if request.method == "POST":
        status = 400
        form = forms_by_action.get(action or "")
        if form is not None and form.is_valid():
            data = form.cleaned_data
            try:
                if action == "visit":
                    monitoring.case_visit(actor=request.user, case_id=case.pk, **data)
                elif action == "measure":
                    monitoring.measure_add(actor=request.user, case_id=case.pk, **data)
                else:
                    monitoring.case_close(actor=request.user, case_id=case.pk, **data)
            except ValidationFailed as refusal:
                attach_refusal(form, refusal)
            else:
                messages.success(request, _("已保存。"))
                return redirect("social:risk_case", case_id=case.pk)
    else:
        audit.record(actor=request.user, action="view", object_type="risk_case", object_id=case.pk)
    context = {
        "case": case,
        "measures": monitoring.measures_of(case),
        "visit": visit,
        "measure": measure,
        "close": close,
        "can_change": has_permission(request.user, "change", "risk_case"),
        "form": forms_by_action.get(action or ""),
    }
    return render(request, "social/risk_case.html", context, status=status)
