"""Indicator pages: dashboard, indicator detail, drill-down, hand entry, evaluation report."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dpf.accounts.http import AuthedHttpRequest
from dpf.accounts.permissions import Scope, has_permission, permission_required, scope_of
from dpf.core import audit
from dpf.core.errors import NotFound, ValidationFailed
from dpf.core.models import RegionLevel
from dpf.indicators import disclosure, reports, selectors, services
from dpf.indicators.forms import AnalysisForm, ManualValueForm
from dpf.indicators.models import Indicator, ManualValue
from dpf.jobs import selectors as job_selectors

PARTS = {
    "numerator": gettext_lazy("分子"),
    "denominator": gettext_lazy("分母"),
    "gap": gettext_lazy("差额（应享未享）"),
}


def _as_of(request: HttpRequest) -> dt.date | None:
    raw = request.GET.get("as_of", "")
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise Http404 from None


def _context(request: HttpRequest, *, publish: bool = False) -> dict[str, Any]:
    """Plan, date and region of an indicator page. A region outside the user's scope is
    refused by ``selectors.indicator_region`` (404, audited); figures are read for the
    audience (``disclosure.audience_for``: the user, or the public for ``publish``)."""
    drafts = has_permission(request.user, "change", "indicators")  # who may publish
    try:
        plan = selectors.plan_by_code(request.GET.get("plan"), drafts=drafts)
    except NotFound:
        raise Http404 from None
    region = selectors.indicator_region(request.user, request.GET.get("region"))
    audience = disclosure.audience_for(request.user, publish=publish)
    as_of = _as_of(request)
    run = selectors.run_for(plan, as_of)
    return {
        "plan": plan,
        "plans": selectors.plans(drafts=drafts),
        "region": region,
        "run": run,
        "audience": audience,
        "explanation": disclosure.explanation(),
        "dates": selectors.snapshot_dates(plan),
        "quality": selectors.quality(run, region, audience) if run else None,
        "can_drill": has_permission(request.user, "view", "indicator_list"),
    }


@permission_required("view", "indicators")
def dashboard(request: AuthedHttpRequest) -> HttpResponse:
    ctx = _context(request)
    run, region = ctx["run"], ctx["region"]
    ctx["rows"] = selectors.dashboard_rows(run, region, ctx["audience"]) if run else []
    quality = ctx["quality"] or {}
    ctx["suppressed"] = any(r.cell and r.cell.hidden for r in ctx["rows"]) or any(
        f.hidden for f in quality.values()
    )
    if has_permission(request.user, "create", "snapshot"):
        mine = job_selectors.jobs_started_by(request.user, services.SNAPSHOT_KIND, limit=1)
        ctx["snapshot_job"] = mine[0] if mine else None
    return render(request, "indicators/dashboard.html", ctx)


@permission_required("view", "indicators")
def indicator_detail(request: AuthedHttpRequest, code: str) -> HttpResponse:
    ctx = _context(request)
    indicator = Indicator.objects.filter(plan=ctx["plan"], code=code).first()
    if indicator is None:
        raise Http404
    ctx["indicator"] = indicator
    if ctx["run"]:
        figures = selectors.indicator_figures(ctx["run"], indicator, ctx["region"], ctx["audience"])
        ctx["children"], ctx["trend"] = figures.children, figures.trend
        ctx["chart"] = reports.chart_data(indicator, figures.children, figures.trend)
        ctx["suppressed"] = any(c and c.hidden for _r, c in figures.children) or any(
            c.hidden for c in figures.trend
        )
    return render(request, "indicators/indicator.html", ctx)


@permission_required("view", "indicator_list")
def drilldown(request: AuthedHttpRequest, code: str) -> HttpResponse:
    ctx = _context(request)
    indicator = Indicator.objects.filter(plan=ctx["plan"], code=code).first()
    part = request.GET.get("part", "numerator")
    if indicator is None or ctx["run"] is None or part not in PARTS:
        raise Http404
    try:
        persons = selectors.drilldown_persons(
            request.user, indicator, ctx["run"].as_of, ctx["region"], part
        )
    except NotFound:
        raise Http404 from None
    # Down to villages: a township's list counts its persons by village and filters by one.
    villages: list[tuple[Any, int]] = []
    village = None
    if ctx["region"].level == RegionLevel.TOWNSHIP:
        villages = selectors.drilldown_villages(persons, ctx["region"])
        wanted = request.GET.get("village", "")
        if wanted:
            village = next((v for v, _n in villages if v.code == wanted), None)
            if village is None:
                raise Http404
            persons = persons.filter(village_code=village.code)
    page = Paginator(
        persons.only(
            "pk", "name", "id_number_masked", "sex", "birth_date", "county_code", "township_code"
        ),
        50,
    ).get_page(request.GET.get("page"))
    audit.record_view(
        request,
        "indicator_list",
        f"{indicator.code}:{part}:{(village or ctx['region']).code}:{ctx['run'].as_of}",
    )
    ctx.update(
        {
            "indicator": indicator,
            "page": page,
            "part": part,
            "part_label": PARTS[part],
            "villages": villages,
            "village": village,
        }
    )
    return render(request, "indicators/drilldown.html", ctx)


@permission_required("change", "manual_value")
def manual_entry(request: AuthedHttpRequest) -> HttpResponse:
    plan = selectors.plan_by_code(request.GET.get("plan"), drafts=True)
    form = ManualValueForm(
        request.POST or None, plan_id=plan.pk, regions=selectors.manual_value_regions(request.user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.manual_value_enter(actor=request.user, **form.cleaned_data)
        except ValidationFailed as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已保存"))
            return redirect("indicators:manual")
    values = ManualValue.objects.filter(indicator__plan=plan).select_related(
        "indicator", "entered_by"
    )[:100]
    context = {"form": form, "plan": plan, "values": values}
    refused = request.method == "POST"  # a saved value redirected above
    return render(request, "indicators/manual.html", context, status=400 if refused else 200)


@permission_required("create", "snapshot")
def snapshot_now(request: AuthedHttpRequest) -> HttpResponse:
    """Start the recomputation as a background job; the dashboard shows its progress."""
    if request.method != "POST":
        raise Http404
    plan = selectors.plan_by_code(request.POST.get("plan"), drafts=True)
    try:
        job, started = services.snapshot_start(
            actor=request.user, plan=plan, as_of=request.POST.get("as_of", "")
        )
    except ValidationFailed as exc:
        messages.error(request, exc.message)
        return redirect(f"{reverse('indicators:dashboard')}?plan={plan.code}")
    if started:
        messages.success(request, _("已开始重新计算，完成后本页显示新的数字"))
    else:
        messages.info(request, _("同一日期的重新计算正在进行，已加入"))
    return redirect(
        f"{reverse('indicators:dashboard')}?plan={plan.code}&as_of={job.params['as_of']}"
    )


@permission_required("view", "evaluation_report")
def report(request: AuthedHttpRequest) -> HttpResponse:
    # Viewers (leaders, the public) read the published version only: their aggregate scope.
    publish = (
        request.GET.get("publish") == "1"
        or scope_of(request.user, "view", "evaluation_report") == Scope.AGGREGATE
    )
    may_write = has_permission(request.user, "change", "evaluation_report")
    ctx = _context(request, publish=publish)
    if ctx["run"] is None:
        raise Http404
    # The report of the user's own region by default (a county officer's: their county and
    # its townships); ``?region=`` any region in their scope (checked by ``_context``).
    data = reports.build(ctx["plan"], ctx["run"], ctx["audience"], ctx["region"])
    city_wide = ctx["region"].level == RegionLevel.CITY
    may_write = may_write and city_wide  # the analysis is the city's evaluation
    if request.method == "POST" and may_write:
        form = AnalysisForm(request.POST)
        if form.is_valid():
            reports.save_analysis(
                actor=request.user,
                plan=ctx["plan"],
                as_of=ctx["run"].as_of,
                analysis=form.cleaned_data["analysis"],
            )
            messages.success(request, _("评估分析已保存"))
            return redirect(request.get_full_path())
    ctx.update(
        {
            "data": data,
            "publish": publish,
            "analysis_form": AnalysisForm(initial={"analysis": data.analysis}),
            "can_edit": may_write and not publish,
            "city_wide": city_wide,
            "files": reports.report_files(request.user),
            "formats": [("pdf", _("生成PDF")), ("xlsx", _("生成Excel"))],
        }
    )
    return render(request, "indicators/report.html", ctx)


@permission_required("view", "evaluation_report")
@require_POST
def report_file_start(request: AuthedHttpRequest) -> HttpResponse:
    """Start the report's PDF or workbook (a job); the report page offers it when ready."""
    wanted: dict[str, Any] = {
        k: request.POST.get(k, "") for k in ("plan", "as_of", "region", "format")
    }
    wanted["publish"] = request.POST.get("publish") == "1"
    wanted["language"] = translation.get_language() or settings.LANGUAGE_CODE
    back = (
        reverse("indicators:report")
        + "?"
        + urlencode(
            {k: v for k, v in wanted.items() if k in ("plan", "as_of", "region") and v}
            | ({"publish": "1"} if wanted["publish"] else {})
        )
    )
    try:
        _job, started = reports.report_start(actor=request.user, params=wanted)
    except ValidationFailed as refusal:
        messages.error(request, refusal.message)
        return redirect(back)
    if started:
        messages.success(request, _("已开始生成文件，完成后在“我生成的文件”中下载"))
    else:
        messages.info(request, _("该文件正在生成，请稍候"))
    return redirect(back + "#files")


@permission_required("view", "evaluation_report")
def report_file(request: AuthedHttpRequest, job_id: int) -> HttpResponse:
    """A report file the user's job made (``reports.report_file`` decides)."""
    filename, content_type, data = reports.report_file(actor=request.user, job_id=job_id)
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
